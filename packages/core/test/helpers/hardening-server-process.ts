/**
 * Runs in a child `node --expose-gc` process started by hardening-child.ts: a standalone
 * @ws/core server whose memory can be measured apart from jest and from the test's client.
 *
 *   argv[2]  ServerOptions as JSON (host and port are set here)
 *   argv[3]  { echo?: boolean, keepHeader?: string }: echo every message back; keep the named
 *            request header's value of every connection (as an application might, for its log)
 *
 * IPC: it sends { type: 'listening', port } once bound, then answers { id, command } with
 * { id, ...ServerProcessStats } (see hardening-child.ts); `gc: true` runs a full GC first.
 */
import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import { Server, type Connection, type ServerOptions, type UpgradeRequest } from '@ws/core';

interface Command {
  id: number;
  command: 'stats' | 'exit';
  gc?: boolean;
}

const options = JSON.parse(process.argv[2] ?? '{}') as ServerOptions;
const flags = JSON.parse(process.argv[3] ?? '{}') as { echo?: boolean; keepHeader?: string };
const keptHeaders: unknown[] = [];
const gc = (globalThis as { gc?: () => void }).gc;

let first: Connection | undefined;
let firstSocket: Socket | undefined;
let maxBufferedAmount = 0;
const messages: Array<{ length: number; sha1: string; isBinary: boolean }> = [];
const closes: number[] = [];

/** Sampled on every frame the server answers or receives: the peak is what a flood would grow. */
function sample(connection: Connection): void {
  if (connection.bufferedAmount > maxBufferedAmount) maxBufferedAmount = connection.bufferedAmount;
}

const server = new Server({ ...options, host: '127.0.0.1', port: 0 });
server.on('error', () => undefined);
server.on('connection', (connection: Connection, request: UpgradeRequest) => {
  if (first === undefined) {
    first = connection;
    firstSocket = request.socket;
  }
  if (flags.keepHeader !== undefined) keptHeaders.push(request.headers[flags.keepHeader]);
  connection.on('ping', () => sample(connection));
  connection.on('message', (data: string | Buffer, isBinary: boolean) => {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    messages.push({ length: bytes.length, sha1: createHash('sha1').update(bytes).digest('hex'), isBinary });
    if (flags.echo === true) connection.send(data, { binary: isBinary });
    sample(connection);
  });
  connection.on('close', (code: number) => closes.push(code));
});
server.on('listening', () => {
  const address = server.address();
  process.send?.({ type: 'listening', port: typeof address === 'object' && address !== null ? address.port : 0 });
});

process.on('message', (message: Command) => {
  if (message.command === 'exit') {
    void server.close();
    process.exit(0);
  }
  if (message.gc === true && gc !== undefined) {
    // Twice: the first pass can leave objects that only a second one frees (weak callbacks).
    gc();
    gc();
  }
  const memory = process.memoryUsage();
  process.send?.({
    id: message.id,
    heapUsed: memory.heapUsed,
    arrayBuffers: memory.arrayBuffers,
    rss: memory.rss,
    bufferedAmount: first?.bufferedAmount ?? 0,
    maxBufferedAmount,
    bytesRead: firstSocket?.bytesRead ?? 0,
    clients: server.clients.size,
    messages,
    closes,
  });
});

// The test process went away without telling us: do not outlive it.
process.on('disconnect', () => process.exit(0));
