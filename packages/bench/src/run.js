'use strict';
// `pnpm bench`: @ws/core against ws (with bufferutil and utf-8-validate, its fastest setup) in
// the same run, on the same machine, with the same load client. Reports medians and ratios.
const { runLoad, openIdle } = require('./load-client');
const { startServer, memoryOf, median } = require('./server-process');
const { fanOut } = require('./fan-out');

const ROUNDS = Number(process.env.BENCH_ROUNDS || 5);
const SCENARIOS = [
  // One message in flight per connection: request/response, nothing to batch.
  { name: 'text 32 B, 50 conns, 1 in flight', connections: 50, messages: 1000, size: 32, binary: false, window: 1 },
  { name: 'text 32 B, 50 conns', connections: 50, messages: 4000, size: 32, binary: false, window: 32 },
  { name: 'text 1 KiB, 50 conns', connections: 50, messages: 2000, size: 1024, binary: false, window: 32 },
  { name: 'binary 16 KiB, 20 conns', connections: 20, messages: 1000, size: 16 * 1024, binary: true, window: 16 },
  { name: 'binary 1 MiB, 4 conns', connections: 4, messages: 40, size: 1024 * 1024, binary: true, window: 4 },
];
const IDLE_CONNECTIONS = Number(process.env.BENCH_IDLE || 5000);

const format = (n) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });

async function throughput() {
  console.log(`Echo throughput, median of ${ROUNDS} rounds (messages/s; ratio > 1 means @ws/core is faster)\n`);
  console.log('| scenario | @ws/core | ws | ratio |');
  console.log('|---|---:|---:|---:|');
  for (const scenario of SCENARIOS) {
    const rates = { ours: [], ws: [] };
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate the order so neither side always runs on a warmer machine.
      const order = round % 2 === 0 ? ['ours', 'ws'] : ['ws', 'ours'];
      for (const impl of order) {
        const { child, port } = await startServer(impl);
        await runLoad({ port, ...scenario, messages: Math.ceil(scenario.messages / 10) }); // warm-up
        const ms = await runLoad({ port, ...scenario });
        rates[impl].push((scenario.connections * scenario.messages) / (ms / 1000));
        child.kill();
      }
    }
    const ours = median(rates.ours);
    const theirs = median(rates.ws);
    console.log(`| ${scenario.name} | ${format(ours)} | ${format(theirs)} | ${(ours / theirs).toFixed(2)} |`);
  }
}

async function idleMemory() {
  console.log(
    `\nMemory of ${IDLE_CONNECTIONS} idle connections (server process, after GC; ratio < 1 means @ws/core uses less)\n`,
  );
  console.log('| implementation | heap per connection | RSS per connection |');
  console.log('|---|---:|---:|');
  const result = {};
  for (const impl of ['ours', 'ws']) {
    const { child, port } = await startServer(impl);
    const before = await memoryOf(child);
    const close = await openIdle(port, IDLE_CONNECTIONS);
    const after = await memoryOf(child);
    close();
    child.kill();
    result[impl] = {
      heap: (after.heapUsed + after.external - before.heapUsed - before.external) / IDLE_CONNECTIONS,
      rss: (after.rss - before.rss) / IDLE_CONNECTIONS,
    };
    console.log(
      `| ${impl === 'ours' ? '@ws/core' : 'ws'} | ${format(result[impl].heap)} B | ${format(result[impl].rss)} B |`,
    );
  }
  console.log(
    `| ratio | ${(result.ours.heap / result.ws.heap).toFixed(2)} | ${(result.ours.rss / result.ws.rss).toFixed(2)} |`,
  );
}

(async () => {
  console.log(`node ${process.version}, ${require('node:os').cpus().length} cores\n`);
  const only = process.env.BENCH_ONLY; // 'throughput', 'memory' or 'fanout'
  if (only === undefined || only === 'throughput') await throughput();
  if (only === undefined || only === 'memory') await idleMemory();
  if (only === undefined || only === 'fanout') await fanOut(ROUNDS);
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
