'use strict';
/**
 * The heartbeat's own cost, without sockets: its CPU per interval and its memory per connection,
 * for any number of connections (no file descriptors needed, so 50,000 and more fit anywhere).
 * Connections are stand-ins that count pings and answer each with a pong on the next turn of the
 * event loop, as a loopback peer would; what a real ping costs on the wire is measured by
 * idle-connections.js. Not a test; run by hand:
 *
 *   node --expose-gc packages/heartbeat/bench/plugin-only.js --connections 0,10000,50000,100000 \
 *     --interval 5000 --intervals 6
 *
 * Put 0 first: that row is the floor (the process and the event-loop-delay monitor alone), which
 * the next column subtracts.
 */
require('../../bench/ts-register');
const path = require('node:path');
const { heartbeat } = require('@ws/heartbeat');
const m = require('./measure');
const EventEmitter = require(require.resolve('eventemitter3', { paths: [path.resolve(__dirname, '../../core')] }));

const EMPTY = Buffer.alloc(0);

/** Answers every ping of the last turn of the event loop at once, as a socket read would. */
class Peers {
  constructor(server) {
    this.server = server;
    this.toAnswer = [];
    this.pings = 0;
    this.scheduled = false;
  }
  ping(connection) {
    this.pings++;
    this.toAnswer.push(connection);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(answerAll, this);
    }
  }
}

function answerAll(peers) {
  peers.scheduled = false;
  const list = peers.toAnswer;
  peers.toAnswer = [];
  for (const connection of list) {
    connection.latency = 0.1;
    connection.emit('pong', EMPTY);
    peers.server.emit('pong', connection, EMPTY);
  }
}

class StandInConnection extends EventEmitter {
  constructor(peers) {
    super();
    this.peers = peers;
    this.isOpen = true;
    this.latency = undefined;
  }
  ping() {
    this.peers.ping(this);
  }
  close() {
    this.isOpen = false;
  }
  terminate() {
    this.isOpen = false;
  }
}

async function measure(n, { interval, intervals }) {
  const server = new EventEmitter();
  const peers = new Peers(server);
  const connections = Array.from({ length: n }, () => new StandInConnection(peers));
  const before = m.settledMemory();
  const instance = heartbeat({ interval }).attach(server);
  for (const connection of connections) instance.onConnection(connection);
  const after = m.settledMemory();

  await m.sleep(2 * interval); // first pings out and answered, code warmed up
  const measured = await m.measureIntervals({ interval, intervals }, () => (peers.pings = 0));
  instance.close();

  return {
    connections: n,
    cpuMsPerInterval: measured.cpuMsPerInterval,
    loopDelayMaxMs: measured.loopDelayMaxMs,
    heapPerConnection: n === 0 ? 0 : (after.heapUsed - before.heapUsed) / n,
    pingsPerInterval: measured.perInterval(peers.pings),
  };
}

/** Rows carry `net`: the CPU above the 0-connection floor. */
const COLUMNS = [
  m.COLUMN.connections,
  m.COLUMN.cpu,
  { title: 'above the 0-connection floor (ms)', cell: (r) => r.net.toFixed(1) },
  {
    title: 'per connection per interval (µs)',
    cell: (r) => (r.connections === 0 ? '-' : ((r.net * 1000) / r.connections).toFixed(2)),
  },
  { title: 'event loop delay max (ms)', cell: (r) => r.loopDelayMaxMs.toFixed(1) },
  m.COLUMN.heap,
  m.COLUMN.pings,
];

async function runParent() {
  if (typeof global.gc !== 'function') throw new Error('run with node --expose-gc');
  // 0 connections: the floor (the event-loop-delay monitor and the process itself).
  const args = m.parseArgs(process.argv.slice(2), {
    connections: [0, 10000, 50000, 100000],
    interval: 1000,
    intervals: 10,
  });
  console.log(m.describeRun(args));
  // A first, unreported round: the sources are transpiled and the code is optimized before any
  // figure is taken.
  await measure(10000, { interval: args.interval, intervals: 2 });
  m.printHeader(COLUMNS);
  let floor = 0;
  for (const n of args.connections) {
    const r = await measure(n, args);
    if (n === 0) floor = r.cpuMsPerInterval;
    m.printRow(COLUMNS, { ...r, net: Math.max(0, r.cpuMsPerInterval - floor) });
  }
}

m.main(runParent);
