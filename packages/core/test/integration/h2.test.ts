/**
 * WebSockets over HTTP/2 (RFC 8441): Node's own `http2` client opens extended CONNECT streams on
 * an `Http2SecureServer` the core `Server` is attached to, and speaks RFC 6455 frames over them.
 */
import { Http2ServerRequest, constants } from 'node:http2';
import type { Connection } from '@ws/core';
import { delay, until } from '../helpers/events';
import { bodyOf, h2Request, openH2 } from '../helpers/h2-client';
import { useH2Harness } from '../helpers/h2-harness';
import { binary, close, continuation, frame, op, ping, text } from '../helpers/frames';

const h2 = useH2Harness();

/** Echoes every message back as it came (text as text, binary as binary). */
function echo(connection: Connection): void {
  connection.on('message', (data, isBinary) => connection.send(data, { binary: isBinary }));
}

describe('RFC 8441 §3: the server allows the extended CONNECT', () => {
  it('sends SETTINGS_ENABLE_CONNECT_PROTOCOL = 1', async () => {
    const { port } = await h2.server();
    const session = await h2.session(port);
    expect(session.remoteSettings.enableConnectProtocol).toBe(true);
  });
});

describe('RFC 8441 §5: the opening handshake on a stream', () => {
  it('answers :status 200 without Sec-WebSocket-Accept, and opens an h2 connection', async () => {
    const { port, server, events, connection } = await h2.server({ path: '/ws' });
    const client = await openH2(await h2.session(port), { path: '/ws?room=1' });
    expect(client.responseHeaders[':status']).toBe(200);
    expect(client.responseHeaders['sec-websocket-accept']).toBeUndefined();
    const { connection: opened } = await connection(0);
    const [, request] = await events.nth('connection');
    expect(opened.transport).toBe('h2');
    expect(opened.remoteAddress).toBe('127.0.0.1');
    expect(opened.url).toBe('/ws?room=1');
    expect(request).toBeInstanceOf(Http2ServerRequest);
    expect([request.method, request.url, request.headers[':protocol']]).toEqual(['CONNECT', '/ws?room=1', 'websocket']);
    expect(server.clients.size).toBe(1);
  });
});

describe('RFC 6455 frames over the stream', () => {
  it('echoes text, binary and a fragmented message', async () => {
    const { port, server } = await h2.server();
    server.on('connection', echo);
    const client = await openH2(await h2.session(port));
    client.send(text('héllo'), binary(Buffer.from([1, 2, 3])));
    client.send(text('frag', false), continuation('men', false), continuation('ted'));
    const frames = [await client.frameAt(1), await client.frameAt(2), await client.frameAt(3)];
    expect(frames.map((f) => [f.opcode, f.masked, f.payload.toString('latin1')])).toEqual([
      [op.text, false, Buffer.from('héllo').toString('latin1')],
      [op.binary, false, '\x01\x02\x03'],
      [op.text, false, 'fragmented'],
    ]);
  });

  it('answers a ping with a pong carrying its payload, and measures latency from its own ping', async () => {
    const { port, connection } = await h2.server();
    const client = await openH2(await h2.session(port));
    client.send(ping('are you there'));
    expect((await client.nextOfOpcode(op.pong)).payload.toString()).toBe('are you there');
    const { connection: opened, events } = await connection(0);
    opened.ping('from server');
    const serverPing = await client.nextOfOpcode(op.ping);
    client.send(frame({ opcode: op.pong, payload: serverPing.payload }));
    await events.nth('pong');
    expect(opened.latency).toBeGreaterThanOrEqual(0);
  });

  it('carries a 1 MiB message in both directions', async () => {
    const { port, server } = await h2.server();
    server.on('connection', echo);
    const client = await openH2(await h2.session(port));
    const payload = Buffer.alloc(1024 * 1024, 7);
    client.send(binary(payload));
    const echoed = await client.frameAt(1, 10_000);
    expect(echoed.payload.equals(payload)).toBe(true);
  });

  it('fails an unmasked client frame with 1002 and ends the stream', async () => {
    const { port, events } = await h2.server();
    const client = await openH2(await h2.session(port));
    client.send(frame({ opcode: op.text, payload: 'x', mask: false }));
    expect(await client.closeCode()).toBe(1002);
    await client.closed;
    const [, code, , wasClean] = await events.nth('close');
    // After a failure the server reads no more (RFC 6455 §7.1.7), so the echo goes unseen.
    expect([code, wasClean]).toEqual([1006, false]);
  });
});

