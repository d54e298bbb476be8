/**
 * The C load generator compiles and counts echoes exactly: every echo it reports was received
 * by the server, and the server received at most one window per connection more (what was in
 * flight when the generator stopped). Against @ws/core (unmasked server frames) and against a
 * raw byte-copying server (the ceiling: its echoes are the generator's own masked frames).
 */
import net, { type AddressInfo } from 'node:net';
import { Server } from '@ws/core';
import { buildLoadgen, runLoadgen } from '../src/loadgen';

jest.setTimeout(60_000);

const RESPONSE =
  'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n';

/** Resolves once `read()` has not changed for 300 ms (the last frames in flight have landed). */
async function settled(read: () => number): Promise<number> {
  let last = -1;
  for (let i = 0; i < 100 && read() !== last; i++) {
    last = read();
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  return read();
}

beforeAll(() => {
  buildLoadgen();
});

describe.each([
  { size: 64, binary: false, connections: 4, window: 8 },
  { size: 70_000, binary: true, connections: 2, window: 3 },
])('loadgen echo, $size B, binary: $binary', ({ size, binary, connections, window }) => {
  let server: Server;
  let received = 0;
  let wrongSize = 0;

  beforeAll(async () => {
    server = new Server({ host: '127.0.0.1', port: 0 });
    server.on('message', (data, connection, isBinary) => {
      received++;
      if (data.length !== size || isBinary !== binary) wrongSize++;
      connection.send(data, { binary: isBinary });
    });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  });
  afterAll(() => server.close());

  test('counts every echo of @ws/core, no more', async () => {
    const port = (server.address() as AddressInfo).port;
    const result = await runLoadgen('echo', { port, connections, window, size, binary, duration: 0.6, warmup: 0 });
    const atServer = await settled(() => received);
    expect(result.messages).toBeGreaterThan(0);
    expect(atServer).toBeGreaterThanOrEqual(result.messages);
    expect(atServer).toBeLessThanOrEqual(result.messages + connections * window);
    expect(wrongSize).toBe(0);
    expect(result.cpu).toBeGreaterThan(0);
    expect(result.cpu).toBeLessThan(1.5);
  });

  test('announces its measured window, so what the server did in it can be read', async () => {
    const port = (server.address() as AddressInfo).port;
    const seen: string[] = [];
    let atOpen = 0;
    let atResult = 0;
    const result = await runLoadgen(
      'echo',
      { port, connections, window, size, binary, duration: 0.6, warmup: 0.3 },
      {
        onWindow: () => {
          seen.push('window');
          atOpen = received;
        },
        onResult: () => {
          seen.push('result');
          atResult = received;
        },
      },
    );
    expect(seen).toEqual(['window', 'result']);
    // The messages the server received between the two are the window's echoes, give or take
    // what was in flight at either end and what this process (the server's too) had not read
    // yet; marks at the generator's start or exit would add the warm-up's half again.
    const slack = 2 * connections * window + result.messages * 0.1;
    expect(atResult - atOpen).toBeGreaterThanOrEqual(result.messages - slack);
    expect(atResult - atOpen).toBeLessThanOrEqual(result.messages + slack);
  });
});

test('announces the window of a handshake storm too, and its result comes last', async () => {
  const server = new Server({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  try {
    const port = (server.address() as AddressInfo).port;
    const seen: string[] = [];
    const result = await runLoadgen(
      'storm',
      { port, parallel: 4, duration: 0.3, warmup: 0.1 },
      { onWindow: () => seen.push('window'), onResult: () => seen.push('result') },
    );
    expect(seen).toEqual(['window', 'result']);
    expect(result.mode).toBe('storm');
    expect(result.messages).toBeGreaterThan(0);
    expect(result.failed).toBe(0);
  } finally {
    await server.close();
  }
});

test('counts the masked echoes of a byte-copying server', async () => {
  let bytes = 0;
  const raw = net.createServer((socket) => {
    let upgraded = false;
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      if (!upgraded) {
        // The generator writes its request whole and nothing before the 101.
        upgraded = chunk.includes('\r\n\r\n');
        if (upgraded) socket.write(RESPONSE);
        return;
      }
      bytes += chunk.length;
      socket.write(chunk);
    });
  });
  await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
  try {
    const port = (raw.address() as AddressInfo).port;
    const result = await runLoadgen('echo', { port, connections: 3, window: 4, size: 300, duration: 0.6, warmup: 0 });
    const frameBytes = 2 + 2 + 4 + 300; // 16-bit length, mask key
    expect(result.frameBytes).toBe(frameBytes);
    const frames = (await settled(() => bytes)) / frameBytes;
    expect(result.messages).toBeGreaterThan(0);
    expect(frames).toBeGreaterThanOrEqual(result.messages);
    expect(frames).toBeLessThanOrEqual(result.messages + 3 * 4);
  } finally {
    raw.close();
  }
});

describe('loadgen latency (open loop, polling its clock)', () => {
  let server: Server;
  let texts = 0;
  let binaries = 0;

  beforeAll(async () => {
    // Default string delivery: a text stamp that is not valid UTF-8 would fail the connection.
    server = new Server({ host: '127.0.0.1', port: 0 });
    server.on('message', (data, connection, isBinary) => {
      if (isBinary) binaries++;
      else if (typeof data === 'string') texts++;
      connection.send(data, { binary: isBinary });
    });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  });
  afterAll(() => server.close());

  test.each([{ text: false }, { text: true }])('gets back every message it sent, text: $text', async ({ text }) => {
    const port = (server.address() as AddressInfo).port;
    const before = texts + binaries;
    const result = await runLoadgen('latency', {
      port,
      connections: 4,
      rate: 2000,
      size: 64,
      spin: true,
      text,
      duration: 0.5,
      warmup: 0.1,
    });
    expect(result.sent).toBeGreaterThan(800);
    expect(result.messages).toBe(result.sent);
    expect(texts + binaries - before).toBeGreaterThanOrEqual(result.sent);
    // Stamps decode to times since they were sent: a round trip, not garbage.
    expect(result.p50).toBeGreaterThan(0);
    expect(result.max).toBeLessThan(1e6);
    expect(result.lag_p50).toBeGreaterThanOrEqual(0);
    expect(result.p50_written).toBeLessThanOrEqual(result.p50);
    expect(text ? texts : binaries).toBeGreaterThan(0);
  });
});
