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
 * Variants as in idle-connections.js (measure.js, KeepAlive): `off` (no keep-alive: the floor, so
 * the plugin's share is the difference), `heartbeat` (this plugin; `heartbeat@N` with `slots: N`),
 * `burst` (the `ws` README's one setInterval pinging every client at once, for contrast).
 *
 * Bytes written to one end reach the other on a later turn of the event loop (one shared
 * setImmediate drains every pending delivery, as one poll phase reads every ready socket), never
 * synchronously inside the writer's `write()`, which a socket never does either.
 */
const { Duplex } = require('node:stream');
const m = require('./measure');
const { clientEnds, handshakeRequest, answerPings, openAll } = require('./pong-client');

const HANDSHAKE_BATCH = 1000; // handshakes in flight at once

// ---- parent ------------------------------------------------------------------------------

/** Rows carry `above`: the server side's CPU above the `off` row's (null for `off` itself). */
const COLUMNS = [
  m.COLUMN.connections,
  m.COLUMN.keepAlive,
  m.COLUMN.cpu,
  { title: 'of it, client ends (ms)', cell: (r) => r.clientMsPerInterval.toFixed(1) },
  { title: 'server side above `off` (ms)', cell: (r) => (r.above === null ? '-' : r.above.toFixed(1)) },
  {
    title: 'same, per connection (µs)',
    cell: (r) => (r.above === null ? '-' : ((r.above * 1000) / r.connections).toFixed(2)),
  },
  m.COLUMN.loopDelay,
  m.COLUMN.heap,
  { title: 'of it, duplex pair + client end (bytes)', cell: (r) => Math.round(r.pairHeapPerConnection) },
  m.COLUMN.rss,
  m.COLUMN.pings,
];

async function runParent() {
  const args = m.parseArgs(process.argv.slice(2), { ...m.GRID_DEFAULTS, interval: 5000, intervals: 6 });
  console.log(m.describeRun(args, 'in-memory duplex pairs (no sockets)'));
  const rows = await m.runVariants(args, (n, variant) => runOne(n, variant, args));
  const off = new Map(rows.filter((r) => r.variant === 'off').map((r) => [r.connections, r]));
  // The server side: all of the process's CPU but what was measured inside the client ends.
  const serverMs = (r) => r.cpuMsPerInterval - r.clientMsPerInterval;
  const withFloor = rows.map((r) => {
    const floor = off.get(r.connections);
    return { ...r, above: floor === undefined || floor === r ? null : serverMs(r) - serverMs(floor) };
  });
  m.printTable(
    COLUMNS,
    withFloor,
    args,
    `; handshakes took ${rows.map((r) => `${Math.round(r.setupMs)} ms`).join(', ')}`,
  );
}

function runOne(n, variant, args) {
  const child = m.forkMeasured(__filename, 'run', n, variant, args, 'BENCH_FLAGS');
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

/** `count` pairs whose client ends answer pings (pong-client.js), not yet handshaken. */
function duplexPairs(count) {
  const pairs = [];
  for (let i = 0; i < count; i++) {
    const server = new End(false);
    const client = answerPings(new End(true));
    server.peer = client;
    client.peer = server;
    pairs.push({ server, client });
  }
  return pairs;
}

const HANDSHAKE = handshakeRequest('in-memory');

/** Upgrades every pair, `HANDSHAKE_BATCH` at a time. */
function handshake(httpServer, pairs) {
  return openAll(pairs.length, HANDSHAKE_BATCH, (i) => {
    const { server, client } = pairs[i];
    httpServer.emit('connection', server);
    client.write(HANDSHAKE);
  });
}

// ---- the measured process ----------------------------------------------------------------

async function run(n, variant, interval, intervals) {
  require('../../bench/ts-register');
  const http = require('node:http');
  const { Server } = require('@ws/core');

  const keepAlive = new m.KeepAlive(variant, interval);
  const httpServer = http.createServer(); // never listens: connections are handed to it
  const server = new Server({ server: httpServer, plugins: keepAlive.plugins });
  server.on('error', (error) => {
    throw error;
  });
  keepAlive.watch(server);

  // Warm-up, unmeasured: the sources are transpiled and the handshake path runs once.
  await handshake(httpServer, duplexPairs(1));
  while (server.clients.size < 1) await m.sleep(10);

  const before = m.settledMemory();
  // Every pair is made before any handshake, so the transport's own memory can be told apart.
  const pairs = duplexPairs(n);
  const withPairs = m.settledMemory();
  const setupStarted = performance.now();
  await handshake(httpServer, pairs);
  while (server.clients.size < n + 1) await m.sleep(10);
  const setupMs = performance.now() - setupStarted;
  await m.sleep(2 * interval); // every connection has had its first ping and pong
  const after = m.settledMemory();

  const measured = await m.measureIntervals({ interval, intervals }, () => {
    keepAlive.pings = 0;
    clientEnds.pongs = 0;
    clientMs = 0;
  });
  process.send({
    type: 'result',
    connections: n,
    variant,
    open: server.clients.size - 1,
    setupMs,
    cpuMsPerInterval: measured.cpuMsPerInterval,
    clientMsPerInterval: measured.perInterval(clientMs),
    loopDelayP99Ms: measured.loopDelayP99Ms,
    loopDelayMaxMs: measured.loopDelayMaxMs,
    heapPerConnection: (after.heapUsed - before.heapUsed) / n,
    pairHeapPerConnection: (withPairs.heapUsed - before.heapUsed) / n,
    rssPerConnection: (after.rss - before.rss) / n,
    pingsPerInterval: measured.perInterval(keepAlive.pings),
    pongsPerInterval: measured.perInterval(clientEnds.pongs),
  });
  keepAlive.stop();
  server.close();
  process.exit(0);
}

// ---- entry -------------------------------------------------------------------------------

m.main(runParent, { run: m.measured(run) });
