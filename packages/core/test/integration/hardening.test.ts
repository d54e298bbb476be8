/**
 * Hostile peers and malformed handshakes (README, "Limits against hostile peers" and "Errors and
 * close codes"): regression tests for defects found in review. Memory is measured in a server
 * of its own process, after a full GC (helpers/hardening-child.ts); everything else talks to a
 * server in this process, over real sockets on 127.0.0.1.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Server as HttpServer } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import { Server, WebSocketError } from '@ws/core';
import { delay, until, withTimeout } from '../helpers/events';
import { FrameReader, frame, op, ping, text } from '../helpers/frames';
import {
  startServerProcess,
  useServerProcesses,
  type ServerProcess,
  type ServerProcessStats,
} from '../helpers/hardening-child';
import { failingDecode } from '../helpers/hardening-extensions';
import { frameHeaderWithKey, frameWithLengthForm, oneBytePerFrame } from '../helpers/hardening-frames';
import { useHarness } from '../helpers/harness';
import { connectTcp, readResponse, upgradeRequest, type RawResponse } from '../helpers/raw-http';

const h = useHarness();
const serverProcess = useServerProcesses();

const MiB = 1024 * 1024;
const sha1 = (data: Buffer): string => createHash('sha1').update(data).digest('hex');
/** What the heap and Buffers hold, together: a payload may sit in either. */
const retained = (stats: ServerProcessStats): number => stats.heapUsed + stats.arrayBuffers;

/** A raw client past a 101, its socket paused (it reads nothing until the test resumes it). */
async function openPaused(port: number, track: (socket: Socket) => void = h.trackSocket): Promise<RawResponse> {
  const socket = await connectTcp(port, track);
  socket.write(upgradeRequest());
  const response = await readResponse(socket);
  expect(response.status).toBe(101);
  return response;
}

/** Writes `data` honouring backpressure, so the client's own buffers stay small. */
async function write(socket: Socket, data: Buffer): Promise<void> {
  if (socket.write(data)) return;
  await withTimeout(new Promise((resolve) => socket.once('drain', resolve)), 10_000, 'client socket drain');
}

describe('README limits: a client that floods pings and never reads what it is sent', () => {
  // One flood, examined by the tests below in order: each flood takes seconds.
  const PING = ping(Buffer.alloc(125, 0x70));
  const BATCH = Buffer.concat(Array.from({ length: 1000 }, () => PING));
  const FLOOD_BYTES = 64 * MiB;
  const FLOOD_MS = 2500;
  let server: ServerProcess;
  let socket: Socket;
  let before: ServerProcessStats;
  let after: ServerProcessStats;
  let written = 0;

  beforeAll(async () => {
    server = await startServerProcess({}, { echo: true });
    // Not the harness's: it would destroy the socket after the first test of this block.
    socket = (await openPaused(server.port, () => undefined)).socket;
    await server.until((s) => s.clients === 1, 'the connection');
    before = await server.stats();
    const deadline = Date.now() + FLOOD_MS;
    // Write as fast as the server takes it, until 64 MiB or the deadline: a server that keeps
    // reading (and queueing pongs nobody reads) takes it all.
    while (written < FLOOD_BYTES && Date.now() < deadline) {
      if (!socket.write(BATCH)) {
        await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), delay(deadline - Date.now())]);
      }
      written += BATCH.length;
    }
    socket.removeAllListeners('drain');
    await delay(100);
    after = await server.stats();
  }, 20_000);

  afterAll(() => {
    socket?.destroy();
    server?.kill();
  });

  it("keeps the server's bufferedAmount under 16 MiB", () => {
    // The flood did reach the server: past what makes it stop reading (4 MiB of unread answers).
    expect(after.bytesRead).toBeGreaterThan(4 * MiB);
    expect(after.maxBufferedAmount).toBeLessThan(16 * MiB);
  });

  it("keeps the server process's RSS growth under 32 MiB", () => {
    expect(after.rss - before.rss).toBeLessThan(32 * MiB);
  });

  it('answers pings and echoes messages again once the client reads', async () => {
    const reader = new FrameReader();
    let pongAfterFlood = false;
    let echo = '';
    socket.on('data', (chunk: Buffer) => {
      for (const frame of reader.push(chunk)) {
        if (frame.opcode === op.pong && frame.payload.toString() === 'after the flood') pongAfterFlood = true;
        if (frame.opcode === op.text) echo = frame.payload.toString();
      }
    });
    socket.resume();
    socket.write(Buffer.concat([ping('after the flood'), text('still works')]));
    await until(() => pongAfterFlood && echo === 'still works', 'the pong and the echo after the flood', 15_000);
    expect([pongAfterFlood, echo]).toEqual([true, 'still works']);
  }, 20_000);
});

