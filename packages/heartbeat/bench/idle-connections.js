'use strict';
/**
 * What the heartbeat costs a server holding many idle connections: CPU per interval, and heap and
 * RSS per connection, with and without the plugin. Not a test; run by hand (see the README):
 *
 *   ulimit -n 120000 && node packages/heartbeat/bench/idle-connections.js \
 *     --connections 10000,50000 --interval 5000 --intervals 6 [--variants off,heartbeat,heartbeat@8,burst]
 *
 *   parent ──fork──> server process (the one measured: @ws/core Server, heartbeat on or off)
 *          ──fork──> client process (raw net sockets: a minimal handshake, then a pong per ping,
 *                    spread over 127.0.0.2, 127.0.0.3, … so no source address runs out of ports)
 *
 * Variants: no keep-alive (the floor), this plugin, and the `ws` README's pattern (one
 * setInterval pinging every client at once) for contrast.
 *
 * Each server process measures itself: heap and RSS after gc() before and after the connections
 * are open, then process.cpuUsage() and the event loop delay over `--intervals` intervals.
 */
const { fork } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');

/**
 * off: no keep-alive at all, the floor. heartbeat: this plugin; heartbeat@N: with `slots: N`.
 * burst: the pattern of the `ws` README (one setInterval pinging every client at once,
 * terminating those that did not answer the previous ping), for contrast: the same work, done in
 * one block.
 */
const DEFAULT_VARIANTS = ['off', 'heartbeat', 'burst'];
const PER_ADDRESS = 10000; // well under the 28k ephemeral ports of one source address
const OPEN_IN_FLIGHT = 256; // handshakes in flight, under the listen backlog

function parseArgs(argv) {
  const args = { connections: [10000, 50000], interval: 1000, intervals: 10, variants: DEFAULT_VARIANTS };
  for (let i = 0; i < argv.length; i += 2) {
    const [name, value] = [argv[i], argv[i + 1]];
    if (name === '--connections') args.connections = value.split(',').map(Number);
    else if (name === '--interval') args.interval = Number(value);
    else if (name === '--intervals') args.intervals = Number(value);
    else if (name === '--variants') args.variants = value.split(',');
    else throw new Error(`unknown argument ${name}`);
  }
  return args;
}

function openFileLimit() {
  const line = fs.readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
  return line === undefined ? Infinity : Number(line.split(/\s+/)[3]);
}

function once(child, type) {
  return new Promise((resolve, reject) => {
    const onMessage = (message) => {
      if (message.type !== type) return;
      child.off('message', onMessage);
      resolve(message);
    };
    child.on('message', onMessage);
    child.once('exit', (code) => reject(new Error(`${type}: child exited with ${code}`)));
  });
}

// ---- parent ------------------------------------------------------------------------------

async function runParent() {
  const args = parseArgs(process.argv.slice(2));
  const limit = openFileLimit();
  const rows = [];
  console.log(`node ${process.version}, interval ${args.interval} ms, measured over ${args.intervals} intervals, open files limit ${limit}`);
  for (const n of args.connections) {
    if (n + 100 > limit) {
      console.log(`skipped ${n} connections: needs ulimit -n of at least ${n + 100} (each process holds one socket per connection)`);
      continue;
    }
    for (const variant of args.variants) {
      const row = await runOne(n, variant, args);
      rows.push(row);
      console.log(JSON.stringify(row));
    }
  }
  if (rows.length > 0) printTable(rows, args);
}

async function runOne(n, variant, args) {
  const server = fork(__filename, ['server', String(n), variant, String(args.interval), String(args.intervals)], {
    // BENCH_SERVER_FLAGS="--cpu-prof" profiles the measured process.
    execArgv: ['--expose-gc', ...(process.env.BENCH_SERVER_FLAGS ?? '').split(' ').filter(Boolean)],
  });
  const { port } = await once(server, 'listening');
  const client = fork(__filename, ['client', String(n), String(port)]);
  const clientDied = new Promise((_, reject) =>
    client.once('exit', (code) => reject(new Error(`client process exited early with ${code}`))),
  );
  const result = await Promise.race([once(server, 'result'), clientDied]);
  clientDied.catch(() => undefined);
  const { pongs } = await new Promise((resolve) => {
    client.once('message', resolve);
    client.send({ type: 'stop' });
  });
  server.send({ type: 'stop' });
  await Promise.all([new Promise((r) => server.once('exit', r)), new Promise((r) => client.once('exit', r))]);
  return { ...result, pongsAnswered: pongs };
}

function printTable(rows, args) {
  console.log('');
  console.log('| connections | keep-alive | CPU per interval (ms) | CPU per connection per interval (µs) | event loop delay p99 / max (ms) | heap per connection (bytes) | RSS per connection (bytes) | pings per interval |');
  console.log('|---:|:---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(
      `| ${r.connections} | ${r.variant} | ${r.cpuMsPerInterval.toFixed(1)} | ${r.cpuUsPerConnection.toFixed(2)} | ${r.loopDelayP99Ms.toFixed(1)} / ${r.loopDelayMaxMs.toFixed(1)} | ${Math.round(r.heapPerConnection)} | ${Math.round(r.rssPerConnection)} | ${r.pingsPerInterval.toFixed(0)} |`,
    );
  }
  console.log(`\n(interval ${args.interval} ms, ${args.intervals} intervals measured)`);
}

// ---- server process ----------------------------------------------------------------------

