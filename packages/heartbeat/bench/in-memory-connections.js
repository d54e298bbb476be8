'use strict';
/**
 * The heartbeat with real `@ws/core` connections but no file descriptors, so 50,000 connections
 * fit under any `ulimit -n`. Each connection is an in-memory duplex pair: the server end is
 * handed to a plain `http.Server` (`emit('connection', duplex)`, which accepts any Duplex), whose
 * `upgrade` goes to a core `Server` attached to it; the client end sends a real HTTP upgrade
 * request, reads the 101 and answers every ping with a masked pong. The handshake, the framing,
 * the protocol layer, `Connection` and the plugin are the real ones; only the kernel's TCP path
 * is replaced. Not a test; run by hand (see the README):
 *
 *   node packages/heartbeat/bench/in-memory-connections.js --connections 10000,50000 \
 *     --interval 5000 --intervals 6 [--variants off,heartbeat,burst]
 *
 *   parent ──fork──> one process per (connections, variant), measured: the client ends live in
 *                    it too (they are cheap, but counted; the script reports their share)
 *
 * Variants as in idle-connections.js: `off` (no keep-alive: the floor, so the plugin's share is
 * the difference), `heartbeat` (this plugin; `heartbeat@N` with `slots: N`), `burst` (the `ws`
 * README's one setInterval pinging every client at once, for contrast).
 *
 * Bytes written to one end reach the other on a later turn of the event loop (one shared
 * setImmediate drains every pending delivery, as one poll phase reads every ready socket), never
 * synchronously inside the writer's `write()`, which a socket never does either.
 */
const { fork } = require('node:child_process');
const { Duplex } = require('node:stream');

const DEFAULT_VARIANTS = ['off', 'heartbeat', 'burst'];
const HANDSHAKE_BATCH = 1000; // handshakes in flight at once

function parseArgs(argv) {
  const args = { connections: [10000, 50000], interval: 5000, intervals: 6, variants: DEFAULT_VARIANTS };
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

// ---- parent ------------------------------------------------------------------------------

async function runParent() {
  const args = parseArgs(process.argv.slice(2));
  console.log(`node ${process.version}, interval ${args.interval} ms, measured over ${args.intervals} intervals, in-memory duplex pairs (no sockets)`);
  const rows = [];
  for (const n of args.connections) {
    for (const variant of args.variants) {
      const row = await runOne(n, variant, args);
      rows.push(row);
      console.log(JSON.stringify(row));
    }
  }
  printTable(rows, args);
}

function runOne(n, variant, args) {
  const child = fork(__filename, ['run', String(n), variant, String(args.interval), String(args.intervals)], {
    execArgv: ['--expose-gc', ...(process.env.BENCH_FLAGS ?? '').split(' ').filter(Boolean)],
  });
  return new Promise((resolve, reject) => {
    let result = null;
    child.on('message', (message) => {
      if (message.type === 'result') result = message;
    });
    child.once('exit', (code) => {
      if (result !== null) resolve(result);
      else reject(new Error(`${n} ${variant}: child exited with ${code} before its result`));
    });
  });
}

function printTable(rows, args) {
  const off = new Map(rows.filter((r) => r.variant === 'off').map((r) => [r.connections, r]));
  console.log('');
  console.log(
    '| connections | keep-alive | CPU per interval (ms) | of it, client ends (ms) | server side above `off` (ms) | same, per connection (µs) | event loop delay p99 / max (ms) | heap per connection (bytes) | of it, duplex pair + client end (bytes) | RSS per connection (bytes) | pings per interval |',
  );
  console.log('|---:|:---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    // The server side: all of the process's CPU but what was measured inside the client ends.
    const serverMs = r.cpuMsPerInterval - r.clientMsPerInterval;
    const floor = off.get(r.connections);
    const above = floor === undefined || floor === r ? null : serverMs - (floor.cpuMsPerInterval - floor.clientMsPerInterval);
    console.log(
      `| ${r.connections} | ${r.variant} | ${r.cpuMsPerInterval.toFixed(1)} | ${r.clientMsPerInterval.toFixed(1)} | ${above === null ? '-' : above.toFixed(1)} | ${above === null ? '-' : ((above * 1000) / r.connections).toFixed(2)} | ${r.loopDelayP99Ms.toFixed(1)} / ${r.loopDelayMaxMs.toFixed(1)} | ${Math.round(r.heapPerConnection)} | ${Math.round(r.pairHeapPerConnection)} | ${Math.round(r.rssPerConnection)} | ${r.pingsPerInterval.toFixed(0)} |`,
    );
  }
  console.log(`\n(interval ${args.interval} ms, ${args.intervals} intervals measured; handshakes took ${rows.map((r) => `${Math.round(r.setupMs)} ms`).join(', ')})`);
}

// ---- the in-memory transport -------------------------------------------------------------

const DESTROY = Symbol('destroy');

/**
 * Pending deliveries, as flat [end, chunk, end, chunk, …] arrays: one for client ends, one for
 * server ends, so the time spent in the client ends can be measured apart (see `flush`).
 */
let toClients = [];
let toServers = [];
let flushScheduled = false;
/** Milliseconds spent delivering bytes into client ends (their parsing and their pongs). */
let clientMs = 0;

function deliver(end, chunk) {
  (end.isClient ? toClients : toServers).push(end, chunk);
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flush);
  }
}

