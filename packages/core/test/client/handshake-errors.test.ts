/**
 * RFC 6455 §4.1 from the client's side, against a raw `net` server that answers each handshake
 * as the test says: every broken rule rejects `connect()` with its HandshakeError code, and
 * nothing hangs (a silent server meets handshakeTimeout).
 */
import * as http from 'node:http';
import { HandshakeError, connect, type ClientOptions } from '@ws/core';
import { useClients } from '../helpers/client';
import { useHarness, portOf } from '../helpers/harness';
import { expectedAccept } from '../helpers/raw-ws-client';
import { type RawPeer, useRawServers } from '../helpers/raw-ws-server';
import { until, withTimeout } from '../helpers/events';

const raw = useRawServers();
const h = useHarness();
const c = useClients();

/** The HandshakeError `opening` rejects with (a connection it resolves with fails the test). */
async function rejectionOf(opening: Promise<unknown>): Promise<HandshakeError> {
  const outcome = await opening.then(
    () => new Error('connect() resolved'),
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(HandshakeError);
  return outcome as HandshakeError;
}

/** connect() to a raw server that answers with `answer`; resolves with the rejection. */
async function refusal(answer: (peer: RawPeer) => void, options: ClientOptions = {}): Promise<HandshakeError> {
  const server = await raw.start(answer);
  const outcome = await withTimeout(
    connect(server.url, { handshakeTimeout: 5000, ...options }).then(
      (connection) => {
        connection.terminate();
        throw new Error('connect() resolved');
      },
      (error: unknown) => error,
    ),
    8000,
    'connect() to settle',
  );
  expect(outcome).toBeInstanceOf(HandshakeError);
  return outcome as HandshakeError;
}

describe('the request (RFC 6455 §4.1)', () => {
  it('is a GET with every handshake header and a fresh 16-byte key', async () => {
    const keys: string[] = [];
    const server = await raw.start((peer) => {
      keys.push(peer.header('sec-websocket-key')!);
      expect(peer.request.split('\r\n')[0]).toBe('GET /chat?room=1 HTTP/1.1');
      expect(peer.header('host')).toBe(`127.0.0.1:${peer.socket.localPort}`);
      expect(peer.header('upgrade')).toBe('websocket');
      expect(peer.header('connection')).toBe('Upgrade');
      expect(peer.header('sec-websocket-version')).toBe('13');
      expect(peer.header('sec-websocket-protocol')).toBe('a, b');
      expect(peer.header('sec-websocket-extensions')).toBeUndefined();
      peer.accept(['Sec-WebSocket-Protocol: b']);
    });
    for (let i = 0; i < 2; i++) {
      const { connection } = await c.connect(`${server.url}/chat?room=1`, { protocols: ['a', 'b'] });
      expect(connection.protocol).toBe('b');
    }
    expect(keys[0]).not.toBe(keys[1]);
    for (const key of keys) expect(Buffer.from(key, 'base64')).toHaveLength(16);
  });
});

describe('response rules: each refused with its code', () => {
  it.each([
    ['a 200', (p: RawPeer) => p.answer('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'), 'ERR_WS_STATUS'],
    ['a 403', (p: RawPeer) => p.answer('HTTP/1.1 403 Forbidden\r\n\r\n'), 'ERR_WS_STATUS'],
    ['no Upgrade header', (p: RawPeer) => p.accept([], ['upgrade']), 'ERR_WS_UPGRADE'],
    ['Upgrade: h2c', (p: RawPeer) => p.accept(['Upgrade: h2c']), 'ERR_WS_UPGRADE'],
    ['no Connection header', (p: RawPeer) => p.accept([], ['connection']), 'ERR_WS_CONNECTION'],
    ['Connection without upgrade', (p: RawPeer) => p.accept(['Connection: keep-alive']), 'ERR_WS_CONNECTION'],
    [
      'a wrong accept key',
      (p: RawPeer) => p.accept(['Sec-WebSocket-Accept: dGhlIHNhbXBsZSBub25jZQ==']),
      'ERR_WS_ACCEPT_KEY',
    ],
    ['no accept key', (p: RawPeer) => p.accept([], ['sec-websocket-accept']), 'ERR_WS_ACCEPT_KEY'],
    ['an unoffered subprotocol', (p: RawPeer) => p.accept(['Sec-WebSocket-Protocol: other']), 'ERR_WS_SUBPROTOCOL'],
    ['two subprotocols', (p: RawPeer) => p.accept(['Sec-WebSocket-Protocol: a, b']), 'ERR_WS_SUBPROTOCOL'],
    [
      'an unoffered extension',
      (p: RawPeer) => p.accept(['Sec-WebSocket-Extensions: permessage-deflate']),
      'ERR_WS_EXTENSION',
    ],
    [
      'a malformed status line',
      (p: RawPeer) => p.answer('HTTP/1.1 101\r\n\r\n'.replace('101', 'abc')),
      'ERR_WS_RESPONSE',
    ],
    [
      'a malformed header line',
      (p: RawPeer) => p.answer('HTTP/1.1 101 Switching Protocols\r\nno colon\r\n\r\n'),
      'ERR_WS_RESPONSE',
    ],
    [
      'a head past 16 KiB',
      (p: RawPeer) => p.answer(`HTTP/1.1 101 OK\r\nX: ${'a'.repeat(17_000)}\r\n\r\n`),
      'ERR_WS_RESPONSE',
    ],
    ['a close before the head ends', (p: RawPeer) => p.socket.end('HTTP/1.1 101 Switching'), 'ERR_WS_RESPONSE'],
  ])('%s', async (_what, answer, code) => {
    const error = await refusal(answer, { protocols: ['a', 'b'] });
    expect(error.code).toBe(code);
    expect(error.message.length).toBeGreaterThan(10);
  });

  it('names the status of a refusal', async () => {
    const error = await refusal((p) => p.answer('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
    expect(error.status).toBe(200);
    expect(error.message).toMatch(/200 OK, not 101/);
  });

  it('refuses a subprotocol when none was offered', async () => {
    const error = await refusal((p) => p.accept(['Sec-WebSocket-Protocol: chat']));
    expect(error.code).toBe('ERR_WS_SUBPROTOCOL');
    expect(error.message).toMatch(/none was offered/);
  });

  it('accepts an answer without a subprotocol (the server declined them)', async () => {
    const server = await raw.start((p) => p.accept());
    const { connection } = await c.connect(server.url, { protocols: ['a'] });
    expect(connection.protocol).toBe('');
  });

  it('accepts header names and the Upgrade value in any case', async () => {
    const server = await raw.start((p) =>
      p.accept([
        'UPGRADE: WebSocket',
        'connection: keep-alive, UPGRADE',
        `sec-websocket-accept: ${expectedAccept(p.header('sec-websocket-key')!)}`,
      ]),
    );
    const { connection } = await c.connect(server.url);
    expect(connection.readyState).toBe(1);
  });

  it('succeeds on a response trickled one byte at a time, with a frame behind it', async () => {
    const server = await raw.start((peer) => {
      const bytes = Buffer.concat([
        Buffer.from(
          'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
            `Sec-WebSocket-Accept: ${expectedAccept(peer.header('sec-websocket-key')!)}\r\n\r\n`,
        ),
        Buffer.from([0x81, 0x02, 0x68, 0x69]), // text "hi", unmasked
      ]);
      let i = 0;
      const timer = setInterval(() => {
        if (peer.socket.destroyed) return clearInterval(timer);
        peer.socket.write(bytes.subarray(i, i + 1));
        if (++i === bytes.length) clearInterval(timer);
      }, 1);
    });
    const { events } = await c.connect(server.url);
    expect(await events.nth('message', 0, 5000)).toEqual(['hi', false]);
  });
});

describe('no answer, and giving up', () => {
  it('rejects with ERR_WS_TIMEOUT when the server never answers', async () => {
    const started = Date.now();
    const error = await refusal(() => undefined, { handshakeTimeout: 300 });
    expect(error.code).toBe('ERR_WS_TIMEOUT');
    expect(error.message).toMatch(/300 ms \(handshakeTimeout\)/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('rejects with ERR_WS_TIMEOUT on a head that never ends', async () => {
    const error = await refusal((p) => p.answer('HTTP/1.1 101 Switching Protocols\r\n'), { handshakeTimeout: 300 });
    expect(error.code).toBe('ERR_WS_TIMEOUT');
  });

  it('rejects with ERR_WS_ABORTED when the signal aborts, and closes the socket', async () => {
    const controller = new AbortController();
    const server = await raw.start(() => setTimeout(() => controller.abort(), 20));
    await expect(connect(server.url, { signal: controller.signal })).rejects.toMatchObject({ code: 'ERR_WS_ABORTED' });
    await until(() => server.peers[0].ended, 'the client to close its socket');
  });

  it('rejects at once with an already aborted signal', async () => {
    const server = await raw.start(() => undefined);
    await expect(connect(server.url, { signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'ERR_WS_ABORTED',
    });
  });

  it('rejects with the network error when nothing listens', async () => {
    const server = await raw.start(() => undefined);
    await raw.cleanup();
    await expect(connect(server.url)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe('redirects', () => {
  /** An HTTP server answering every upgrade with `status` and `Location: location(port)`. */
  async function redirector(status: number, location: (port: number) => string) {
    const server = http.createServer();
    let hits = 0;
    server.on('upgrade', (_request, socket) => {
      hits++;
      socket.end(
        `HTTP/1.1 ${status} Moved\r\nLocation: ${location(portOf(server.address()))}\r\nContent-Length: 0\r\n\r\n`,
      );
    });
    const { port } = await h.httpServer(server);
    return { port, hits: () => hits };
  }

  it('are not followed by default: ERR_WS_STATUS with the status', async () => {
    const { port } = await redirector(302, () => 'ws://127.0.0.1:1/elsewhere');
    const error = await rejectionOf(connect(`ws://127.0.0.1:${port}/`));
    expect(error).toMatchObject({ code: 'ERR_WS_STATUS', status: 302 });
    expect(error.message).toMatch(/followRedirects/);
  });

  it('are followed with followRedirects, to a relative or http: Location', async () => {
    const { port: target, connection: serverSide } = await h.server();
    const first = await redirector(301, () => `http://127.0.0.1:${target}/final`);
    const second = await redirector(307, () => `ws://127.0.0.1:${first.port}/`);
    const { connection } = await c.connect(`ws://127.0.0.1:${second.port}/start`, { followRedirects: true });
    expect(connection.readyState).toBe(1);
    expect((await serverSide()).connection.url).toBe('/final');
  });

  it('drop Authorization and Cookie on a redirect to another host or port, keep other headers', async () => {
    const { port: target, events: serverEvents } = await h.server();
    const sameHost = await redirector(302, () => `ws://localhost:${target}/end`);
    const otherHost = await redirector(302, () => `ws://localhost:${sameHost.port}/`);
    await c.connect(`ws://127.0.0.1:${otherHost.port}/`, {
      followRedirects: true,
      headers: { Authorization: 'Bearer secret', Cookie: 'a=1', 'X-Keep': 'kept' },
    });
    const [, { headers }] = await serverEvents.nth('connection');
    expect([headers.authorization, headers.cookie, headers['x-keep']]).toEqual([undefined, undefined, 'kept']);
  });

  it('end a loop at maxRedirects with ERR_WS_REDIRECT naming the limit', async () => {
    const loop = await redirector(302, (port) => `ws://127.0.0.1:${port}/again`);
    const error = await rejectionOf(
      connect(`ws://127.0.0.1:${loop.port}/`, { followRedirects: true, maxRedirects: 3 }),
    );
    expect(error).toMatchObject({ code: 'ERR_WS_REDIRECT' });
    expect(error.message).toMatch(/more than 3 redirects \(maxRedirects\)/);
    expect(loop.hits()).toBe(4);
  });

  it('default to at most 10', async () => {
    const loop = await redirector(308, () => '/again');
    const error = await rejectionOf(connect(`ws://127.0.0.1:${loop.port}/`, { followRedirects: true }));
    expect(error.message).toMatch(/more than 10 redirects/);
    expect(loop.hits()).toBe(11);
  });

  it('refuse a Location that is not a WebSocket URL', async () => {
    const { port } = await redirector(302, () => 'ftp://127.0.0.1/');
    await expect(connect(`ws://127.0.0.1:${port}/`, { followRedirects: true })).rejects.toMatchObject({
      code: 'ERR_WS_REDIRECT',
    });
  });
});
