/**
 * Slow consumers (README, "Backpressure"): `send` reports 'accepted', 'backpressure' or
 * 'dropped'; `drain` lets a producer wait; past `maxBufferedAmount` the `backpressure` policy
 * drops the message ('drop') or also closes with 1013 ('close'), and the close timer ends a
 * peer that never reads. Real sockets on 127.0.0.1; a client that "never reads" is a raw socket
 * (or a `ws` client) whose socket is paused. Memory figures: slow-consumer-memory.test.ts.
 */
import type { Socket } from 'node:net';
import { BackpressureError, CloseCode, type Connection, type SendStatus } from '@ws/core';
import { expectSameBytes } from '../helpers/bytes';
import { Recorder, delay, until, withTimeout } from '../helpers/events';
import { useHarness } from '../helpers/harness';
import { ping } from '../helpers/frames';
import { socketClosed, upgradeRequest } from '../helpers/raw-http';
import type { WsClient } from '../helpers/ws-client';
import { xorExtension } from '../helpers/xor-extension';

const h = useHarness();

const KiB = 1024;
const MiB = 1024 * KiB;
/** Small limits, so a test fills them in milliseconds. */
const LIMITS = { maxBufferedAmount: 1 * MiB, sendHighWaterMark: 256 * KiB };
const CHUNK = 64 * KiB;

/** A 64 KiB message that carries its index, so a reader can tell which ones arrived. */
function numbered(index: number): Buffer {
  const message = Buffer.alloc(CHUNK, index & 0xff);
  message.writeUInt32BE(index, 0);
  return message;
}

/** A raw client past the 101 that reads nothing (its socket is paused). */
async function nonReader(port: number, headers?: Record<string, string>): Promise<Socket> {
  const response = await h.request(port, upgradeRequest({ headers }));
  expect(response.status).toBe(101);
  return response.socket;
}

/** A `ws` client that has stopped reading; `resume()` lets it read again. */
async function pausedWs(url: string): Promise<WsClient> {
  const client = await h.ws(url);
  client.ws.pause();
  return client;
}

/** Sends numbered messages, synchronously, until one is dropped (at most `max`). */
function sendUntilDropped(connection: Connection, max = 2000): { statuses: SendStatus[]; errors: unknown[] } {
  const statuses: SendStatus[] = [];
  const errors: unknown[] = [];
  for (let i = 0; i < max; i++) {
    const status = connection.send(numbered(i), (error) => errors.push(error));
    statuses.push(status);
    if (status === 'dropped') break;
  }
  return { statuses, errors };
}

