/**
 * Refused extended CONNECTs are HTTP/2 responses on their stream (RFC 8441 §5 leaves the
 * statuses to HTTP): the same statuses as on HTTP/1.1, and the session stays usable.
 */
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { Server } from '@ws/core';
import { delay } from '../helpers/events';
import { bodyOf, connectHeaders, h2Request, openH2 } from '../helpers/h2-client';
import { useH2Harness } from '../helpers/h2-harness';

const h2 = useH2Harness();

async function refusal(port: number, path: string, overrides: Record<string, string | null> = {}) {
  const answer = await h2Request(await h2.session(port), connectHeaders(path, overrides));
  return { status: answer.status, headers: answer.headers, body: await bodyOf(answer.stream) };
}

describe('refusals over HTTP/2', () => {
  it.each([
    ['no Sec-WebSocket-Version', { 'sec-websocket-version': null }, 400],
    ['a malformed Sec-WebSocket-Protocol', { 'sec-websocket-protocol': 'a b' }, 400],
    ['a malformed Sec-WebSocket-Extensions', { 'sec-websocket-extensions': 'x;;' }, 400],
  ])('answers 400 to an extended CONNECT with %s', async (_name, overrides, status) => {
    const { port, server } = await h2.server();
    expect((await refusal(port, '/', overrides)).status).toBe(status);
    expect(server.clients.size).toBe(0);
  });

  it('answers 426 with Sec-WebSocket-Version: 13 to another version', async () => {
    const { port } = await h2.server();
    const answer = await refusal(port, '/', { 'sec-websocket-version': '8' });
    expect([answer.status, answer.headers['sec-websocket-version']]).toEqual([426, '13']);
  });

  it('answers 404 for another path, and the session goes on', async () => {
    const { port } = await h2.server({ path: '/ws' });
    const session = await h2.session(port);
    const answer = await h2Request(session, connectHeaders('/other'));
    expect([answer.status, await bodyOf(answer.stream)]).toEqual([404, 'No WebSocket endpoint at this path']);
    await expect(openH2(session, { path: '/ws' })).resolves.toBeDefined();
  });

  it('answers 403 to an Origin that allowedOrigins does not admit, before verifyClient', async () => {
    let verified = 0;
    const { port } = await h2.server({
      allowedOrigins: ['https://app.example'],
      verifyClient: () => (verified++, true),
    });
    expect((await refusal(port, '/', { origin: 'https://evil.example' })).status).toBe(403);
    await expect(openH2(await h2.session(port), { headers: { origin: 'https://app.example' } })).resolves.toBeDefined();
    expect(verified).toBe(1);
  });

  it('answers 503 to an extended CONNECT that arrives while close() waits for clients', async () => {
    const { port, server } = await h2.server({ closeTimeout: 2000 });
    const session = await h2.session(port);
    await openH2(session, { echoClose: false }); // keeps close() waiting
    void server.close();
    const answer = await h2Request(session, connectHeaders('/'));
    expect(answer.status).toBe(503);
  });

  it('answers 503 with Retry-After past maxConnections', async () => {
    const { port } = await h2.server({ maxConnections: 1 });
    const session = await h2.session(port);
    await openH2(session);
    const answer = await h2Request(session, connectHeaders('/'));
    expect([answer.status, answer.headers['retry-after']]).toEqual([503, '1']);
  });

  it('counts h2 streams and h1 sockets against one maxConnections', async () => {
    const { port, server } = await h2.server({ maxConnections: 1 }, { allowHTTP1: true });
    await openH2(await h2.session(port));
    const { default: WebSocket } = await import('ws');
    const ws = new WebSocket(`wss://127.0.0.1:${port}/`, { ca: h2.tls.cert });
    ws.on('error', () => undefined);
    const status = await new Promise<number>((resolve) => {
      ws.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      ws.on('open', () => resolve(101));
    });
    ws.terminate();
    expect([status, server.clients.size]).toEqual([503, 1]);
  });

  it("answers verifyClient's status, message and headers (unsafe headers dropped)", async () => {
    const { port } = await h2.server({
      verifyClient: (request) =>
        request.headers['x-token'] === 'ok'
          ? true
          : {
              status: 403,
              message: 'no token',
              headers: { 'x-reason': 'token', connection: 'close', 'bad\nname': 'x' },
            },
    });
    const answer = await refusal(port, '/');
    expect([answer.status, answer.body, answer.headers['x-reason'], answer.headers.connection]).toEqual([
      403,
      'no token',
      'token',
      undefined,
    ]);
    await expect(openH2(await h2.session(port), { headers: { 'x-token': 'ok' } })).resolves.toBeDefined();
  });

  it('answers 401 when verifyClient says false, 500 when it throws (and reports the error)', async () => {
    const { port, events } = await h2.server({
      verifyClient: (request) => {
        if (request.headers['x-mode'] === 'throw') throw new Error('verify blew up');
        return false;
      },
    });
    expect((await refusal(port, '/')).status).toBe(401);
    expect((await refusal(port, '/', { 'x-mode': 'throw' })).status).toBe(500);
    expect((await events.nth('error'))[0].message).toBe('verify blew up');
  });

  it('answers 503 to a handshake still waiting on verifyClient when the server closes', async () => {
    const { port, server } = await h2.server({ verifyClient: () => new Promise<boolean>(() => undefined) });
    const pending = h2Request(await h2.session(port), connectHeaders('/'));
    await delay(50);
    void server.close();
    expect((await pending).status).toBe(503);
  });

  it('answers 408 when verifyClient outlasts handshakeTimeout', async () => {
    const { port } = await h2.server({
      handshakeTimeout: 100,
      verifyClient: () => new Promise<boolean>(() => undefined),
    });
    expect((await refusal(port, '/')).status).toBe(408);
  });

  it('answers 503 to a stream handed to a closed server (no-server mode)', async () => {
    // Without an attached Server, the application allows the extended CONNECT itself.
    const { httpServer, port } = await h2.http2({ settings: { enableConnectProtocol: true } });
    const server = h2.adopt(new Server({ noServer: true }));
    httpServer.on('stream', (stream, headers) => server.handleStream(stream, headers));
    void server.close();
    expect((await refusal(port, '/')).status).toBe(503);
  });

  it('answers 400 to an ordinary request handed to handleStream', async () => {
    const { httpServer, port } = await h2.http2();
    const server = h2.adopt(new Server({ noServer: true }));
    httpServer.on('stream', (stream, headers) => server.handleStream(stream, headers));
    const answer = await h2Request(await h2.session(port), { ':path': '/' });
    expect(answer.status).toBe(400);
  });
});

describe("other CONNECTs are the application's", () => {
  it("leaves a :protocol other than websocket to the application's connect handler", async () => {
    const { port, httpServer } = await h2.server({}, { onRequest: (_request, response) => response.end('page') });
    httpServer.on('connect', (request: Http2ServerRequest, response: Http2ServerResponse) => {
      if (request.headers[':protocol'] === 'websocket') return; // ours, as the README says
      response.writeHead(418);
      response.end(String(request.headers[':protocol']));
    });
    const answer = await refusal(port, '/', { ':protocol': 'connect-udp' });
    expect([answer.status, answer.body]).toEqual([418, 'connect-udp']);
    // …while WebSockets on the same server still open.
    await expect(openH2(await h2.session(port))).resolves.toBeDefined();
  });

  it('answers 405 to another CONNECT when the application has no connect handler, as Node would', async () => {
    const { port } = await h2.server({}, { onRequest: (_request, response) => response.end('page') });
    expect((await refusal(port, '/', { ':protocol': 'connect-udp' })).status).toBe(405);
  });
});
