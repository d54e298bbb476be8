/**
 * Runs in a child `node --expose-gc` process (started by echo-server.ts): a standalone echo
 * server, with or without permessage-deflate, for the fuzzer and the soak, so that its memory
 * is its own and an exception that escaped would end it where the parent sees it.
 *
 *   argv[2]  { deflate: boolean, maxPayload?: number } as JSON
 *
 * IPC: sends { type: 'listening', port } once bound, then answers { id, command: 'stats', gc }
 * with { id, ...EchoServerStats }; `gc: true` collects garbage fully first.
 */
import { Server, type Connection } from '@ws/core';
import { deflate } from '@ws/deflate';
import type { EchoServerStats } from './echo-server';

const config = JSON.parse(process.argv[2] ?? '{}') as { deflate?: boolean; maxPayload?: number };
const gc = (globalThis as { gc?: () => void }).gc;

const closes: Record<string, number> = {};
let connections = 0;
let messages = 0;
let errors = 0;

const server = new Server({
  host: '127.0.0.1',
  port: 0,
  maxPayload: config.maxPayload,
  extensions: config.deflate === true ? [deflate()] : [],
});
server.on('error', () => errors++);
server.on('connection', (connection: Connection) => {
  connections++;
  connection.on('message', (data: string | Buffer, isBinary: boolean) => {
    messages++;
    connection.send(data, { binary: isBinary });
  });
  connection.on('close', (code: number) => {
    const key = code >= 3000 ? '3000-4999' : String(code);
    closes[key] = (closes[key] ?? 0) + 1;
  });
});
server.on('listening', () => {
  const address = server.address();
  process.send?.({ type: 'listening', port: typeof address === 'object' && address !== null ? address.port : 0 });
});

process.on('message', (message: { id: number; command: string; gc?: boolean }) => {
  if (message.command !== 'stats') return;
  if (message.gc === true && gc !== undefined) {
    // Twice: the first pass can leave objects that only a second one frees (weak callbacks).
    gc();
    gc();
  }
  const memory = process.memoryUsage();
  const stats: EchoServerStats & { id: number } = {
    id: message.id,
    heapUsed: memory.heapUsed,
    rss: memory.rss,
    arrayBuffers: memory.arrayBuffers,
    external: memory.external,
    maxRss: process.resourceUsage().maxRSS * 1024,
    clients: server.clients.size,
    connections,
    messages,
    errors,
    closes,
  };
  process.send?.(stats);
});

// The parent went away without telling us: do not outlive it.
process.on('disconnect', () => process.exit(0));
