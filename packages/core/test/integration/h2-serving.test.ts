/**
 * One `Server` on an `Http2SecureServer`: both transports on one port, shutdown, negotiation,
 * limits and flow control as on HTTP/1.1, and the modes a framework uses.
 */
import WebSocket from 'ws';
import { Server, isWebSocketConnect, type Connection } from '@ws/core';
import { delay, until } from '../helpers/events';
import { bodyOf, h2Request, openH2 } from '../helpers/h2-client';
import { useH2Harness } from '../helpers/h2-harness';
import { binary, op, text } from '../helpers/frames';

const h2 = useH2Harness();

function wsClient(port: number, protocols?: string[]): Promise<WebSocket> {
  const ws = new WebSocket(`wss://127.0.0.1:${port}/`, protocols, { ca: h2.tls.cert });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

describe('allowHTTP1: one Server answers both transports on one port', () => {
  it('takes an HTTP/1.1 upgrade and an h2 stream side by side', async () => {
    const { port, server } = await h2.server({}, { allowHTTP1: true });
    server.on('connection', (connection) => connection.send(`you came over ${connection.transport}`));
    const h1 = await wsClient(port);
    const h1Message = new Promise<string>((resolve) => h1.once('message', (data) => resolve(String(data))));
    const client = await openH2(await h2.session(port));
    expect([await h1Message, (await client.frameAt(1)).payload.toString()]).toEqual([
      'you came over h1',
      'you came over h2',
    ]);
    expect([...server.clients].map((c) => c.transport).sort()).toEqual(['h1', 'h2']);
    h1.terminate();
  });

  it('close() sends 1001 on both, finishes, and leaves the HTTP/2 server serving requests', async () => {
    const { port, server, events, httpServer } = await h2.server({}, { allowHTTP1: true });
    httpServer.on('request', (_request, response) => response.end('still here'));
    const h1 = await wsClient(port);
    const h1Closed = new Promise<number>((resolve) => h1.once('close', (code) => resolve(code)));
    const session = await h2.session(port);
    const client = await openH2(session);
    void server.close();
    expect([await h1Closed, await client.closeCode()]).toEqual([1001, 1001]);
    await events.nth('shutdown');
    const answer = await h2Request(session, { ':path': '/' });
    expect(await bodyOf(answer.stream)).toBe('still here');
  });
});

describe('negotiation as on HTTP/1.1', () => {
  it('selects a subprotocol and shows the headers event, dropping what HTTP/2 forbids', async () => {
    const { port, server } = await h2.server({ protocols: ['chat', 'superchat'] });
    server.on('headers', (headers) => headers.push('Set-Cookie: a=1', 'Connection: keep-alive', 'bad line'));
    const client = await openH2(await h2.session(port), { headers: { 'sec-websocket-protocol': 'superchat, chat' } });
    expect(client.responseHeaders['sec-websocket-protocol']).toBe('chat');
    expect(client.responseHeaders['set-cookie']).toEqual(['a=1']);
    expect(client.responseHeaders.connection).toBeUndefined();
    const [connection] = [...server.clients];
    expect(connection.protocol).toBe('chat');
  });

  it('fails a message past maxPayload with 1009', async () => {
    const { port } = await h2.server({ maxPayload: 10 });
    const client = await openH2(await h2.session(port));
    client.send(text('far more than ten bytes'));
    expect(await client.closeCode()).toBe(1009);
  });
});

describe('flow control: backpressure follows the stream', () => {
  it('buffers while the client stops reading, then drains once it reads again', async () => {
    const { port, connection } = await h2.server();
    const client = await openH2(await h2.session(port));
    const { connection: opened, events } = await connection(0);
    client.stream.pause();
    // Far past the stream's and session's flow-control windows (64 KiB each by default).
    const chunk = Buffer.alloc(256 * 1024, 1);
    for (let i = 0; i < 8; i++) opened.send(chunk);
    await delay(100);
    const buffered = opened.bufferedAmount;
    expect(buffered).toBeGreaterThan(1024 * 1024);
    expect(events.count('drain')).toBe(0);
    client.stream.resume();
    await events.nth('drain', 0, 10_000);
    await until(() => client.dataFrames().length === 8, 'every message read', 10_000);
    expect(client.dataFrames().every((f) => f.opcode === op.binary && f.payload.length === chunk.length)).toBe(true);
    expect(opened.bufferedAmount).toBe(0);
  });

  it('applies the slow-consumer limit to a stream: past maxBufferedAmount, dropped and 1013', async () => {
    const { port, connection } = await h2.server({ maxBufferedAmount: 1024 * 1024, sendHighWaterMark: 256 * 1024 });
    const client = await openH2(await h2.session(port));
    const { connection: opened } = await connection(0);
    client.stream.pause();
    const chunk = Buffer.alloc(128 * 1024, 3);
    const statuses: string[] = [];
    for (let i = 0; i < 16 && opened.isOpen; i++) statuses.push(opened.send(chunk));
    expect(statuses).toContain('backpressure');
    expect(statuses[statuses.length - 1]).toBe('dropped');
    const accepted = statuses.filter((status) => status !== 'dropped').length;
    client.stream.resume();
    // Every accepted message arrives, then the close frame.
    expect(await client.closeCode(10_000)).toBe(1013);
    expect(client.dataFrames()).toHaveLength(accepted);
  });

  it('stops reading a client that sends while never reading what it is sent', async () => {
    const { port, server } = await h2.server();
    server.on('connection', (connection: Connection) =>
      connection.on('message', (data) => connection.send(data, { binary: true })),
    );
    const client = await openH2(await h2.session(port));
    client.stream.pause();
    const payload = Buffer.alloc(64 * 1024, 2);
    // The echoes fill the server's output; past its limit the server stops reading this stream,
    // so the client's own writes stall on flow control instead of growing the server's memory.
    for (let i = 0; i < 200; i++) client.send(binary(payload));
    await delay(300);
    const [opened] = [...server.clients];
    expect(opened.bufferedAmount).toBeLessThan(200 * payload.length);
    expect(client.stream.writableLength).toBeGreaterThan(0);
    client.stream.resume();
    await until(() => client.dataFrames().length === 200, 'all 200 echoes', 15_000);
  });
});

describe('modes a framework uses', () => {
  it('works whether the application adds its request handler before or after the Server', async () => {
    const { httpServer, port } = await h2.http2();
    const server = h2.adopt(new Server({ server: httpServer }));
    httpServer.on('request', (_request, response) => response.end('page'));
    const session = await h2.session(port);
    await openH2(session);
    expect(await bodyOf((await h2Request(session, { ':path': '/' })).stream)).toBe('page');
    expect(server.clients.size).toBe(1);
  });

  it('handleStream opens a connection on a stream the application routes (no-server mode)', async () => {
    const { httpServer, port } = await h2.http2({ settings: { enableConnectProtocol: true } });
    const server = h2.adopt(new Server({ noServer: true }));
    const opened: string[] = [];
    httpServer.on('stream', (stream, headers) => {
      if (!isWebSocketConnect(headers)) return stream.respond({ ':status': 204 }, { endStream: true });
      server.handleStream(stream, headers, (connection, request) =>
        opened.push(`${connection.transport} ${request.url}`),
      );
    });
    const client = await openH2(await h2.session(port), { path: '/live' });
    await until(() => opened.length === 1, 'the callback');
    expect(opened).toEqual(['h2 /live']);
    client.sendClose(1000);
    expect(await client.closeCode()).toBe(1000);
  });

  it('several Servers on one HTTP/2 server serve their own paths', async () => {
    const { httpServer, port } = await h2.http2();
    const a = h2.adopt(new Server({ server: httpServer, path: '/a' }));
    const b = h2.adopt(new Server({ server: httpServer, path: '/b' }));
    const session = await h2.session(port);
    await Promise.all([
      openH2(session, { path: '/a' }),
      openH2(session, { path: '/b' }),
      openH2(session, { path: '/b' }),
    ]);
    expect([a.clients.size, b.clients.size]).toEqual([1, 2]);
  });
});