async function runServer(n, variant, interval, intervals) {
  require('./ts-hook');
  const { Server } = require('@ws/core');
  const { heartbeat } = require('@ws/heartbeat');
  const { monitorEventLoopDelay } = require('node:perf_hooks');

  const [kind, slots] = variant.split('@');
  const withPlugin = kind === 'heartbeat';
  const server = new Server({
    host: '127.0.0.1',
    port: 0,
    plugins: withPlugin ? [heartbeat({ interval, slots: slots === undefined ? undefined : Number(slots) })] : [],
  });
  let pings = 0;
  if (withPlugin) server.on('heartbeat', () => pings++);
  let burst = null;
  if (kind === 'burst') {
    const waiting = new Set();
    server.on('pong', (connection) => waiting.delete(connection));
    server.on('close', (connection) => waiting.delete(connection));
    burst = setInterval(() => {
      for (const connection of server.clients) {
        if (waiting.has(connection)) {
          connection.terminate();
          continue;
        }
        waiting.add(connection);
        connection.ping();
        pings++;
      }
    }, interval);
  }
  await new Promise((resolve) => server.once('listening', resolve));
  const before = settledMemory();
  process.send({ type: 'listening', port: server.address().port });

  while (server.clients.size < n) await sleep(100);
  await sleep(2 * interval); // every connection has had its first ping and pong
  const after = settledMemory();

  // The histogram records whole timer periods: subtract the resolution to get the delay.
  const resolution = 5;
  const delay = monitorEventLoopDelay({ resolution });
  delay.enable();
  pings = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await sleep(intervals * interval);
  const used = process.cpuUsage(cpu);
  const elapsed = performance.now() - started;
  delay.disable();
  const perInterval = ((used.user + used.system) / 1000) * (interval / elapsed);

  process.send({
    type: 'result',
    connections: n,
    variant,
    open: server.clients.size,
    cpuMsPerInterval: perInterval,
    cpuUsPerConnection: (perInterval * 1000) / n,
    loopDelayP99Ms: Math.max(0, delay.percentile(99) / 1e6 - resolution),
    loopDelayMaxMs: Math.max(0, delay.max / 1e6 - resolution),
    heapPerConnection: (after.heapUsed - before.heapUsed) / n,
    rssPerConnection: (after.rss - before.rss) / n,
    pingsPerInterval: (pings * interval) / elapsed,
  });
  process.on('message', (message) => {
    if (message.type !== 'stop') return;
    clearInterval(burst);
    server.close(() => process.exit(0));
  });
}

function settledMemory() {
  for (let i = 0; i < 3; i++) global.gc();
  return process.memoryUsage();
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- client process ----------------------------------------------------------------------

const HANDSHAKE =
  'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';
const kPending = Symbol('pending');
const kUpgraded = Symbol('upgraded');
const kOnOpen = Symbol('onOpen');
let pongs = 0;

/** Per-socket state lives on the socket; the listeners are module-level (no closure per socket). */
function onData(chunk) {
  let data = this[kPending] === null ? chunk : Buffer.concat([this[kPending], chunk]);
  this[kPending] = null;
  if (!this[kUpgraded]) {
    const end = data.indexOf('\r\n\r\n');
    if (end < 0) {
      this[kPending] = data;
      return;
    }
    this[kUpgraded] = true;
    this[kOnOpen]();
    data = data.subarray(end + 4);
  }
  while (data.length >= 2) {
    const length = data[1] & 0x7f; // the server sends only control frames here: ≤ 125 bytes
    if (data.length < 2 + length) break;
    if ((data[0] & 0x0f) === 0x9) {
      // RFC 6455 §5.5.3: a pong with the ping's payload, masked (key 0: the payload is unchanged).
      const pong = Buffer.allocUnsafe(6 + length);
      pong[0] = 0x8a;
      pong[1] = 0x80 | length;
      pong.writeUInt32BE(0, 2);
      data.copy(pong, 6, 2, 2 + length);
      this.write(pong);
      pongs++;
    }
    data = data.subarray(2 + length);
  }
  if (data.length > 0) this[kPending] = Buffer.from(data);
}

function onError() {}

async function runClient(n, port) {
  let opened = 0;
  let started = 0;
  let wake = null;
  const sockets = [];
  const onOpen = () => {
    opened++;
    if (wake !== null) wake();
  };
  while (started < n) {
    if (started - opened >= OPEN_IN_FLIGHT) {
      await new Promise((resolve) => (wake = resolve));
      wake = null;
      continue;
    }
    const localAddress = `127.0.0.${2 + Math.floor(started / PER_ADDRESS)}`;
    const socket = net.connect({ port, host: '127.0.0.1', localAddress });
    socket[kPending] = null;
    socket[kUpgraded] = false;
    socket[kOnOpen] = onOpen;
    socket.on('data', onData);
    socket.on('error', onError);
    socket.write(HANDSHAKE);
    sockets.push(socket);
    started++;
  }
  process.on('message', (message) => {
    if (message.type !== 'stop') return;
    process.send({ type: 'pongs', pongs });
    for (const socket of sockets) socket.destroy();
    process.exit(0);
  });
}

// ---- entry -------------------------------------------------------------------------------

const [role, ...rest] = process.argv.slice(2);
if (role === 'server') runServer(Number(rest[0]), rest[1], Number(rest[2]), Number(rest[3]));
else if (role === 'client') runClient(Number(rest[0]), Number(rest[1]));
else runParent().catch((error) => {
  console.error(error);
  process.exit(1);
});
