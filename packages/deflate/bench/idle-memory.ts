/**
 * Memory held per idle connection by the server, with and without permessage-deflate.
 *
 *   node --expose-gc -r ./packages/bench/ts-register.js packages/deflate/bench/idle-memory.ts [count]
 *   (from the repository root; or `pnpm --filter @ws/deflate bench:memory`)
 *
 * Each scenario runs in a fresh server process (RSS never shrinks back, so scenarios must not
 * share one); the `ws` clients run in yet another process so their memory is not counted.
 * The server echoes: after "one message each way", every connection has compressed and
 * decompressed a 2 KiB text message, so with context takeover it now holds its zlib streams.
 * Figures are (after − before) / count, after a full GC. zlib's native memory shows in
 * `external` (Node reports it to V8) and in RSS.
 */
import { fork } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Server, type Extension } from '@ws/core';
import { deflate, type DeflateOptions } from '@ws/deflate';
import { WebSocketServer } from 'ws';

interface Scenario {
  name: string;
  server: DeflateOptions | null;
  client: Record<string, unknown> | false;
  /** Run the `ws` package's server instead, with these perMessageDeflate options (a yardstick). */
  ws?: Record<string, unknown>;
}

const SCENARIOS: Scenario[] = [
  { name: 'no compression', server: null, client: false },
  { name: 'deflate, context takeover (default: windows 12, memLevel 5)', server: {}, client: { threshold: 0 } },
  {
    name: 'deflate, takeover, windows 15, memLevel 8 (zlib defaults, 16 KiB chunks)',
    server: {
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 15,
      zlibDeflateOptions: { memLevel: 8, chunkSize: 16 * 1024 },
      zlibInflateOptions: { chunkSize: 16 * 1024 },
    },
    client: { threshold: 0 },
  },
  {
    name: 'deflate, no context takeover',
    server: { serverNoContextTakeover: true, clientNoContextTakeover: true },
    client: { threshold: 0 },
  },
  {
    name: 'deflate, server_no_context_takeover only',
    server: { serverNoContextTakeover: true },
    client: { threshold: 0 },
  },
  {
    name: 'deflate, takeover, windows 10, memLevel 4',
    server: { serverMaxWindowBits: 10, clientMaxWindowBits: 10, zlibDeflateOptions: { memLevel: 4 } },
    client: { threshold: 0 },
  },
  { name: 'ws server, context takeover', server: null, client: { threshold: 0 }, ws: { threshold: 0 } },
  {
    name: 'ws server, no context takeover',
    server: null,
    client: { threshold: 0 },
    ws: { threshold: 0, serverNoContextTakeover: true, clientNoContextTakeover: true },
  },
];

interface Sample {
  rss: number;
  heapUsed: number;
  external: number;
}

function measure(): Sample {
  for (let i = 0; i < 3; i++) global.gc?.();
  const { rss, heapUsed, external } = process.memoryUsage();
  return { rss, heapUsed, external };
}

function perConnection(after: Sample, before: Sample, count: number): string {
  const kib = (bytes: number): string => `${(bytes / count / 1024).toFixed(1)} KiB`;
  return `heap ${kib(after.heapUsed - before.heapUsed)}, external ${kib(after.external - before.external)}, rss ${kib(after.rss - before.rss)}`;
}

const settle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface EchoServer {
  port: number;
  close(): Promise<void>;
}

async function startOurs(options: DeflateOptions | null): Promise<EchoServer> {
  const extensions: Extension[] = options === null ? [] : [deflate(options)];
  const server = new Server({ host: '127.0.0.1', port: 0, extensions });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  server.on('message', (data, connection, isBinary) => connection.send(data, { binary: isBinary }));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => server.close(),
  };
}

async function startWs(perMessageDeflate: Record<string, unknown>): Promise<EchoServer> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  server.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of server.clients) ws.terminate();
        server.close(() => resolve());
      }),
  };
}

async function runScenario(scenario: Scenario, count: number): Promise<void> {
  const server = scenario.ws === undefined ? await startOurs(scenario.server) : await startWs(scenario.ws);
  const { port } = server;

  const clients = fork(path.join(__dirname, 'clients.js'), [], { stdio: 'inherit' });
  const ask = (command: object): Promise<Record<string, unknown>> =>
    new Promise((resolve) => {
      clients.once('message', (reply) => resolve(reply as Record<string, unknown>));
      clients.send(command);
    });

  await settle(200);
  const before = measure();
  const connected = await ask({ connect: `ws://127.0.0.1:${port}`, count, perMessageDeflate: scenario.client });
  await settle(500);
  const idle = measure();
  await ask({ send: 2048 });
  await settle(500);
  const afterTraffic = measure();

  console.log(`${scenario.name} (${count} connections, negotiated: "${(connected.extensions as string) || 'none'}")`);
  console.log(`  open, no message yet:   ${perConnection(idle, before, count)}`);
  console.log(`  after one message each way: ${perConnection(afterTraffic, before, count)}`);

  clients.send({ close: true });
  await server.close();
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 2000);
  const only = process.env.SCENARIO;
  if (only !== undefined) {
    await runScenario(SCENARIOS[Number(only)], count);
    return;
  }
  if (global.gc === undefined) console.warn('run with --expose-gc for stable figures');
  console.log(`node ${process.version}, zlib ${process.versions.zlib}`);
  for (let i = 0; i < SCENARIOS.length; i++) {
    // A fresh process per scenario: RSS does not shrink back between them.
    const child = fork(__filename, [String(count)], {
      env: { ...process.env, SCENARIO: String(i) },
      execArgv: process.execArgv,
      stdio: 'inherit',
    });
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