describe('send reports what became of the message', () => {
  it("returns 'accepted', then 'backpressure' past sendHighWaterMark, then 'dropped' past maxBufferedAmount", async () => {
    const { port, connection } = await h.server({ ...LIMITS, backpressure: 'drop' });
    await nonReader(port);
    const { connection: conn } = await connection();
    const { statuses } = sendUntilDropped(conn);
    const firstBackpressure = statuses.indexOf('backpressure');
    expect(statuses[0]).toBe('accepted');
    expect(firstBackpressure).toBeGreaterThan(0);
    expect(statuses.slice(0, firstBackpressure).every((s) => s === 'accepted')).toBe(true);
    expect(statuses.slice(firstBackpressure, -1).every((s) => s === 'backpressure')).toBe(true);
    expect(statuses[statuses.length - 1]).toBe('dropped');
    // Dropped because this message would have passed the limit, and not before.
    expect(conn.bufferedAmount).toBeLessThanOrEqual(LIMITS.maxBufferedAmount);
    expect(conn.bufferedAmount + CHUNK + 4).toBeGreaterThan(LIMITS.maxBufferedAmount);
  });

  it("gives a dropped message's callback a BackpressureError, and emits `dropped` on the connection and the server", async () => {
    const { server, port, connection } = await h.server({ ...LIMITS, backpressure: 'drop' });
    const serverDrops = new Recorder(server, ['dropped']);
    await nonReader(port);
    const { connection: conn } = await connection();
    const drops = new Recorder(conn, ['dropped']);
    const { statuses, errors } = sendUntilDropped(conn);
    const [dropped] = await drops.nth('dropped');
    expect(dropped).toBe(CHUNK);
    const [serverConnection, serverBytes] = await serverDrops.nth('dropped');
    expect(serverConnection).toBe(conn);
    expect(serverBytes).toBe(CHUNK);
    // The callbacks of accepted messages the kernel took have run too, without an error.
    await until(() => errors.some((e) => e instanceof Error), "the dropped message's callback");
    expect(errors.filter((e) => e instanceof Error)).toHaveLength(1);
    const error = errors.find((e) => e instanceof Error) as BackpressureError;
    expect(error).toBeInstanceOf(BackpressureError);
    expect(error.code).toBe('WS_ERR_BACKPRESSURE');
    expect(error.byteLength).toBe(CHUNK);
    expect(error.bufferedAmount + CHUNK).toBeGreaterThan(LIMITS.maxBufferedAmount);
    expect(statuses.filter((s) => s === 'dropped')).toHaveLength(1);
  });

  it("returns 'not-open' once the connection is closing, and calls the callback with an error", async () => {
    const { port, connection } = await h.server();
    await nonReader(port);
    const { connection: conn } = await connection();
    conn.close();
    const errors: Array<Error | null | undefined> = [];
    expect(conn.send('late', (error) => errors.push(error))).toBe('not-open');
    expect(conn.sendFrames([Buffer.from([0x81, 0])], (error) => errors.push(error))).toBe('not-open');
    await until(() => errors.length === 2, 'both callbacks');
    expect(errors.every((e) => e instanceof Error && /not open/.test(e.message))).toBe(true);
  });

  it("lets one message larger than the limit go to a connection with nothing queued, as 'backpressure'", async () => {
    const { url, connection } = await h.server({
      maxBufferedAmount: 64 * KiB,
      sendHighWaterMark: 16 * KiB,
      backpressure: 'drop',
    });
    const client = await h.ws(url);
    const { connection: conn, events } = await connection();
    const big = Buffer.alloc(256 * KiB, 7);
    expect(conn.send(big)).toBe('backpressure');
    const { data } = await client.message(0);
    expectSameBytes(data, big);
    await events.nth('drain');
    expect(conn.isOpen).toBe(true);
  });

  it('measures text in UTF-8 bytes against the limit', async () => {
    const { port, connection } = await h.server({
      maxBufferedAmount: 64 * KiB,
      sendHighWaterMark: 16 * KiB,
      backpressure: 'drop',
    });
    await nonReader(port);
    const { connection: conn } = await connection();
    // Fill the kernel and then the socket buffer with binary, until it refuses a small message.
    while (conn.send(Buffer.alloc(1000)) !== 'dropped');
    const room = 64 * KiB - conn.bufferedAmount;
    // 3 bytes per character in UTF-8: a string of room/3 + 1 characters does not fit, though its length does.
    const tooBig = '€'.repeat(Math.floor(room / 3) + 1);
    expect(tooBig.length).toBeLessThan(room);
    expect(conn.send(tooBig)).toBe('dropped');
  });
});

describe("backpressure: 'drop'", () => {
  it('keeps the connection open, and a client that reads later gets exactly the accepted messages, in order', async () => {
    const { url, connection } = await h.server({ ...LIMITS, backpressure: 'drop' });
    const client = await pausedWs(url);
    const { connection: conn } = await connection();
    const accepted: number[] = [];
    for (let i = 0; i < 400; i++) if (conn.send(numbered(i)) !== 'dropped') accepted.push(i);
    expect(accepted.length).toBeLessThan(400); // some were dropped
    expect(conn.isOpen).toBe(true);
    client.ws.resume();
    await client.message(accepted.length - 1, 10_000);
    await delay(50);
    const received = client.messages.map((m) => (m.data as Buffer).readUInt32BE(0));
    expect(received).toEqual(accepted);
    expect(conn.isOpen).toBe(true);
    expect(conn.send('still open')).toBe('accepted');
  });
});

