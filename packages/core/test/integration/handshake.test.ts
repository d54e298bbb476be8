/**
 * RFC 6455 §4.2: the server's opening handshake, driven by raw HTTP requests so that every
 * malformed variant can be sent as is.
 */
import * as crypto from 'node:crypto';
import { useHarness } from '../helpers/harness';
import { RFC_ACCEPT, RFC_KEY, connectTcp, readResponse, socketClosed, upgradeRequest } from '../helpers/raw-http';
import { delay, withTimeout } from '../helpers/events';

const h = useHarness();

const keyOfBytes = (n: number): string => crypto.randomBytes(n).toString('base64');

describe('RFC 6455 §4.2.2: accepting a valid request', () => {
  it('answers 101 with the Sec-WebSocket-Accept of the §1.3 example key', async () => {
    const { port } = await h.server();
    const response = await h.request(port, upgradeRequest({ headers: { 'Sec-WebSocket-Key': RFC_KEY } }));
    expect(response.status).toBe(101);
    expect(response.headers['sec-websocket-accept']).toBe(RFC_ACCEPT);
  });

  it('answers with Upgrade: websocket and Connection: Upgrade', async () => {
    const { port } = await h.server();
    const response = await h.request(port, upgradeRequest());
    expect(response.headers.upgrade.toLowerCase()).toBe('websocket');
    expect(response.headers.connection.toLowerCase()).toBe('upgrade');
  });

  it('sends no Sec-WebSocket-Protocol or Sec-WebSocket-Extensions when none was negotiated', async () => {
    const { port } = await h.server();
    const response = await h.request(
      port,
      upgradeRequest({ headers: { 'Sec-WebSocket-Protocol': 'chat', 'Sec-WebSocket-Extensions': 'x-unknown' } }),
    );
    expect(response.status).toBe(101);
    expect(response.headers).not.toHaveProperty('sec-websocket-protocol');
    expect(response.headers).not.toHaveProperty('sec-websocket-extensions');
  });

  it.each(['Upgrade', 'upgrade', 'UPGRADE', 'keep-alive, Upgrade', 'keep-alive,upgrade', 'Upgrade, keep-alive'])(
    'accepts Connection: %s (a token list, case-insensitive)',
    async (connection) => {
      const { port } = await h.server();
      const response = await h.request(port, upgradeRequest({ headers: { Connection: connection } }));
      expect(response.status).toBe(101);
    },
  );

  it.each(['websocket', 'WebSocket', 'WEBSOCKET'])('accepts Upgrade: %s (case-insensitive)', async (upgrade) => {
    const { port } = await h.server();
    const response = await h.request(port, upgradeRequest({ headers: { Upgrade: upgrade } }));
    expect(response.status).toBe(101);
  });

  it('accepts a request that arrives a few bytes at a time', async () => {
    const { port } = await h.server();
    const socket = await connectTcp(port, h.trackSocket);
    const request = Buffer.from(upgradeRequest());
    const response = readResponse(socket);
    for (let i = 0; i < request.length; i += 7) {
      socket.write(request.subarray(i, i + 7));
      await delay(1);
    }
    expect((await response).status).toBe(101);
  });

  it('ignores the query string when matching `path`', async () => {
    const { port } = await h.server({ path: '/ws' });
    const response = await h.request(port, upgradeRequest({ path: '/ws?token=1' }));
    expect(response.status).toBe(101);
  });

  it('completes the handshake with the ws client and emits connection with the request', async () => {
    const { url, events } = await h.server();
    await h.ws(`${url}/some/path?x=1`);
    const [connection, request] = await events.nth('connection');
    expect(request.url).toBe('/some/path?x=1');
    expect(request.headers.upgrade).toBe('websocket');
    // The connection keeps the request target, not the request (its headers, its socket).
    expect(connection.url).toBe('/some/path?x=1');
    expect('request' in connection).toBe(false);
    expect(connection.readyState).toBe(1);
    expect(connection.isOpen).toBe(true);
    expect(connection.remoteAddress).toBe('127.0.0.1');
  });

  it('still knows remoteAddress in a close listener once it was read while open', async () => {
    const { url, connection } = await h.server();
    const client = await h.ws(url);
    const { connection: opened, events } = await connection();
    expect(opened.remoteAddress).toBe('127.0.0.1');
    const seen: Array<string | undefined> = [];
    opened.on('close', () => seen.push(opened.remoteAddress));
    client.ws.close();
    await events.nth('close');
    expect(seen).toEqual(['127.0.0.1']);
  });
});

