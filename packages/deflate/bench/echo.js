'use strict';
/**
 * permessage-deflate echo of 16 KiB JSON without context takeover: @ws/core + @ws/deflate
 * against ws. Rounds alternate A B A B; each starts a fresh server and client process; the
 * clients send one precompressed frame per message (`inFlight` per connection) and count echoes
 * by their headers. Reports messages/s and the server's CPU time per message (process.cpuUsage,
 * every thread, so zlib's thread pool counts).
 *
 *   node -r ./packages/bench/ts-register.js packages/deflate/bench/echo.js [rounds] [connections] [inFlight] [messages]
 *   BENCH_CPU_PROF=dir also writes a V8 CPU profile of each server process there.
 */
const { fork } = require('node:child_process');
const path = require('node:path');

const rounds = Number(process.argv[2] ?? 6);
const connections = Number(process.argv[3] ?? 50);
const inFlight = Number(process.argv[4] ?? 4);
const messages = Number(process.argv[5] ?? 20000);

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
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const server = fork(path.join(__dirname, 'echo-server.js'), [impl], { execArgv: [...process.execArgv, ...profile] });
  const { listening: port } = await once(server, 'listening');
  const clients = fork(path.join(__dirname, 'echo-clients.js'), [], { execArgv: [] });
  clients.send({ connect: port, count: connections });
  await once(clients, 'connected');
  // Warm-up, so both servers are measured with their code optimised.
  clients.send({ run: Math.min(2000, messages), inFlight });
  await once(clients, 'done');
  server.send({ start: true });
  clients.send({ run: messages, inFlight });
  const { seconds, cpuMicros: clientMicros } = await once(clients, 'done');
  server.send({ stop: true });
  const { cpuMicros } = await once(server, 'cpuMicros');
  clients.send({ close: true });
  server.send({ close: true });
  return { perSecond: messages / seconds, cpuMicros: cpuMicros / messages, clientShare: clientMicros / 1e6 / seconds };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

(async () => {
  const results = { ours: [], ws: [] };
  for (let i = 0; i < rounds; i++) {
    for (const impl of i % 2 === 0 ? ['ours', 'ws'] : ['ws', 'ours']) {
      const r = await round(impl);
      results[impl].push(r);
      console.log(
        `round ${i + 1}/${rounds} ${impl.padEnd(4)} ${Math.round(r.perSecond)} msg/s, server CPU ${r.cpuMicros.toFixed(1)} µs/msg, ` +
          `client busy ${Math.round(r.clientShare * 100)}% of a core`,
      );
    }
  }
  const m = (impl, key) => median(results[impl].map((r) => r[key]));
  console.log(
    `median msg/s: ours ${Math.round(m('ours', 'perSecond'))}, ws ${Math.round(m('ws', 'perSecond'))}, ` +
      `ratio ${(m('ours', 'perSecond') / m('ws', 'perSecond')).toFixed(2)}x`,
  );
  console.log(
    `median server CPU per message: ours ${m('ours', 'cpuMicros').toFixed(1)} µs, ws ${m('ws', 'cpuMicros').toFixed(1)} µs, ` +
      `ws/ours ${(m('ws', 'cpuMicros') / m('ours', 'cpuMicros')).toFixed(2)}x`,
  );
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