describe("backpressure: 'close' (the default)", () => {
  it('closes with 1013 at the limit; a client that reads later gets what was accepted, then the close frame', async () => {
    const { url, connection } = await h.server(LIMITS);
    const client = await pausedWs(url);
    const { connection: conn, events } = await connection();
    const { statuses } = sendUntilDropped(conn);
    expect(statuses[statuses.length - 1]).toBe('dropped');
    expect(conn.readyState).toBe(2); // CLOSING: the close frame waits behind what was accepted
    expect(conn.send(numbered(9999))).toBe('not-open');
    client.ws.resume();
    const closed = await client.closedWithin(10_000);
    expect(closed.code).toBe(CloseCode.TryAgainLater);
    expect(closed.reason).toBe('send buffer full');
    expect(client.messages).toHaveLength(statuses.length - 1);
    const [code, , wasClean] = await events.nth('close', 0, 5000);
    expect(code).toBe(CloseCode.TryAgainLater); // the client echoed it
    expect(wasClean).toBe(true);
  });

  it('terminates a client that never reads once closeTimeout has passed', async () => {
    const closeTimeout = 600;
    const { port, connection } = await h.server({ ...LIMITS, closeTimeout });
    const socket = await nonReader(port);
    const { connection: conn, events } = await connection();
    sendUntilDropped(conn);
    const closingAt = Date.now();
    expect(conn.readyState).toBe(2);
    const [code, , wasClean] = await events.nth('close', 0, closeTimeout + 5000);
    expect(Date.now() - closingAt).toBeGreaterThanOrEqual(closeTimeout - 50);
    expect(code).toBe(CloseCode.Abnormal);
    expect(wasClean).toBe(false);
    socket.resume(); // reads what the kernel still held for it, then sees the connection gone
    await withTimeout(socketClosed(socket), 5000, 'the client socket to be closed');
  });
});

describe('drain: a producer that waits is never cut off', () => {
  it('sends 16 MiB through a 1 MiB limit to a client that reads in bursts, with no drop', async () => {
    const { url, connection } = await h.server(LIMITS);
    const client = await pausedWs(url);
    const { connection: conn, events } = await connection();
    const drops = new Recorder(conn, ['dropped']);
    const total = 256;
    let next = 0;
    let maxBuffered = 0;
    const waits: number[] = [];
    // The pattern from the README: send while 'accepted', wait for `drain` on 'backpressure'.
    const produce = (): void => {
      while (next < total) {
        const status = conn.send(numbered(next++));
        maxBuffered = Math.max(maxBuffered, conn.bufferedAmount);
        expect(status).not.toBe('dropped');
        if (status === 'backpressure') {
          waits.push(next);
          conn.once('drain', produce);
          return;
        }
      }
    };
    produce();
    // The client reads in bursts: 100 ms paused, 20 ms reading.
    const reader = setInterval(() => {
      client.ws.resume();
      setTimeout(() => client.ws.pause(), 20);
    }, 120);
    try {
      await client.message(total - 1, 20_000);
    } finally {
      clearInterval(reader);
    }
    expect(client.messages.map((m) => (m.data as Buffer).readUInt32BE(0))).toEqual([...Array(total).keys()]);
    expect(waits.length).toBeGreaterThan(1);
    expect(events.count('drain')).toBeGreaterThanOrEqual(waits.length);
    expect(drops.count('dropped')).toBe(0);
    expect(maxBuffered).toBeLessThanOrEqual(LIMITS.sendHighWaterMark + CHUNK + 4);
    expect(conn.isOpen).toBe(true);
  });

  it("emits drain after backpressure even when the queued bytes sit below the socket's own high-water mark", async () => {
    // A 1 KiB mark: the socket (16 KiB) never asks for a drain itself; the connection must.
    const { url, connection } = await h.server({ maxBufferedAmount: 1 * MiB, sendHighWaterMark: 1 * KiB });
    const client = await h.ws(url);
    const { connection: conn, events } = await connection();
    expect(conn.send(Buffer.alloc(2 * KiB))).toBe('backpressure');
    await events.nth('drain', 0, 3000);
    expect(conn.bufferedAmount).toBe(0);
    await client.message(0);
  });
});