describe('README limits: small pieces cost about what they carry', () => {
  it('300,000 one-byte frames of one message: server memory grows by less than 4 MiB, and the message arrives intact', async () => {
    const server = await serverProcess();
    const { socket } = await openPaused(server.port);
    await server.until((s) => s.clients === 1, 'the connection');
    const before = await server.stats();
    const payload = randomBytes(300_000);
    const allButLast = oneBytePerFrame(payload.subarray(0, -1), op.binary, false);
    for (let i = 0; i < allButLast.length; i += 64 * 1024) await write(socket, allButLast.subarray(i, i + 64 * 1024));
    await server.until(
      (s) => s.bytesRead === before.bytesRead + allButLast.length,
      'the server to read every frame',
      10_000,
    );
    const during = await server.stats();
    expect(retained(during) - retained(before)).toBeLessThan(4 * MiB);
    socket.write(oneBytePerFrame(payload.subarray(-1), op.continuation, true));
    const { messages } = await server.until((s) => s.messages.length === 1, 'the message');
    expect(messages[0]).toEqual({ length: payload.length, sha1: sha1(payload), isBinary: true });
  }, 20_000);

  it('a 100 KB frame written a byte per TCP write: server memory grows by less than 2 MiB, and it arrives intact', async () => {
    const server = await serverProcess();
    const { socket } = await openPaused(server.port);
    socket.setNoDelay(true);
    await server.until((s) => s.clients === 1, 'the connection');
    const before = await server.stats();
    const payload = randomBytes(100_000);
    const { header, key } = frameHeaderWithKey(0x80 | op.binary, payload.length);
    const masked = Buffer.alloc(payload.length);
    for (let i = 0; i < payload.length; i++) masked[i] = payload[i] ^ key[i & 3];
    socket.write(header);
    for (let i = 0; i < masked.length - 1; i++) {
      socket.write(masked.subarray(i, i + 1));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const expected = before.bytesRead + header.length + masked.length - 1;
    await server.until((s) => s.bytesRead === expected, 'the server to read every byte', 10_000);
    const during = await server.stats();
    expect(retained(during) - retained(before)).toBeLessThan(2 * MiB);
    socket.write(masked.subarray(-1));
    const { messages } = await server.until((s) => s.messages.length === 1, 'the message');
    expect(messages[0]).toEqual({ length: payload.length, sha1: sha1(payload), isBinary: true });
  }, 20_000);
});

describe('refused upgrades release their socket', () => {
  /** A TCP client that never closes its side on its own (the server's FIN does not end it). */
  function connectHalfOpen(port: number): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host: '127.0.0.1', port, allowHalfOpen: true });
      h.trackSocket(socket);
      socket.once('connect', () => {
        socket.on('error', () => undefined);
        resolve(socket);
      });
      socket.once('error', reject);
    });
  }

  async function openConnections(httpServer: HttpServer): Promise<number> {
    return new Promise((resolve, reject) =>
      httpServer.getConnections((error, count) => (error ? reject(error) : resolve(count))),
    );
  }

  it.each<[string, number, string]>([
    ['an upgrade to a path no server serves', 404, upgradeRequest({ path: '/other' })],
    [
      'an upgrade with Sec-WebSocket-Version 8',
      426,
      upgradeRequest({ path: '/ws', headers: { 'Sec-WebSocket-Version': '8' } }),
    ],
  ])(
    'attached mode: %s gets %i and the server destroys its socket though the client keeps its side open',
    async (_, status, request) => {
      const { httpServer, port } = await h.httpServer();
      h.adopt(new Server({ server: httpServer, path: '/ws' }));
      const socket = await connectHalfOpen(port);
      socket.write(request);
      expect((await readResponse(socket)).status).toBe(status);
      const deadline = Date.now() + 2000;
      while ((await openConnections(httpServer)) > 0 && Date.now() < deadline) await delay(10);
      expect(await openConnections(httpServer)).toBe(0);
    },
  );
});