function flush() {
  flushScheduled = false;
  const clients = toClients;
  toClients = [];
  const started = performance.now();
  for (let i = 0; i < clients.length; i += 2) receive(clients[i], clients[i + 1]);
  clientMs += performance.now() - started;
  // Pongs written just now are delivered here too: the server reads them in the same pass.
  const servers = toServers;
  toServers = [];
  for (let i = 0; i < servers.length; i += 2) receive(servers[i], servers[i + 1]);
}

function receive(end, chunk) {
  if (end.destroyed) return;
  if (chunk === DESTROY) end.destroy();
  else end.push(chunk); // null: the peer ended its side (a FIN)
}

/** One end of an in-memory connection: what one end writes, the other reads. */
class End extends Duplex {
  constructor(isClient) {
    // A server end is half-open like the http server's sockets; a client end is not.
    super({ allowHalfOpen: !isClient });
    this.isClient = isClient;
    this.peer = null;
  }
  _read() {}
  _write(chunk, _encoding, callback) {
    deliver(this.peer, chunk);
    callback();
  }
  _writev(chunks, callback) {
    // Corked writes go out together, as one writev would.
    deliver(this.peer, chunks.length === 1 ? chunks[0].chunk : Buffer.concat(chunks.map((c) => c.chunk)));
    callback();
  }
  _final(callback) {
    deliver(this.peer, null);
    callback();
  }
  _destroy(error, callback) {
    // A reset: the peer's end is torn down too (no error: core reports the close as 1006).
    if (this.peer !== null && !this.peer.destroyed) deliver(this.peer, DESTROY);
    callback(error);
  }
}

function duplexPair() {
  const server = new End(false);
  const client = new End(true);
  server.peer = client;
  client.peer = server;
  return { server, client };
}

// ---- client ends (as the raw clients of idle-connections.js) -------------------------------

const HANDSHAKE =
  'GET / HTTP/1.1\r\nHost: in-memory\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';
const kPending = Symbol('pending');
const kUpgraded = Symbol('upgraded');
let opened = 0;
let pongs = 0;
let wake = null;

