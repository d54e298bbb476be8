'use strict';
/**
 * Handshakes per second, @ws/core against ws (bufferutil), alternated rounds: each handshake is
 * connect, upgrade, read the 101, send a close frame, read the server's close frame, and wait for
 * the TCP close (the server closes first, RFC 6455 §7.1.1); `CONCURRENCY` of them at a time.
 *
 *   node packages/bench/src/handshake-storm.js [handshakes=5000] [rounds=5] [concurrency=32]
 *   HANDSHAKE_PROFILE=/tmp/prof node …   (each server process writes a .cpuprofile there)
 *
 * The server runs in a child process; the load client runs here (precomputed request and masked
 * close frame, raw `net` sockets). Besides the wall-clock rate, which depends on the machine's
 * load, it reports the server process's CPU time per handshake (`process.cpuUsage()` across the
 * measured storm), which is the steadier figure on a shared machine.
 *
 * Self-contained: the same file is the parent and the server (`server <impl> [port]`).
 */
const { fork } = require('node:child_process');
const net = require('node:net');
const path = require('node:path');

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';
// A masked close frame with code 1000: FIN + close, MASK + 2, mask key, masked payload.
const CLOSE_FRAME = (() => {
  const mask = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);
  const frame = Buffer.from([0x88, 0x82, ...mask, 0x03 ^ mask[0], 0xe8 ^ mask[1]]);
  return frame;
})();

// ---- server -------------------------------------------------------------------------------

function runServer(impl, port = 0) {
  const report = (address) => process.send?.({ type: 'listening', port: address.port });
  if (impl === 'ours' || impl === 'base') {
    // 'base': another checkout's sources (HANDSHAKE_BASE=<its root>), for an A/B of two versions.
    require(
      impl === 'base' ? path.join(process.env.HANDSHAKE_BASE, 'packages/bench/ts-register.js') : '../ts-register.js',
    );
    const { Server } = require('@ws/core');
    const server = new Server({ host: '127.0.0.1', port }, () => report(server.address()));
  } else if (impl === 'ws') {
    const { WebSocketServer } = require('ws');
    const server = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false }, () =>
      report(server.address()),
    );
  } else {
    throw new Error(`unknown implementation ${impl}`);
  }
  process.on('message', (message) => {
    if (message.type !== 'cpu') return;
    const { user, system } = process.cpuUsage();
    process.send({ type: 'cpu', micros: user + system });
  });
  // Profiling (--cpu-prof) needs a clean exit to write its file.
  process.on('SIGTERM', () => process.exit(0));
  process.on('SIGINT', () => process.exit(0));
}

// ---- client -------------------------------------------------------------------------------

/** One handshake and close; resolves once the socket is closed. */
function handshakeOnce(port, request) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
    let state = 0; // 0: waiting for the 101, 1: waiting for the close frame, 2: closed
    let received = Buffer.alloc(0);
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk) => {
      received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
      if (state === 0) {
        const end = received.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = received.toString('latin1', 0, end);
        if (!head.startsWith('HTTP/1.1 101') || !head.includes(ACCEPT)) {
          reject(new Error(`bad answer: ${head}`));
          socket.destroy();
          return;
        }
        received = received.subarray(end + 4);
        state = 1;
        socket.write(CLOSE_FRAME);
      }
      if (state === 1 && received.length >= 4) {
        if (received[0] !== 0x88) reject(new Error(`expected a close frame, got ${received[0]}`));
        state = 2;
      }
    });
    socket.on('error', reject);
    socket.on('close', () => (state === 2 ? resolve() : reject(new Error(`closed in state ${state}`))));
  });
}

async function storm(port, total, concurrency) {
  const request = Buffer.from(
    `GET /chat HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\nOrigin: http://127.0.0.1\r\n\r\n`,
    'latin1',
  );
  let started = 0;
  const lane = async () => {
    while (started < total) {
      started++;
      await handshakeOnce(port, request);
    }
  };
  const begin = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, lane));
  return Number(process.hrtime.bigint() - begin) / 1e9;
}

// ---- parent -------------------------------------------------------------------------------

const reply = (child, type) =>
  new Promise((resolve) => {
    child.on('message', function onMessage(message) {
      if (message.type !== type) return;
      child.removeListener('message', onMessage);
      resolve(message);
    });
  });

async function measure(impl, total, concurrency) {
  const server = fork(__filename, ['server', impl], {
    // HANDSHAKE_PROFILE=<dir>: each server process writes a .cpuprofile there.
    execArgv: process.env.HANDSHAKE_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.HANDSHAKE_PROFILE}`] : [],
    env: { ...process.env, NODE_PATH: path.join(__dirname, '..', 'node_modules') },
  });
  const { port } = await reply(server, 'listening');
  await storm(port, Math.min(1000, total), concurrency); // warm-up: compiled code, pools
  server.send({ type: 'cpu' });
  const before = await reply(server, 'cpu');
  const seconds = await storm(port, total, concurrency);
  server.send({ type: 'cpu' });
  const after = await reply(server, 'cpu');
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill(); // SIGTERM: a clean exit, so that --cpu-prof writes its profile
  await exited;
  return { rate: total / seconds, cpu: (after.micros - before.micros) / total };
}

async function main() {
  const total = Number(process.argv[2] || 5000);
  const rounds = Number(process.argv[3] || 5);
  const concurrency = Number(process.argv[4] || 32);
  const impls = process.env.HANDSHAKE_BASE ? ['ours', 'ws', 'base'] : ['ours', 'ws'];
  const results = Object.fromEntries(impls.map((impl) => [impl, []]));
  for (let round = 0; round < rounds; round++) {
    for (const impl of round % 2 === 0 ? impls : [...impls].reverse()) {
      const result = await measure(impl, total, concurrency);
      results[impl].push(result);
      console.log(
        `round ${round + 1}/${rounds} ${impl}: ${result.rate.toFixed(0)} handshakes/s, ` +
          `server CPU ${result.cpu.toFixed(1)} us per handshake`,
      );
    }
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const rate = (impl) => median(results[impl].map((r) => r.rate));
  const cpu = (impl) => median(results[impl].map((r) => r.cpu));
  console.log(
    `handshakes/s, median: @ws/core ${rate('ours').toFixed(0)}, ws ${rate('ws').toFixed(0)}, ` +
      `ratio ${(rate('ours') / rate('ws')).toFixed(2)}`,
  );
  console.log(
    `server CPU per handshake, median: @ws/core ${cpu('ours').toFixed(1)} us, ws ${cpu('ws').toFixed(1)} us, ` +
      `ws/ours ${(cpu('ws') / cpu('ours')).toFixed(2)} (handshakes per CPU-second, ratio to ws)`,
  );
  if (results.base !== undefined) {
    console.log(
      `base (${process.env.HANDSHAKE_BASE}): ${rate('base').toFixed(0)} handshakes/s, ` +
        `server CPU ${cpu('base').toFixed(1)} us per handshake, ws/base ${(cpu('ws') / cpu('base')).toFixed(2)}`,
    );
  }
}

if (process.argv[2] === 'server') runServer(process.argv[3], Number(process.argv[4] || 0));
else
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