describe('RFC 6455 §4.2.1: refusing malformed requests', () => {
  it.each<[string, Record<string, string | null>]>([
    ['no Upgrade header', { Upgrade: null }],
    ['Upgrade: h2c', { Upgrade: 'h2c' }],
    ['no Connection header', { Connection: null }],
    ['Connection: keep-alive (no upgrade token)', { Connection: 'keep-alive' }],
    ['no Sec-WebSocket-Key', { 'Sec-WebSocket-Key': null }],
    ['an empty Sec-WebSocket-Key', { 'Sec-WebSocket-Key': '' }],
    ['a key of 15 bytes', { 'Sec-WebSocket-Key': keyOfBytes(15) }],
    ['a key of 17 bytes', { 'Sec-WebSocket-Key': keyOfBytes(17) }],
    ['a key that is not base64', { 'Sec-WebSocket-Key': '!!!!not*base64$$$$$$$==' }],
    ['a key with a bad padding', { 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ=' }],
    [
      'two keys (RFC 6455 §11.3.1: at most once)',
      { 'Sec-WebSocket-Key': `${RFC_KEY}\r\nSec-WebSocket-Key: ${RFC_KEY}` },
    ],
    ['no Sec-WebSocket-Version', { 'Sec-WebSocket-Version': null }],
  ])('answers 400 to %s', async (_, headers) => {
    const { port } = await h.server();
    const response = await h.request(port, upgradeRequest({ headers }));
    expect(response.status).toBe(400);
  });

  it('answers 400 to a plain HTTP GET in standalone mode', async () => {
    const { port } = await h.server();
    const response = await h.request(port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    expect(response.status).toBe(400);
  });

  it.each(['8', '7', '14'])('answers 426 to Sec-WebSocket-Version: %s', async (version) => {
    const { port } = await h.server();
    const response = await h.request(port, upgradeRequest({ headers: { 'Sec-WebSocket-Version': version } }));
    expect(response.status).toBe(426);
  });

  it('lists the supported version (13) in the 426 answer (RFC 6455 §4.4)', async () => {
    const { port } = await h.server();
    const response = await h.request(port, upgradeRequest({ headers: { 'Sec-WebSocket-Version': '8' } }));
    expect(response.headers['sec-websocket-version']).toBe('13');
  });

  it('answers 405 to a POST upgrade request', async () => {
    const { port } = await h.server();
    const response = await h.request(port, upgradeRequest({ method: 'POST', headers: { 'Content-Length': '0' } }));
    expect(response.status).toBe(405);
  });

  it('answers 404 to a path the server does not serve', async () => {
    const { port } = await h.server({ path: '/ws' });
    const response = await h.request(port, upgradeRequest({ path: '/other' }));
    expect(response.status).toBe(404);
  });

  it.each<[string, number, string]>([
    ['a bad key', 400, upgradeRequest({ headers: { 'Sec-WebSocket-Key': 'short' } })],
    ['a plain GET', 400, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n'],
    ['version 8', 426, upgradeRequest({ headers: { 'Sec-WebSocket-Version': '8' } })],
    ['a POST', 405, upgradeRequest({ method: 'POST', headers: { 'Content-Length': '0' } })],
    ['an unserved path', 404, upgradeRequest({ path: '/nope' })],
  ])('closes the connection after refusing %s', async (_, status, request) => {
    const { port } = await h.server({ path: '/' });
    const response = await h.request(port, request);
    expect(response.status).toBe(status);
    await expect(withTimeout(response.closed, 2000, 'the server to close the socket')).resolves.toBeUndefined();
  });
});

describe('handshakeTimeout', () => {
  it('drops a client that sends half a request', async () => {
    const { port } = await h.server({ handshakeTimeout: 200 });
    const socket = await connectTcp(port, h.trackSocket);
    socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n');
    const started = Date.now();
    const response = await readResponse(socket, 2000);
    expect(response.status).toBe(408);
    await withTimeout(socketClosed(socket), 2000, 'the half-open handshake to be dropped');
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });

  it('drops a client that connects and sends nothing', async () => {
    const { port } = await h.server({ handshakeTimeout: 200 });
    const socket = await connectTcp(port, h.trackSocket);
    socket.resume(); // the 408 that comes first must not hold back the end of the stream
    await expect(withTimeout(socketClosed(socket), 2000, 'the idle socket to be dropped')).resolves.toBeUndefined();
  });

  it('keeps a completed connection open past the handshake timeout', async () => {
    const { port } = await h.server({ handshakeTimeout: 100 });
    const raw = await h.raw(port);
    await delay(250);
    expect(raw.socket.destroyed).toBe(false);
  });
});
