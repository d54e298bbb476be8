'use strict';
/**
 * `pnpm --filter @ws/redis bench`: one publisher process, subscribers on three other processes
 * (each with `--clients` ws clients), all through one local redis-server; pub/sub mode against
 * streams mode, alternated round by round (A B A B), medians reported.
 *
 * - throughput: `--messages` binary messages published as fast as the publisher can, until every
 *   client on every process has all of them (messages/s delivered per client).
 * - latency: `--rate` messages/s for `--seconds`; publish-to-receipt per message per client
 *   (p50, p99), clocks shared since every process runs on this machine.
 *
 * Needs redis-server on PATH. The machine may be shared: compare ratios, not absolute figures.
 */
const path = require('node:path');
const { fork } = require('node:child_process');
const { performance } = require('node:perf_hooks');
require('../../bench/ts-register.js');
const WebSocket = require('ws');
const { RedisServer } = require('../test/helpers/redis-server.ts');

const args = Object.fromEntries(
  process.argv
    .slice(2)
    .reduce((pairs, arg, i, all) => (arg.startsWith('--') ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []),
);
const ROUNDS = Number(args.rounds ?? 3);
const CLIENTS = Number(args.clients ?? 10);
const MESSAGES = Number(args.messages ?? 20000);
const SIZE = Number(args.size ?? 64);
const RATE = Number(args.rate ?? 2000);
const SECONDS = Number(args.seconds ?? 3);
const ROOT = path.resolve(__dirname, '../../..');

function startNode(options) {
  const child = fork(path.join(__dirname, 'node.ts'), [JSON.stringify(options)], {
    cwd: ROOT,
    execArgv: ['-r', path.join(ROOT, 'packages/bench/ts-register.js')],
  });
  return new Promise((resolve) => {
    child.on('message', function onMessage(message) {
      if (message.type !== 'listening') return;
      child.off('message', onMessage);
      resolve({ child, port: message.port });
    });
  });
}

const once = (child, type) =>
  new Promise((resolve) =>
    child.on('message', function onMessage(message) {
      if (message.type !== type) return;
      child.off('message', onMessage);
      resolve(message);
    }),
  );

async function setUp(url, mode) {
  const prefix = `bench-${mode}-${Date.now()}:`;
  const publisher = await startNode({ url, mode, prefix });
  const subscribers = await Promise.all([0, 1, 2].map(() => startNode({ url, mode, prefix })));
  const sockets = [];
  for (const { port } of subscribers) {
    for (let i = 0; i < CLIENTS; i++) {
      const socket = new WebSocket(`ws://127.0.0.1:${port}/`);
      await new Promise((resolve) => socket.once('open', resolve));
      sockets.push(socket);
    }
  }
  for (const { child } of subscribers) {
    child.send({ command: 'subscribed' });
    await once(child, 'subscribed');
  }
  return { publisher, subscribers, sockets };
}

function tearDown({ publisher, subscribers, sockets }) {
  for (const socket of sockets) socket.terminate();
  for (const { child } of [publisher, ...subscribers]) child.kill();
}

/** Publishes and resolves once every socket has `count` messages, with the latencies seen. */
async function run(setup, count, rate) {
  const latencies = [];
  let remaining = setup.sockets.length * count;
  const start = performance.now();
  const allIn = new Promise((resolve) => {
    for (const socket of setup.sockets) {
      socket.removeAllListeners('message');
      socket.on('message', (data) => {
        latencies.push(performance.timeOrigin + performance.now() - data.readDoubleLE(0));
        if (--remaining === 0) resolve();
      });
    }
  });
  setup.publisher.child.send({ command: 'publish', count, size: SIZE, rate });
  const timeout = new Promise((resolve) => setTimeout(() => resolve('timeout'), 120_000));
  const outcome = await Promise.race([allIn, timeout]);
  const elapsed = (performance.now() - start) / 1000;
  if (outcome === 'timeout') throw new Error(`timed out with ${remaining} deliveries missing`);
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return { rate: count / elapsed, p50: at(0.5), p99: at(0.99) };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

(async () => {
  const redis = await new RedisServer().start();
  const results = { pubsub: { rate: [], p50: [], p99: [] }, streams: { rate: [], p50: [], p99: [] } };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? ['pubsub', 'streams'] : ['streams', 'pubsub'];
      for (const mode of order) {
        const setup = await setUp(redis.url, mode);
        await run(setup, Math.ceil(MESSAGES / 10)); // warm-up
        const throughput = await run(setup, MESSAGES);
        const latency = await run(setup, RATE * SECONDS, RATE);
        results[mode].rate.push(throughput.rate);
        results[mode].p50.push(latency.p50);
        results[mode].p99.push(latency.p99);
        tearDown(setup);
        console.error(
          `round ${round + 1} ${mode}: ${Math.round(throughput.rate)} msg/s, p50 ${latency.p50.toFixed(2)} ms, p99 ${latency.p99.toFixed(2)} ms`,
        );
      }
    }
  } finally {
    await redis.dispose();
  }
  const row = (mode) => {
    const r = results[mode];
    return `| ${mode} | ${Math.round(median(r.rate)).toLocaleString('en-US')} | ${median(r.p50).toFixed(2)} | ${median(r.p99).toFixed(2)} |`;
  };
  console.log(
    `\nOne publisher, 3 subscriber processes x ${CLIENTS} clients, ${SIZE}-byte binary messages, median of ${ROUNDS} rounds`,
  );
  console.log(`throughput: ${MESSAGES} messages at full speed; latency: ${RATE} messages/s for ${SECONDS} s\n`);
  console.log('| mode | throughput (messages/s to every client) | latency p50 (ms) | latency p99 (ms) |');
  console.log('|---|---:|---:|---:|');
  console.log(row('pubsub'));
  console.log(row('streams'));
  const ratio = median(results.pubsub.rate) / median(results.streams.rate);
  console.log(`\npub/sub throughput / streams throughput: ${ratio.toFixed(2)}x`);
  process.exit(0);
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
