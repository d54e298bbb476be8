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
 * Variants (measure.js, KeepAlive): no keep-alive (the floor), this plugin, and the `ws` README's
 * pattern (one setInterval pinging every client at once) for contrast.
 *
 * Each server process measures itself: heap and RSS after gc() before and after the connections
 * are open, then process.cpuUsage() and the event loop delay over `--intervals` intervals.
 */
const { fork } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const m = require('./measure');
const { clientEnds, handshakeRequest, answerPings, openAll } = require('./pong-client');

const PER_ADDRESS = 10000; // well under the 28k ephemeral ports of one source address
const OPEN_IN_FLIGHT = 256; // handshakes in flight, under the listen backlog

function openFileLimit() {
  const line = fs
    .readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  return line === undefined ? Infinity : Number(line.split(/\s+/)[3]);
}

// ---- parent ------------------------------------------------------------------------------

const COLUMNS = [
  m.COLUMN.connections,
  m.COLUMN.keepAlive,
  m.COLUMN.cpu,
  { title: 'CPU per connection per interval (µs)', cell: (r) => r.cpuUsPerConnection.toFixed(2) },
  m.COLUMN.loopDelay,
  m.COLUMN.heap,
  m.COLUMN.rss,
  m.COLUMN.pings,
];

async function runParent() {
  const args = m.parseArgs(process.argv.slice(2), { ...m.GRID_DEFAULTS, interval: 1000, intervals: 10 });
  const limit = openFileLimit();
  console.log(m.describeRun(args, `open files limit ${limit}`));
  const rows = await m.runVariants(
    args,
    (n, variant) => runOne(n, variant, args),
    (n) =>
      n + 100 > limit
        ? `skipped ${n} connections: needs ulimit -n of at least ${n + 100} (each process holds one socket per connection)`
        : null,
  );
  if (rows.length > 0) m.printTable(COLUMNS, rows, args);
}

async function runOne(n, variant, args) {
  // BENCH_SERVER_FLAGS="--cpu-prof" profiles the measured process.
  const server = m.forkMeasured(__filename, 'server', n, variant, args, 'BENCH_SERVER_FLAGS');
  const { port } = await m.once(server, 'listening');
  const client = fork(__filename, ['client', String(n), String(port)]);
  const clientDied = new Promise((_, reject) =>
    client.once('exit', (code) => reject(new Error(`client process exited early with ${code}`))),
  );
  const result = await Promise.race([m.once(server, 'result'), clientDied]);
  clientDied.catch(() => undefined);
  const { pongs } = await new Promise((resolve) => {
    client.once('message', resolve);
    client.send({ type: 'stop' });
  });
  server.send({ type: 'stop' });
  await Promise.all([new Promise((r) => server.once('exit', r)), new Promise((r) => client.once('exit', r))]);
  return { ...result, pongsAnswered: pongs };
}

// ---- server process ----------------------------------------------------------------------

async function runServer(n, variant, interval, intervals) {
  require('../../bench/ts-register');
  const { Server } = require('@ws/core');

  const keepAlive = new m.KeepAlive(variant, interval);
  const server = new Server({ host: '127.0.0.1', port: 0, plugins: keepAlive.plugins });
  keepAlive.watch(server);
  await new Promise((resolve) => server.once('listening', resolve));
  const before = m.settledMemory();
  process.send({ type: 'listening', port: server.address().port });

  while (server.clients.size < n) await m.sleep(100);
  await m.sleep(2 * interval); // every connection has had its first ping and pong
  const after = m.settledMemory();

  const measured = await m.measureIntervals({ interval, intervals }, () => (keepAlive.pings = 0));
  process.send({
    type: 'result',
    connections: n,
    variant,
    open: server.clients.size,
    cpuMsPerInterval: measured.cpuMsPerInterval,
    cpuUsPerConnection: (measured.cpuMsPerInterval * 1000) / n,
    loopDelayP99Ms: measured.loopDelayP99Ms,
    loopDelayMaxMs: measured.loopDelayMaxMs,
    heapPerConnection: (after.heapUsed - before.heapUsed) / n,
    rssPerConnection: (after.rss - before.rss) / n,
    pingsPerInterval: measured.perInterval(keepAlive.pings),
  });
  process.on('message', (message) => {
    if (message.type !== 'stop') return;
    keepAlive.stop();
    server.close(() => process.exit(0));
  });
}

// ---- client process ----------------------------------------------------------------------

async function runClient(n, port) {
  const handshake = handshakeRequest('127.0.0.1');
  const sockets = [];
  await openAll(n, OPEN_IN_FLIGHT, (i) => {
    const localAddress = `127.0.0.${2 + Math.floor(i / PER_ADDRESS)}`;
    const socket = answerPings(net.connect({ port, host: '127.0.0.1', localAddress }));
    socket.write(handshake);
    sockets.push(socket);
  });
  process.on('message', (message) => {
    if (message.type !== 'stop') return;
    process.send({ type: 'pongs', pongs: clientEnds.pongs });
    for (const socket of sockets) socket.destroy();
    process.exit(0);
  });
}

// ---- entry -------------------------------------------------------------------------------

m.main(runParent, {
  server: m.measured(runServer),
  client: (n, port) => runClient(Number(n), Number(port)),
});