describe('bufferedAmount is exact', () => {
  /** Fills the kernel's buffers and some of the socket's, and waits for writes (and encodes) to settle. */
  async function fill(conn: Connection, socket: Socket): Promise<void> {
    for (let round = 0; socket.writableLength === 0; round++) {
      if (round === 200) throw new Error('the socket never had to buffer');
      for (let i = 0; i < 16; i++) conn.send(Buffer.alloc(CHUNK));
      await delay(20);
    }
    // Nothing left waiting on a codec (`bufferedAmount` is the socket's alone then), and settled.
    await until(() => conn.bufferedAmount === socket.writableLength, 'the codec to catch up', 10_000);
    await delay(100);
  }

  it("is the socket's unsent bytes: each message adds its frame, header included", async () => {
    const { port, events, connection } = await h.server({ maxBufferedAmount: 64 * MiB });
    await nonReader(port);
    const { connection: conn } = await connection();
    const [, { socket }] = await events.nth('connection');
    await fill(conn, socket);
    const before = conn.bufferedAmount;
    expect(before).toBeGreaterThan(0);
    expect(before).toBe(socket.writableLength);
    conn.send(Buffer.alloc(1000));
    expect(conn.bufferedAmount).toBe(before + 4 + 1000); // 2-byte header + 16-bit length
    conn.send('hello');
    expect(conn.bufferedAmount).toBe(before + 1004 + 2 + 5);
    conn.ping('p');
    expect(conn.bufferedAmount).toBe(before + 1011 + 2 + 1); // control frames count too
  });

  it('counts a message waiting on an extension by its payload, then by its frame once encoded', async () => {
    const xor = xorExtension({ async: true });
    const { port, events, connection } = await h.server({ maxBufferedAmount: 64 * MiB, extensions: [xor] });
    await nonReader(port, { 'Sec-WebSocket-Extensions': 'x-xor' });
    const { connection: conn } = await connection();
    const [, { socket }] = await events.nth('connection');
    expect(conn.extensions).toBe('x-xor');
    await fill(conn, socket);
    const before = conn.bufferedAmount;
    expect(before).toBe(socket.writableLength);
    conn.send(Buffer.alloc(1000));
    expect(conn.bufferedAmount).toBe(before + 1000); // waiting on the codec
    expect(socket.writableLength).toBe(before);
    await until(() => socket.writableLength > before, 'the codec to hand the message on');
    expect(conn.bufferedAmount).toBe(before + 4 + 1000); // same-length codec: the frame
  });
});

describe('broadcast: a full connection does not hold up the others', () => {
  it.each(['close', 'drop'] as const)(
    "with '%s', two readers get every message while a non-reader is cut off",
    async (policy) => {
      const { server, url, port, connection } = await h.server({ backpressure: policy });
      const drops = new Recorder(server, ['dropped']);
      await nonReader(port);
      const readers = [await h.ws(url), await h.ws(url)];
      const { connection: stuck, events: stuckEvents } = await connection(0);
      const total = 400; // 25 MiB: past the non-reader's 8 MiB and what the kernel takes for it
      for (let i = 0; i < total; i += 2) {
        server.broadcast(numbered(i));
        server.broadcast(numbered(i + 1));
        await delay(1);
      }
      for (const reader of readers) await reader.message(total - 1, 20_000);
      for (const reader of readers) {
        expect(reader.messages.map((m) => (m.data as Buffer).readUInt32BE(0))).toEqual([...Array(total).keys()]);
      }
      expect(drops.count('dropped')).toBeGreaterThan(0);
      expect(drops.all('dropped').every(([c]) => c === stuck)).toBe(true);
      if (policy === 'close') {
        expect(stuck.readyState).toBeGreaterThanOrEqual(2);
        expect(drops.count('dropped')).toBe(1); // closing: later broadcasts skip it
      } else {
        expect(stuck.isOpen).toBe(true);
        expect(stuckEvents.count('close')).toBe(0);
      }
    },
  );
});