describe('closing: every path ends the stream, and only that stream', () => {
  it('a close from the client is echoed, the server ends the stream, the close is clean', async () => {
    const { port, events } = await h2.server();
    const client = await openH2(await h2.session(port));
    client.sendClose(1000, 'done');
    const echoed = await client.closeInfoOrLoss();
    expect(echoed.code).toBe(1000);
    await client.closed;
    expect((await events.nth('close')).slice(1)).toEqual([1000, 'done', true]);
  });

  it('close() from the server sends its code, and the stream ends after the echo', async () => {
    const { port, connection } = await h2.server();
    const client = await openH2(await h2.session(port));
    const { connection: opened, events } = await connection(0);
    opened.close(4001, 'bye');
    expect(await client.closeInfoOrLoss()).toMatchObject({ code: 4001, reason: 'bye' });
    await client.closed;
    const [code, , wasClean] = await events.nth('close');
    expect([code, wasClean]).toEqual([4001, true]);
    expect(client.stream.rstCode).toBe(constants.NGHTTP2_NO_ERROR);
  });

  it('terminate() resets the stream (RST_STREAM) and reports 1006', async () => {
    const { port, connection } = await h2.server();
    const client = await openH2(await h2.session(port));
    client.stream.removeAllListeners('end'); // see the reset, not an END_STREAM answered at once
    const { connection: opened, events } = await connection(0);
    opened.terminate();
    expect(await client.closeCode()).toBe(1006);
    expect(client.stream.rstCode).toBe(constants.NGHTTP2_CANCEL);
    expect((await events.nth('close'))[0]).toBe(1006);
  });

  it('a peer that never echoes the close is reset after closeTimeout', async () => {
    const { port, connection } = await h2.server({ closeTimeout: 200 });
    const client = await openH2(await h2.session(port), { echoClose: false });
    client.stream.removeAllListeners('end'); // and never ends its side either
    const { connection: opened, events } = await connection(0);
    opened.close(1000);
    await client.closed;
    const [code, , wasClean] = await events.nth('close');
    expect([code, wasClean]).toEqual([1006, false]);
    expect(client.stream.rstCode).toBe(constants.NGHTTP2_CANCEL);
  });

  it("a stream reset mid-message is 1006, and the session's other streams carry on", async () => {
    const { port, server, events } = await h2.server();
    server.on('connection', echo);
    const session = await h2.session(port);
    const doomed = await openH2(session);
    const survivor = await openH2(session);
    doomed.send(text('half a mess', false));
    await until(() => server.clients.size === 2, 'both connections');
    doomed.stream.close(constants.NGHTTP2_CANCEL);
    const [closed, code, , wasClean] = await events.nth('close');
    expect([code, wasClean]).toEqual([1006, false]);
    expect(server.clients.has(closed)).toBe(false);
    survivor.send(text('still here'));
    expect((await survivor.frameAt(1)).payload.toString()).toBe('still here');
    expect(server.clients.size).toBe(1);
  });

  it('a session destroyed with WebSockets open closes each with 1006', async () => {
    const { port, events } = await h2.server();
    const session = await h2.session(port);
    await Promise.all([openH2(session), openH2(session), openH2(session)]);
    session.destroy();
    await events.nth('close', 2);
    expect(events.all('close').map(([, code, , wasClean]) => [code, wasClean])).toEqual([
      [1006, false],
      [1006, false],
      [1006, false],
    ]);
  });

  it('a GOAWAY with an error code loses the session: 1006', async () => {
    const { port, events } = await h2.server();
    const session = await h2.session(port);
    await openH2(session);
    session.goaway(constants.NGHTTP2_PROTOCOL_ERROR);
    const [, code] = await events.nth('close');
    expect(code).toBe(1006);
  });

  it('a GOAWAY without error lets open WebSockets finish (RFC 9113 §6.8)', async () => {
    const { port, server } = await h2.server();
    server.on('connection', echo);
    const session = await h2.session(port);
    const client = await openH2(session);
    session.goaway(constants.NGHTTP2_NO_ERROR);
    await delay(50);
    client.send(text('after goaway'));
    expect((await client.frameAt(1)).payload.toString()).toBe('after goaway');
  });
});

describe('one session, many streams', () => {
  it('serves several WebSockets and ordinary requests on one connection at once', async () => {
    const { port, server } = await h2.server(
      { path: '/ws' },
      { onRequest: (request, response) => response.end(`page ${request.url}`) },
    );
    server.on('connection', echo);
    const sessions: unknown[] = [];
    server.options.server!.on('session', (s: unknown) => sessions.push(s));
    const session = await h2.session(port);
    const clients = await Promise.all([1, 2, 3].map(() => openH2(session, { path: '/ws' })));
    const pages = [1, 2, 3].map(async (n) => {
      const answer = await h2Request(session, { ':path': `/p${n}` });
      return bodyOf(answer.stream);
    });
    clients.forEach((client, i) => client.send(text(`socket ${i}`)));
    expect(await Promise.all(pages)).toEqual(['page /p1', 'page /p2', 'page /p3']);
    const echoes = await Promise.all(clients.map((client) => client.frameAt(1)));
    expect(echoes.map((f) => f.payload.toString())).toEqual(['socket 0', 'socket 1', 'socket 2']);
    expect([...server.clients].map((c) => c.transport)).toEqual(['h2', 'h2', 'h2']);
    clients[0].sendClose(1000);
    await clients[0].closed;
    clients[1].send(close(1000));
    await clients[1].closed;
    clients[2].send(text('last'));
    expect((await clients[2].frameAt(1 + 1)).payload.toString()).toBe('last');
    expect(session.destroyed).toBe(false);
    expect(sessions).toHaveLength(1);
  });
});
