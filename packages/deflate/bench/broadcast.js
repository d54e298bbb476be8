'use strict';
/**
 * Broadcast of 16 KiB JSON to 1,000 permessage-deflate clients: @ws/core + @ws/deflate (which
 * compresses once per message for clients without server context takeover) against ws (which
 * compresses once per client). Rounds alternate A B A B; each round starts a fresh server and
 * receiver process, connects the clients, broadcasts `messages` messages one per event-loop turn,
 * and records the wall time until every client has every message and the server's CPU time
 * (process.cpuUsage: every thread, so zlib's thread pool counts too).
 *
 *   node -r ./packages/bench/ts-register.js packages/deflate/bench/broadcast.js [rounds] [clients] [messages]
 */
const { fork } = require('node:child_process');
const path = require('node:path');

const rounds = Number(process.argv[2] ?? 5);
const clientCount = Number(process.argv[3] ?? 1000);
const messageCount = Number(process.argv[4] ?? 50);
const OFFER = 'permessage-deflate; server_no_context_takeover; client_max_window_bits';

function once(child, key) {
  return new Promise((resolve) => {
    const listener = (message) => {
      if (message[key] === undefined) return;
      child.off('message', listener);
      resolve(message);
    };
    child.on('message', listener);
  });
}

async function round(impl) {
  // BENCH_CPU_PROF=dir writes a V8 CPU profile of each server process there.
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const server = fork(path.join(__dirname, 'broadcast-server.js'), [impl], {
    execArgv: [...process.execArgv, ...profile],
  });
  const { listening: port } = await once(server, 'listening');
  const receivers = fork(path.join(__dirname, 'raw-receivers.js'), [], { execArgv: [] });
  receivers.send({ connect: port, count: clientCount, offer: OFFER });
  await once(receivers, 'connected');
  await new Promise((resolve) => setTimeout(resolve, 500));
  const received = once(receivers, 'received');
  receivers.send({ expect: messageCount });
  const started = process.hrtime.bigint();
  server.send({ send: messageCount });
  const { compressed, cpuMicros: receiverMicros } = await received;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  server.send({ stop: true });
  const { cpuMicros } = await once(server, 'cpuMicros');
  receivers.send({ close: true });
  server.send({ close: true });
  if (compressed !== clientCount * messageCount) throw new Error(`${impl}: ${compressed} compressed frames`);
  const deliveries = clientCount * messageCount;
  return {
    deliveriesPerSecond: deliveries / seconds,
    cpuMicrosPerMessage: cpuMicros / messageCount,
    receiverCpuShare: receiverMicros / 1e6 / seconds,
  };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

(async () => {
  const results = { ours: [], ws: [] };
  for (let i = 0; i < rounds; i++) {
    for (const impl of i % 2 === 0 ? ['ours', 'ws'] : ['ws', 'ours']) {
      const result = await round(impl);
      results[impl].push(result);
      console.log(
        `round ${i + 1}/${rounds} ${impl.padEnd(4)} ${Math.round(result.deliveriesPerSecond)} deliveries/s, ` +
          `server CPU ${(result.cpuMicrosPerMessage / 1000).toFixed(2)} ms per broadcast, ` +
          `receivers busy ${Math.round(result.receiverCpuShare * 100)}% of a core`,
      );
    }
  }
  const summary = (impl, key) => median(results[impl].map((r) => r[key]));
  const ours = summary('ours', 'deliveriesPerSecond');
  const ws = summary('ws', 'deliveriesPerSecond');
  const oursCpu = summary('ours', 'cpuMicrosPerMessage');
  const wsCpu = summary('ws', 'cpuMicrosPerMessage');
  console.log(`median deliveries/s: ours ${Math.round(ours)}, ws ${Math.round(ws)}, ratio ${(ours / ws).toFixed(2)}x`);
  console.log(
    `median server CPU per broadcast: ours ${(oursCpu / 1000).toFixed(2)} ms, ws ${(wsCpu / 1000).toFixed(2)} ms, ` +
      `ws/ours ${(wsCpu / oursCpu).toFixed(2)}x`,
  );
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