describe('standalone mode: plain HTTP', () => {
  it('answers a plain GET (no upgrade) with 400', async () => {
    const { port } = await h.server();
    expect((await h.request(port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')).status).toBe(400);
  });
});

describe('RFC 6455 §4.2.1: handshake strictness', () => {
  const repeated = (name: string, value: string): string =>
    upgradeRequest().replace(/\r\n\r\n$/, `\r\n${name}: ${value}\r\n\r\n`);

  it.each<[string, string]>([
    ['an empty Host', upgradeRequest({ headers: { Host: '' } })],
    ['Sec-WebSocket-Version: 13 sent twice', repeated('Sec-WebSocket-Version', '13')],
    [
      'a key whose base64 is not canonical (AAAAAAAAAAAAAAAAAAAAAB==)',
      upgradeRequest({ headers: { 'Sec-WebSocket-Key': 'AAAAAAAAAAAAAAAAAAAAAB==' } }),
    ],
  ])('answers %s with 400', async (_, request) => {
    const { port } = await h.server();
    expect((await h.request(port, request)).status).toBe(400);
  });

  it('accepts the canonical form of a similar key (AAAAAAAAAAAAAAAAAAAAAA==)', async () => {
    const { port } = await h.server();
    const request = upgradeRequest({ headers: { 'Sec-WebSocket-Key': 'AAAAAAAAAAAAAAAAAAAAAA==' } });
    expect((await h.request(port, request)).status).toBe(101);
  });
});

describe('RFC 6455 §5.2: a length not in its minimal form', () => {
  it.each<[string, Buffer]>([
    ['the 16-bit form for 5 bytes', frameWithLengthForm(op.binary, Buffer.alloc(5, 1), 16)],
    ['the 64-bit form for 200 bytes', frameWithLengthForm(op.binary, Buffer.alloc(200, 1), 64)],
    ['the 64-bit form for 5 bytes', frameWithLengthForm(op.binary, Buffer.alloc(5, 1), 64)],
  ])('fails the connection with 1002 for %s', async (_, sent) => {
    const { port } = await h.server();
    const raw = await h.raw(port);
    raw.send(sent);
    expect(await raw.closeCode()).toBe(1002);
  });

  it.each<[string, number, 16 | 64]>([
    ['the 16-bit form for 126 bytes', 126, 16],
    ['the 64-bit form for 65536 bytes', 65536, 64],
  ])('accepts %s (the shortest form for that length)', async (_, length, form) => {
    const { port, connection } = await h.server();
    const raw = await h.raw(port);
    const { events } = await connection();
    raw.send(frameWithLengthForm(op.binary, Buffer.alloc(length, 1), form));
    const [data] = await events.nth('message');
    expect(data.length).toBe(length);
  });
});

describe('an extension that fails to decode with a plain Error', () => {
  const offer = { headers: { 'Sec-WebSocket-Extensions': 'x-fail' } };
  const rsv2Text = frame({ opcode: op.text, payload: 'x', rsv: 0b010 });

  it('closes the connection with 1011 on the wire', async () => {
    const { port } = await h.server({ extensions: [failingDecode('zlib: invalid stored block lengths')] });
    const raw = await h.raw(port, offer);
    raw.send(rsv2Text);
    expect(await raw.closeCode()).toBe(1011);
  });

  it('emits error (a WebSocketError, WS_ERR_EXTENSION_FAILED, closeCode 1011), then close', async () => {
    const { port, connection } = await h.server({ extensions: [failingDecode('zlib: invalid stored block lengths')] });
    const raw = await h.raw(port, offer);
    const { events } = await connection();
    raw.send(rsv2Text);
    const [error] = await events.nth('error');
    await events.nth('close');
    expect(error).toBeInstanceOf(WebSocketError);
    expect([error.code, error.closeCode]).toEqual(['WS_ERR_EXTENSION_FAILED', 1011]);
    expect(events.log.map((e) => e.event).filter((e) => e === 'error' || e === 'close')).toEqual(['error', 'close']);
  });
});

describe('verifyClient refusals: headers', () => {
  const refuse = (headers: Record<string, string>) => () => ({ status: 403, message: 'no', headers });

  it.each<[string, Record<string, string>, string]>([
    ['a name that is not a token', { 'Bad Name': 'v' }, 'bad name'],
    ['a value with CR/LF', { 'X-A': 'b\r\nSet-Cookie: s=1' }, 'x-a'],
    ['a value with CR/LF (the injected line)', { 'X-A': 'b\r\nSet-Cookie: s=1' }, 'set-cookie'],
  ])('drops %s', async (_, headers, absent) => {
    const { port } = await h.server({ verifyClient: refuse(headers) });
    const response = await h.request(port, upgradeRequest());
    expect(response.status).toBe(403);
    expect(Object.keys(response.headers)).not.toContain(absent);
  });

  it('does not let Content-Length be replaced', async () => {
    const { port } = await h.server({ verifyClient: refuse({ 'Content-Length': '0' }) });
    const response = await h.request(port, upgradeRequest());
    expect(response.status).toBe(403);
    expect(response.headers['content-length']).toBe(String(Buffer.byteLength('no')));
  });

  it('keeps an ordinary extra header', async () => {
    const { port } = await h.server({ verifyClient: refuse({ 'X-Reason-Code': 'quota' }) });
    const response = await h.request(port, upgradeRequest());
    expect([response.status, response.headers['x-reason-code']]).toEqual([403, 'quota']);
  });
});

describe('verifyClient that throws', () => {
  it.each<[string, (error: Error) => () => never | Promise<never>]>([
    [
      'throws',
      (error) => () => {
        throw error;
      },
    ],
    ['returns a rejected promise', (error) => () => Promise.reject(error)],
  ])('%s: the client gets 500 and the server emits error with the thrown error', async (_, verify) => {
    const thrown = new Error('verifier bug');
    const { port, events } = await h.server({ verifyClient: verify(thrown) });
    expect((await h.request(port, upgradeRequest())).status).toBe(500);
    const [error] = await events.nth('error');
    expect(error).toBe(thrown);
  });
});

describe('options: timeouts Node cannot hold', () => {
  it.each<[string, number]>([
    ['closeTimeout', 2 ** 31],
    ['closeTimeout', 3e9],
    ['handshakeTimeout', 2 ** 31],
    ['handshakeTimeout', 3e9],
  ])('%s of %d ms throws a RangeError at construction', (name, ms) => {
    expect(() => new Server({ noServer: true, [name]: ms })).toThrow(RangeError);
  });

  it.each(['closeTimeout', 'handshakeTimeout'])('%s of 2^31-1 ms (the largest) is accepted', (name) => {
    const server = h.adopt(new Server({ noServer: true, [name]: 2 ** 31 - 1 }));
    expect(server).toBeInstanceOf(Server);
  });
});
