'use strict';
// One message to many connections: `server.publish` to N subscribers of one topic against
// `server.broadcast` to the same N connections (same process, same sockets, alternating A B A B),
// and `ws`'s broadcast loop in a process of its own for reference.
//
//   run.js ──fork──> fan-out-server.js (N server sockets)
//          <──────── this process holds the N client sockets and counts frames on each
//
// The client and the server each hold one socket per connection, in separate processes, so
// 10,000 connections fit under a 20,000 open-files limit. A round ends when every connection
// has received every message; the rate is deliveries (connections × messages) per second.
const { fork } = require('node:child_process');
const path = require('node:path');
const { openMany, FrameCounter } = require('./load-client');

const CONNECTIONS = Number(process.env.BENCH_FANOUT_CONNECTIONS || 10000);
const SCENARIOS = [
  { name: 'text 32 B, 20 in one tick', size: 32, binary: false, messages: 20, burst: true },
  { name: 'text 32 B, 1 per tick', size: 32, binary: false, messages: 5, burst: false },
  { name: 'binary 1 KiB, 10 in one tick', size: 1024, binary: true, messages: 10, burst: true },
];

function startServer(impl) {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, 'fan-out-server.js'), [impl], {
      env: { ...process.env, NODE_PATH: path.join(__dirname, '..', 'node_modules') },
    });
    child.once('error', reject);
    child.once('message', (message) => resolve({ child, port: message.port }));
  });
}

/** Counts frames on every client socket; `until(total)` resolves once that many arrived in all. */
function countFrames(connections) {
  let total = 0;
  let waiter = null;
  for (const { socket, rest } of connections) {
    const counter = new FrameCounter();
    const onData = (chunk) => {
      const before = counter.frames;
      counter.push(chunk);
      total += counter.frames - before;
      if (waiter !== null && total >= waiter.target) {
        const { resolve } = waiter;
        waiter = null;
        resolve();
      }
    };
    socket.on('data', onData);
    if (rest.length > 0) onData(rest);
  }
  return {
    until(target) {
      if (total >= target) return Promise.resolve();
      return new Promise((resolve) => (waiter = { target, resolve }));
    },
    get total() {
      return total;
    },
  };
}

/** One round: the server sends `messages` to everyone; resolves with deliveries per second. */
async function round(child, frames, mode, scenario, connections) {
  const target = frames.total + connections * scenario.messages;
  const started = process.hrtime.bigint();
  const { size, binary, messages, burst } = scenario;
  child.send({ type: 'send', mode, size, binary, messages, burst });
  await frames.until(target);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  return (connections * messages) / (ms / 1000);
}

/** Runs `modes` in alternation on one server process of `impl`; returns { mode: rates[] }. */
async function measure(impl, modes, scenario, rounds) {
  const { child, port } = await startServer(impl);
  const connections = await openMany(port, CONNECTIONS);
  const frames = countFrames(connections);
  const results = Object.fromEntries(modes.map((mode) => [mode, []]));
  for (const mode of modes) await round(child, frames, mode, { ...scenario, messages: 2 }, CONNECTIONS); // warm-up
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? modes : [...modes].reverse();
    for (const mode of order) results[mode].push(await round(child, frames, mode, scenario, CONNECTIONS));
  }
  for (const { socket } of connections) socket.destroy();
  child.kill();
  return results;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const format = (n) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });

async function fanOut(rounds) {
  console.log(
    `\nOne message to ${format(CONNECTIONS)} connections, median of ${rounds} rounds ` +
      '(deliveries/s, until every client has every message; ratio > 1 means publish is faster)\n',
  );
  console.log('| scenario | publish | broadcast | publish / broadcast (paired) | ws broadcast loop | publish / ws |');
  console.log('|---|---:|---:|---:|---:|---:|');
  const only = process.env.BENCH_FANOUT_ONLY; // a part of a scenario's name
  for (const scenario of SCENARIOS.filter((s) => only === undefined || s.name.includes(only))) {
    const ours = await measure('ours', ['publish', 'broadcast'], scenario, rounds);
    const ws = await measure('ws', ['broadcast'], scenario, rounds);
    const [publish, broadcast, wsLoop] = [ours.publish, ours.broadcast, ws.broadcast].map(median);
    // Each round ran publish and broadcast back to back: the median of those pairs' ratios is
    // steadier on a shared machine than the ratio of two medians.
    const paired = median(ours.publish.map((rate, i) => rate / ours.broadcast[i]));
    console.log(
      `| ${scenario.name} | ${format(publish)} | ${format(broadcast)} | ${paired.toFixed(2)} | ` +
        `${format(wsLoop)} | ${(publish / wsLoop).toFixed(2)} |`,
    );
  }
}

module.exports = { fanOut };