describe('publish: a full subscriber does not hold up the others', () => {
  it('closes a subscriber that never reads with 1013, while two reading subscribers get every message', async () => {
    const { server, url, port, connection } = await h.server();
    const drops = new Recorder(server, ['dropped']);
    await nonReader(port);
    const readers = [await h.ws(url), await h.ws(url)];
    for (let i = 0; i < 3; i++) (await connection(i)).connection.subscribe('feed');
    const { connection: stuck } = await connection(0);
    const total = 400; // 25 MiB: past the non-reader's 8 MiB and what the kernel takes for it
    for (let i = 0; i < total; i += 2) {
      server.publish('feed', numbered(i));
      server.publish('feed', numbered(i + 1));
      await delay(1);
    }
    for (const reader of readers) await reader.message(total - 1, 20_000);
    for (const reader of readers) {
      expect(reader.messages.map((m) => (m.data as Buffer).readUInt32BE(0))).toEqual([...Array(total).keys()]);
    }
    // The frames' bytes (65,536 needs the 64-bit length: a 10-byte header), once: then it is closing.
    expect(drops.all('dropped')).toEqual([[stuck, CHUNK + 10]]);
    expect(stuck.readyState).toBeGreaterThanOrEqual(2);
  });
});

describe('control frames', () => {
  it('are never dropped, and a ping flood from a non-reader stops being read at half the limit', async () => {
    const limit = 256 * KiB;
    const { port, connection } = await h.server({ maxBufferedAmount: limit, sendHighWaterMark: 64 * KiB });
    const socket = await nonReader(port);
    const { connection: conn, events } = await connection();
    const drops = new Recorder(conn, ['dropped']);
    const batch = Buffer.concat(Array.from({ length: 500 }, () => ping(Buffer.alloc(125, 1))));
    let maxBuffered = 0;
    let pausedAt = 0;
    // Until the kernel's buffers are full and the server has stopped reading, then 500 ms more.
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && (pausedAt === 0 || Date.now() < pausedAt + 500)) {
      // Write only what the server takes: once it stops reading, our own buffer stays small.
      if (socket.writableLength < 4 * batch.length) socket.write(batch);
      maxBuffered = Math.max(maxBuffered, conn.bufferedAmount);
      if (pausedAt === 0 && conn.bufferedAmount > limit / 2) pausedAt = Date.now();
      await delay(1);
    }
    // It did answer (the kernel took some and more waits), and stopped reading past half the limit:
    // the pongs of one chunk read (64 KiB of pings → ~64 KiB of pongs) at most beyond it.
    expect(maxBuffered).toBeGreaterThan(limit / 2);
    expect(maxBuffered).toBeLessThan(limit / 2 + 128 * KiB);
    expect(drops.count('dropped')).toBe(0);
    expect(events.count('close')).toBe(0);
    expect(conn.isOpen).toBe(true);
  });
});

describe('options', () => {
  it.each([
    [{ maxBufferedAmount: 0 }, RangeError],
    [{ maxBufferedAmount: -1 }, RangeError],
    [{ sendHighWaterMark: Number.NaN }, RangeError],
    [{ maxBufferedAmount: MiB, sendHighWaterMark: 2 * MiB }, RangeError],
    [{ backpressure: 'block' }, TypeError],
  ])('refuses %p', async (options, errorType) => {
    await expect(h.server(options as object)).rejects.toThrow(errorType);
  });
});
