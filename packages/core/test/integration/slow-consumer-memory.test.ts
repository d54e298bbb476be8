/**
 * Issue #12, "A client that never reads exhausts the server's memory": a broadcast server, one
 * client that never reads and one that sends 64 KiB messages. Without a limit the server's RSS
 * grew by 1,451 MiB in 8 s. Here its RSS growth (peak, sampled every 10 ms in the server's own
 * process: helpers/slow-consumer-server-process.ts) stays under 64 MiB, the non-reader is
 * closed (or its messages dropped), and the healthy client gets every message. The same for a
 * naive `send` loop, and with permessage-deflate negotiated.
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import type { ServerOptions } from '@ws/core';
import type { DeflateOptions } from '@ws/deflate';
import { delay, until, untilCounted, withTimeout } from '../helpers/events';
import { startServerProcess, type ServerProcess } from '../helpers/hardening-child';
import { useHarness } from '../helpers/harness';
import { upgradeRequest } from '../helpers/raw-http';
import type { SlowConsumerStats, StatusCounts } from '../helpers/slow-consumer-server-process';

const h = useHarness();

const MiB = 1024 * 1024;
const MESSAGE_SIZE = 64 * 1024;
const MAX_RSS_GROWTH = 64 * MiB;
/** 96 MiB, all new data: without a limit the non-reader would hold all of it, past MAX_RSS_GROWTH. */
const FLOOD_MESSAGES = 1536;
/** Short, so the non-reader is terminated within the test; the default is 5 s. */
const CLOSE_TIMEOUT = 500;
/**
 * zlib at level 0 (stored blocks) on both sides: every message still goes through the extension
 * (the encode queue whose bytes `bufferedAmount` counts, RSV1, inflate) at a tenth of the CPU
 * that random data costs at level 1; zlib's speed is not what these tests measure.
 */
const SERVER_DEFLATE: DeflateOptions = { zlibDeflateOptions: { level: 0 } };
const CLIENT_DEFLATE = { zlibDeflateOptions: { level: 0 } };

/**
 * A `ws` client that keeps a running hash of what it receives, not the messages: the test
 * process must not hold the 128 MiB itself (the harness's clients record every message).
 */
class HealthyClient {
  received = 0;
  private readonly hash: Hash = createHash('sha1');

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.received++;
      this.hash.update(data);
    });
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

let server: ServerProcess | undefined;
const clients: WebSocket[] = [];
afterEach(() => {
  for (const ws of clients.splice(0)) ws.terminate();
  server?.kill();
  server = undefined;
});

async function start(
  options: ServerOptions,
  flags: { broadcast?: boolean; deflate?: DeflateOptions },
): Promise<ServerProcess> {
  server = await startServerProcess(options, flags, 'slow-consumer-server-process.ts');
  return server;
}

/** A raw client past the 101 that never reads (its socket paused), offering deflate if asked. */
async function nonReader(port: number, deflate: boolean): Promise<Socket> {
  const headers: Record<string, string> = deflate ? { 'Sec-WebSocket-Extensions': 'permessage-deflate' } : {};
  const response = await h.request(port, upgradeRequest({ headers }));
  expect(response.status).toBe(101);
  expect(response.headers['sec-websocket-extensions'] !== undefined).toBe(deflate);
  return response.socket;
}

async function healthyClient(port: number, deflate: boolean): Promise<HealthyClient> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: deflate ? CLIENT_DEFLATE : false });
  clients.push(ws);
  await withTimeout(new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject)), 5000, 'ws open');
  expect(ws.extensions.includes('permessage-deflate')).toBe(deflate);
  return new HealthyClient(ws);
}

/** Sends `count` random messages, keeping at most ~1 MiB in the client's own buffer; returns their hash. */
async function sendMessages(client: HealthyClient, count: number): Promise<string> {
  const hash = createHash('sha1');
  for (let i = 0; i < count; i++) {
    const message = randomBytes(MESSAGE_SIZE);
    hash.update(message);
    client.ws.send(message);
    while (client.ws.bufferedAmount > MiB) await delay(1);
  }
  return hash.digest('hex');
}

async function untilStats(
  what: string,
  predicate: (s: SlowConsumerStats) => boolean,
  ms = 20_000,
): Promise<SlowConsumerStats> {
  return (await server!.until(
    (s) => predicate(s as unknown as SlowConsumerStats),
    what,
    ms,
  )) as unknown as SlowConsumerStats;
}

