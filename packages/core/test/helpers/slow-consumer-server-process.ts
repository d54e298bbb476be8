/**
 * Runs in a child `node --expose-gc` process (started with hardening-child.ts's
 * `startServerProcess(options, flags, 'slow-consumer-server-process.ts')`): a @ws/core server
 * whose memory is watched while a client that never reads is sent to.
 *
 *   argv[2]  ServerOptions as JSON (host and port are set here)
 *   argv[3]  { broadcast?: boolean, deflate?: DeflateOptions }
 *            broadcast: every message is broadcast to everyone (issue #12's scenario);
 *            deflate: `extensions: [deflate(options)]`.
 *
 * IPC, besides { type: 'listening', port }: each { id, command } is answered with { id, ... }.
 *   stats { gc? }         SlowConsumerStats (after two full GCs with `gc`)
 *   resetPeak             GC, then peakRss := rss; answers with the stats
 *   sendLoop { count, size, perTick, intervalMs }
 *                         every `intervalMs`, `perTick` new messages of `size` bytes to every
 *                         open client with `connection.send`, the status ignored (a naive
 *                         producer); answers once `count` messages are done, with each
 *                         connection's status counts
 */
import { randomBytes } from 'node:crypto';
import { Server, type Connection, type SendStatus, type ServerOptions } from '@ws/core';
import { deflate, type DeflateOptions } from '@ws/deflate';

export interface SlowConsumerStats {
  rss: number;
  /** The largest RSS sampled (every 10 ms, and on every message) since start or `resetPeak`. */
  peakRss: number;
  heapUsed: number;
  arrayBuffers: number;
  clients: number;
  /** Close codes, in the order connections closed. */
  closes: number[];
  /** Messages dropped for backpressure, and their bytes, over all connections. */
  dropped: number;
  droppedBytes: number;
  /** The largest `bufferedAmount` any connection reached (sampled like `peakRss`). */
  maxBufferedAmount: number;
  /** Broadcasts made (broadcast mode). */
  broadcasts: number;
}

export type StatusCounts = Record<SendStatus, number>;

interface Command {
  id: number;
  command: 'stats' | 'resetPeak' | 'sendLoop';
  gc?: boolean;
  count?: number;
  size?: number;
  perTick?: number;
  intervalMs?: number;
}

const options = JSON.parse(process.argv[2] ?? '{}') as ServerOptions;
const flags = JSON.parse(process.argv[3] ?? '{}') as { broadcast?: boolean; deflate?: DeflateOptions };
const gc = (globalThis as { gc?: () => void }).gc;

const closes: number[] = [];
let peakRss = process.memoryUsage.rss();
let maxBufferedAmount = 0;
let dropped = 0;
let droppedBytes = 0;
let broadcasts = 0;

const server = new Server({
  ...options,
  ...(flags.deflate === undefined ? {} : { extensions: [deflate(flags.deflate)] }),
  host: '127.0.0.1',
  port: 0,
});

function sample(): void {
  const rss = process.memoryUsage.rss();
  if (rss > peakRss) peakRss = rss;
  for (const connection of server.clients) {
    if (connection.bufferedAmount > maxBufferedAmount) maxBufferedAmount = connection.bufferedAmount;
  }
}
setInterval(sample, 10).unref();

server.on('error', () => undefined);
server.on('close', (_connection, code) => closes.push(code));
server.on('dropped', (_connection, byteLength) => {
  dropped++;
  droppedBytes += byteLength;
});
if (flags.broadcast === true) {
  // Issue #12, verbatim: a broadcast server.
  server.on('message', (data, _connection, isBinary) => {
    server.broadcast(data, { binary: isBinary });
    broadcasts++;
    sample();
  });
}
server.on('listening', () => {
  const address = server.address();
  process.send?.({ type: 'listening', port: typeof address === 'object' && address !== null ? address.port : 0 });
});

function stats(): SlowConsumerStats {
  const memory = process.memoryUsage();
  if (memory.rss > peakRss) peakRss = memory.rss;
  return {
    rss: memory.rss,
    peakRss,
    heapUsed: memory.heapUsed,
    arrayBuffers: memory.arrayBuffers,
    clients: server.clients.size,
    closes,
    dropped,
    droppedBytes,
    maxBufferedAmount,
    broadcasts,
  };
}

function fullGc(): void {
  // Twice: the first pass can leave objects that only a second one frees (weak callbacks).
  gc?.();
  gc?.();
}

/** The naive producer: one message to every open client per round, whatever `send` says. */
function sendLoop(command: Command): void {
  const counts = new Map<Connection, StatusCounts>();
  const { count = 1, size = 64 * 1024, perTick = 1 } = command;
  let sent = 0;
  const timer = setInterval(() => {
    for (let i = 0; i < perTick && sent < count; i++, sent++) {
      // A new message each time, as an application's would be: what is queued is really held.
      const payload = randomBytes(size);
      for (const connection of server.clients) {
        let tally = counts.get(connection);
        if (tally === undefined)
          counts.set(connection, (tally = { accepted: 0, backpressure: 0, dropped: 0, 'not-open': 0 }));
        tally[connection.send(payload)]++;
      }
    }
    sample();
    if (sent < count) return;
    clearInterval(timer);
    process.send?.({ id: command.id, counts: [...counts.values()], ...stats() });
  }, command.intervalMs ?? 1);
}

process.on('message', (message: Command) => {
  if (message.command === 'sendLoop') return sendLoop(message);
  if (message.gc === true || message.command === 'resetPeak') fullGc();
  if (message.command === 'resetPeak') peakRss = process.memoryUsage.rss();
  process.send?.({ id: message.id, ...stats() });
});

// The test process went away without telling us: do not outlive it.
process.on('disconnect', () => process.exit(0));