/** Per-end state lives on the end; the listener is module-level (no closure per connection). */
function onClientData(chunk) {
  let data = this[kPending] === null ? chunk : Buffer.concat([this[kPending], chunk]);
  this[kPending] = null;
  if (!this[kUpgraded]) {
    const end = data.indexOf('\r\n\r\n');
    if (end < 0) {
      this[kPending] = data;
      return;
    }
    if (!data.subarray(0, 12).equals(Buffer.from('HTTP/1.1 101'))) throw new Error(`handshake refused: ${data.toString('latin1', 0, end)}`);
    this[kUpgraded] = true;
    opened++;
    if (wake !== null) wake();
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

function onClientError() {}

// ---- the measured process ----------------------------------------------------------------

async function run(n, variant, interval, intervals) {
  require('./ts-hook');
  const http = require('node:http');
  const { monitorEventLoopDelay } = require('node:perf_hooks');
  const { Server } = require('@ws/core');
  const { heartbeat } = require('@ws/heartbeat');

  const [kind, slots] = variant.split('@');
  const withPlugin = kind === 'heartbeat';
  const httpServer = http.createServer(); // never listens: connections are handed to it
  const server = new Server({
    server: httpServer,
    plugins: withPlugin ? [heartbeat({ interval, slots: slots === undefined ? undefined : Number(slots) })] : [],
  });
  server.on('error', (error) => {
    throw error;
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

  // Warm-up, unmeasured: the sources are transpiled and the handshake path runs once.
  await openConnections(httpServer, 1);
  while (server.clients.size < 1) await sleep(10);

  const before = settledMemory();
  // Every pair is made before any handshake, so the transport's own memory can be told apart.
  const pairs = [];
  for (let i = 0; i < n; i++) {
    const pair = duplexPair();
    pair.client[kPending] = null;
    pair.client[kUpgraded] = false;
    pair.client.on('data', onClientData);
    pair.client.on('error', onClientError);
    pairs.push(pair);
  }
  const withPairs = settledMemory();
  const setupStarted = performance.now();
  await handshake(httpServer, pairs);
  while (server.clients.size < n + 1) await sleep(10);
  const setupMs = performance.now() - setupStarted;
  await sleep(2 * interval); // every connection has had its first ping and pong
  const after = settledMemory();

  // The histogram records whole timer periods: subtract the resolution to get the delay.
  const resolution = 5;
  const delay = monitorEventLoopDelay({ resolution });
  delay.enable();
  pings = 0;
  pongs = 0;
  clientMs = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await sleep(intervals * interval);
  const used = process.cpuUsage(cpu);
  const elapsed = performance.now() - started;
  delay.disable();
  const perInterval = interval / elapsed;

  process.send({
    type: 'result',
    connections: n,
    variant,
    open: server.clients.size - 1,
    setupMs,
    cpuMsPerInterval: ((used.user + used.system) / 1000) * perInterval,
    clientMsPerInterval: clientMs * perInterval,
    loopDelayP99Ms: Math.max(0, delay.percentile(99) / 1e6 - resolution),
    loopDelayMaxMs: Math.max(0, delay.max / 1e6 - resolution),
    heapPerConnection: (after.heapUsed - before.heapUsed) / n,
    pairHeapPerConnection: (withPairs.heapUsed - before.heapUsed) / n,
    rssPerConnection: (after.rss - before.rss) / n,
    pingsPerInterval: pings * perInterval,
    pongsPerInterval: pongs * perInterval,
  });
  clearInterval(burst);
  server.close();
  process.exit(0);
}

/** Warm-up helper: `count` fresh pairs, handshaken. */
function openConnections(httpServer, count) {
  const pairs = [];
  for (let i = 0; i < count; i++) {
    const pair = duplexPair();
    pair.client[kPending] = null;
    pair.client[kUpgraded] = false;
    pair.client.on('data', onClientData);
    pair.client.on('error', onClientError);
    pairs.push(pair);
  }
  return handshake(httpServer, pairs);
}

/** Upgrades every pair, `HANDSHAKE_BATCH` at a time. */
async function handshake(httpServer, pairs) {
  const target = opened + pairs.length;
  let next = 0;
  while (opened < target) {
    const inFlight = next - (opened - (target - pairs.length));
    if (next < pairs.length && inFlight < HANDSHAKE_BATCH) {
      const { server, client } = pairs[next++];
      httpServer.emit('connection', server);
      client.write(HANDSHAKE);
      continue;
    }
    await new Promise((resolve) => (wake = resolve));
    wake = null;
  }
}

function settledMemory() {
  for (let i = 0; i < 3; i++) global.gc();
  return process.memoryUsage();
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- entry -------------------------------------------------------------------------------

const [role, ...rest] = process.argv.slice(2);
if (role === 'run') {
  run(Number(rest[0]), rest[1], Number(rest[2]), Number(rest[3])).catch((error) => {
    console.error(error);
    process.exit(1);
  });
} else {
  runParent().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
