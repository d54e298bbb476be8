/**
 * Standalone mode reads each request head itself (request-head.ts, standalone.ts): these pin
 * what Node's HTTP server did for it, over real sockets: the request the API hands over, the
 * first frames that come in the same packet as the head or straddle its end, the 16 KiB limit,
 * and a 400 for what is not HTTP/1.1 by the letter.
 */
import type { Connection, UpgradeRequest } from '@ws/core';
import type { IncomingMessage } from 'node:http';
import { useHarness } from '../helpers/harness';
import { text } from '../helpers/frames';
import { connectTcp, readResponse, upgradeRequest } from '../helpers/raw-http';
import { FrameReader } from '../helpers/frames';

const h = useHarness();

/** The frames that follow a 101 on `socket`, `count` of them. */
async function framesAfter(rest: Buffer, socket: import('node:net').Socket, count: number): Promise<string[]> {
  const reader = new FrameReader();
  const frames: string[] = [];
  const take = (chunk: Buffer): void => {
    for (const frame of reader.push(chunk)) frames.push(frame.payload.toString());
  };
  take(rest);
  socket.on('data', take);
  socket.resume();
  const deadline = Date.now() + 3000;
  while (frames.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  return frames;
}

describe('standalone mode reads the request head itself', () => {
  it('hands over an IncomingMessage as Node would: method, url, version, headers joined, rawHeaders as sent', async () => {
    const { port, server } = await h.server();
    const seen = new Promise<UpgradeRequest>((resolve) =>
      server.on('connection', (_c: Connection, request: UpgradeRequest) => resolve(request)),
    );
    const request = upgradeRequest({ path: '/chat?room=1' }).replace(
      /\r\n\r\n$/,
      '\r\nX-Tag:  one \r\nx-tag: two\r\nUser-Agent: a\r\nUser-Agent: b\r\n\r\n',
    );
    const socket = await connectTcp(port, h.trackSocket);
    socket.write(request);
    expect((await readResponse(socket)).status).toBe(101);
    const got = (await seen) as IncomingMessage;
    expect(got.method).toBe('GET');
    expect(got.url).toBe('/chat?room=1');
    expect(got.httpVersion).toBe('1.1');
    expect(got.complete).toBe(true);
    expect((got as { upgrade?: boolean }).upgrade).toBe(true);
    expect(got.headers['x-tag']).toBe('one, two');
    expect(got.headers['user-agent']).toBe('a'); // Node keeps the first of a field that may not repeat
    expect(got.rawHeaders).toEqual(expect.arrayContaining(['X-Tag', 'one', 'x-tag', 'two']));
    expect(got.socket.remotePort).toBe(socket.localPort);
  });

  it('keeps the first frames sent in the same write as the head', async () => {
    const { port, server } = await h.server();
    server.on('message', (data: string | Buffer, c: Connection) => c.send(data));
    const socket = await connectTcp(port, h.trackSocket);
    socket.write(Buffer.concat([Buffer.from(upgradeRequest()), text('first'), text('second')]));
    const response = await readResponse(socket);
    expect(response.status).toBe(101);
    expect(await framesAfter(response.rest, socket, 2)).toEqual(['first', 'second']);
  });

  it('finds the end of a head cut inside its blank line, with a frame after it in the second piece', async () => {
    const { port, server } = await h.server();
    server.on('message', (data: string | Buffer, c: Connection) => c.send(data));
    const socket = await connectTcp(port, h.trackSocket);
    const request = Buffer.from(upgradeRequest());
    socket.write(request.subarray(0, request.length - 3)); // ends in "\r"
    await new Promise((r) => setTimeout(r, 30));
    socket.write(Buffer.concat([request.subarray(request.length - 3), text('after')]));
    const response = await readResponse(socket);
    expect(response.status).toBe(101);
    expect(await framesAfter(response.rest, socket, 1)).toEqual(['after']);
  });

  it('keeps frames sent apart after the head, in order, while an async verifyClient decides', async () => {
    const { port, server } = await h.server({
      verifyClient: () => new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 150)),
    });
    server.on('message', (data: string | Buffer, c: Connection) => c.send(data));
    const socket = await connectTcp(port, h.trackSocket);
    socket.write(upgradeRequest());
    await new Promise((r) => setTimeout(r, 30));
    socket.write(text('one'));
    await new Promise((r) => setTimeout(r, 30));
    socket.write(text('two'));
    const response = await readResponse(socket);
    expect(response.status).toBe(101);
    expect(await framesAfter(response.rest, socket, 2)).toEqual(['one', 'two']);
  });

  it('closes a connection that sent nothing, without an answer', async () => {
    const { port, server } = await h.server();
    const socket = await connectTcp(port, h.trackSocket);
    let received = 0;
    socket.on('data', (chunk: Buffer) => (received += chunk.length));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.end();
    await closed;
    expect(received).toBe(0);
    expect(server.handshakeDeadlines.size).toBe(0);
  });

  it('reads a head sent a few bytes at a time', async () => {
    const { port } = await h.server();
    const socket = await connectTcp(port, h.trackSocket);
    const request = upgradeRequest();
    for (let i = 0; i < request.length; i += 7) {
      socket.write(request.slice(i, i + 7));
      await new Promise((r) => setTimeout(r, 1));
    }
    expect((await readResponse(socket)).status).toBe(101);
  });

  it('answers 400 to a request whose sender ends before its head does, and closes', async () => {
    const { port, server } = await h.server();
    const socket = await connectTcp(port, h.trackSocket);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.end(upgradeRequest().slice(0, 40)); // half-closes: the rest never comes
    expect((await readResponse(socket)).status).toBe(400);
    await closed;
    expect(server.handshakeDeadlines.size).toBe(0);
  });

  it('answers 431 to a head past 16 KiB and closes', async () => {
    const { port, server } = await h.server();
    const socket = await connectTcp(port, h.trackSocket);
    const big = upgradeRequest().replace(/\r\n\r\n$/, `\r\nX-Big: ${'b'.repeat(17 * 1024)}\r\n\r\n`);
    socket.write(big);
    expect((await readResponse(socket)).status).toBe(431);
    await new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));
    expect(server.handshakeDeadlines.size).toBe(0);
  });

  it('answers HTTP/2.0 in a request line with 505, and reads HTTP/1.2 as 1.1', async () => {
    const { port } = await h.server();
    expect((await h.request(port, upgradeRequest().replace('HTTP/1.1', 'HTTP/2.0'))).status).toBe(505);
    expect((await h.request(port, upgradeRequest().replace('HTTP/1.1', 'HTTP/1.2'))).status).toBe(101);
  });

  it('answers a plain GET on another path with 404, and on its path with 400', async () => {
    const { port } = await h.server({ path: '/ws' });
    expect((await h.request(port, 'GET /other HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')).status).toBe(404);
    expect((await h.request(port, 'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')).status).toBe(400);
  });

  it.each<[string, string]>([
    ['a bare LF as a line end', upgradeRequest().replace('\r\nUpgrade', '\nUpgrade')],
    [
      'a folded header line (obs-fold)',
      upgradeRequest().replace('\r\nUpgrade: websocket', '\r\nUpgrade:\r\n websocket'),
    ],
    ['a space before the colon', upgradeRequest().replace('Upgrade: websocket', 'Upgrade : websocket')],
    ['a NUL in a value', upgradeRequest().replace('Upgrade: websocket', 'Upgrade: web\0socket')],
    ['a line without a colon', upgradeRequest().replace('\r\n\r\n', '\r\nno colon here\r\n\r\n')],
    ['a request line with two spaces', upgradeRequest().replace('GET / HTTP/1.1', 'GET  / HTTP/1.1')],
    ['no request line, only bytes', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n'],
  ])('answers %s with 400', async (_name, request) => {
    const { port } = await h.server();
    expect((await h.request(port, request)).status).toBe(400);
  });
});