describe.each([
  ['', false],
  [' with permessage-deflate', true],
])("issue #12's broadcast server%s: a non-reader and a 64 KiB sender", (_title, deflate) => {
  const count = FLOOD_MESSAGES;

  it.each(['close', 'drop'] as const)(
    "keeps RSS growth under 64 MiB with backpressure: '%s'",
    async (policy) => {
      const child = await start(
        { backpressure: policy, closeTimeout: CLOSE_TIMEOUT },
        { broadcast: true, deflate: deflate ? SERVER_DEFLATE : undefined },
      );
      await nonReader(child.port, deflate);
      const sender = await healthyClient(child.port, deflate);
      await untilStats('both connections', (s) => s.clients === 2);
      const before = await child.ask<SlowConsumerStats>('resetPeak');

      const sent = await sendMessages(sender, count);
      await until(() => sender.received === count, 'every echo', 60_000);
      const after =
        policy === 'close'
          ? await untilStats('the non-reader terminated', (s) => s.closes.length === 1, CLOSE_TIMEOUT + 10_000)
          : await child.ask<SlowConsumerStats>('stats', { gc: false });

      const growth = after.peakRss - before.rss;
      expect(growth).toBeLessThan(MAX_RSS_GROWTH);
      // The limit, plus control frames (the close frame), which are not held to it.
      expect(after.maxBufferedAmount).toBeLessThanOrEqual(8 * MiB + 1024);
      // The healthy client got every message, in order, whatever happened to the other.
      expect(sender.digest()).toBe(sent);
      expect(after.broadcasts).toBe(count);
      expect(after.dropped).toBeGreaterThan(0);
      if (policy === 'close') {
        expect(after.closes).toEqual([1006]); // the non-reader, terminated after closeTimeout
        expect(after.dropped).toBe(1);
        expect(after.clients).toBe(1);
      } else {
        expect(after.closes).toEqual([]);
        expect(after.clients).toBe(2);
        expect(after.dropped).toBeGreaterThan(count / 2);
      }
    },
    120_000,
  );
});

// The default policy ('close') only: 'drop' takes the same road through `admit` as in the
// broadcast cases above, which check it plain and with deflate (each case here costs seconds).
describe.each([
  ['', false],
  [' with permessage-deflate', true],
])('a naive send loop%s, to a non-reader and a healthy client', (_title, deflate) => {
  it('keeps RSS growth under 64 MiB, closes the non-reader, and the healthy client gets everything', async () => {
    const child = await start({ closeTimeout: CLOSE_TIMEOUT }, { deflate: deflate ? SERVER_DEFLATE : undefined });
    await nonReader(child.port, deflate);
    const reader = await healthyClient(child.port, deflate);
    await untilStats('both connections', (s) => s.clients === 2);
    const before = await child.ask<SlowConsumerStats>('resetPeak');

    const result = await child.ask<SlowConsumerStats & { counts: StatusCounts[] }>(
      'sendLoop',
      // Paced so that the healthy client keeps up on a loaded machine (deflate: one message in
      // flight per connection through the zlib thread pool): still 64 MiB/s (deflate: 12.8).
      { count: FLOOD_MESSAGES, size: MESSAGE_SIZE, perTick: 1, intervalMs: deflate ? 5 : 1 },
      60_000,
    );
    // However slow a loaded machine makes the healthy client, it must not stop getting messages.
    await untilCounted(() => reader.received, FLOOD_MESSAGES, 'every message at the healthy client', 15_000);
    expect(reader.received).toBe(FLOOD_MESSAGES);
    const after = await untilStats('the non-reader terminated', (s) => s.closes.length === 1, CLOSE_TIMEOUT + 10_000);

    const [stuck, healthy] = result.counts;
    expect(after.peakRss - before.rss).toBeLessThan(MAX_RSS_GROWTH);
    expect(healthy.dropped + healthy['not-open']).toBe(0);
    expect(stuck.dropped).toBe(1); // then it is closing: the rest are 'not-open'
    expect(stuck['not-open']).toBeGreaterThan(0);
    expect(after.closes).toEqual([1006]); // terminated after closeTimeout
  }, 120_000);
});
