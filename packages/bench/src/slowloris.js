'use strict';
// `node src/slowloris.js`: what N slowloris sockets (an
// upgrade request dripped a byte every 500 ms) cost a server, @ws/core against ws, and how a
// healthy client fares meanwhile: connect time and echo round trip. Alternates the two servers.
const net = require('node:net');
const WebSocket = require('ws');
const { startServer, memoryOf } = require('./servers');
const { median } = require('./stats');

const SOCKETS = Number(process.env.SLOWLORIS || 5000);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const REQUEST =
  'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function openSlowloris(port) {
  const sockets = [];
  for (let i = 0; i < SOCKETS; i += 200) {
    const batch = Array.from(
      { length: Math.min(200, SOCKETS - i) },
      () =>
        new Promise((resolve) => {
          const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
          socket.on('error', () => undefined);
          socket.resume();
        }),
    );
    sockets.push(...(await Promise.all(batch)));
  }
  let position = 0;
  const timer = setInterval(() => {
    const byte = REQUEST[position++ % REQUEST.length];
    for (const socket of sockets) if (!socket.destroyed) socket.write(byte);
  }, 500);
  return { sockets, stop: () => (clearInterval(timer), sockets.forEach((socket) => socket.destroy())) };
}

async function healthyClient(port) {
  const started = performance.now();
  const ws = new WebSocket(`ws://127.0.0.1:${port}`);
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
  const connectMs = performance.now() - started;
  const trips = [];
  for (let i = 0; i < 20; i++) {
    const sent = performance.now();
    ws.send('ping');
    await new Promise((resolve) => ws.once('message', resolve));
    trips.push(performance.now() - sent);
  }
  ws.terminate();
  return { connectMs, echoMs: median(trips) };
}

async function round(impl) {
  const { child, port } = await startServer(impl);
  await healthyClient(port); // warm-up: the first handshake of a process runs cold code
  const base = await memoryOf(child);
  const attack = await openSlowloris(port);
  await delay(1500); // a few bytes into every request
  const loaded = await memoryOf(child);
  const healthy = await healthyClient(port);
  const alive = attack.sockets.filter((socket) => !socket.destroyed).length;
  attack.stop();
  child.kill();
  return {
    heapPerSocket: (loaded.heapUsed - base.heapUsed) / SOCKETS,
    rssPerSocket: (loaded.rss - base.rss) / SOCKETS,
    alive,
    ...healthy,
  };
}

async function main() {
  const results = { ours: [], ws: [] };
  for (let i = 0; i < ROUNDS; i++) {
    for (const impl of i % 2 === 0 ? ['ours', 'ws'] : ['ws', 'ours']) results[impl].push(await round(impl));
  }
  console.log(`${SOCKETS} slowloris sockets, median of ${ROUNDS} rounds\n`);
  console.log('| measure | @ws/core | ws | ratio |');
  console.log('|---|---:|---:|---:|');
  for (const [name, key, digits] of [
    ['server heap per slowloris socket (bytes)', 'heapPerSocket', 0],
    ['server RSS per slowloris socket (bytes)', 'rssPerSocket', 0],
    ['healthy client: connect (ms)', 'connectMs', 1],
    ['healthy client: echo round trip (ms)', 'echoMs', 2],
  ]) {
    const ours = median(results.ours.map((r) => r[key]));
    const theirs = median(results.ws.map((r) => r[key]));
    console.log(`| ${name} | ${ours.toFixed(digits)} | ${theirs.toFixed(digits)} | ${(ours / theirs).toFixed(2)} |`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
