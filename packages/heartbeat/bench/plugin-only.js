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
require('./ts-hook');
const path = require('node:path');
const { monitorEventLoopDelay } = require('node:perf_hooks');
const { heartbeat } = require('@ws/heartbeat');
const EventEmitter = require(require.resolve('eventemitter3', { paths: [path.resolve(__dirname, '../../core')] }));

function parseArgs(argv) {
  // 0 connections: the floor (the event-loop-delay monitor and the process itself).
  const args = { connections: [0, 10000, 50000, 100000], interval: 1000, intervals: 10 };
  for (let i = 0; i < argv.length; i += 2) {
    const [name, value] = [argv[i], argv[i + 1]];
    if (name === '--connections') args.connections = value.split(',').map(Number);
    else if (name === '--interval') args.interval = Number(value);
    else if (name === '--intervals') args.intervals = Number(value);
    else throw new Error(`unknown argument ${name}`);
  }
  return args;
}

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

function settledMemory() {
  for (let i = 0; i < 3; i++) global.gc();
  return process.memoryUsage();
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function measure(n, { interval, intervals }) {
  const server = new EventEmitter();
  const peers = new Peers(server);
  const connections = Array.from({ length: n }, () => new StandInConnection(peers));
  const before = settledMemory();
  const instance = heartbeat({ interval }).attach(server);
  for (const connection of connections) instance.onConnection(connection);
  const after = settledMemory();

  await sleep(2 * interval); // first pings out and answered, code warmed up
  peers.pings = 0;
  const resolution = 5;
  const delay = monitorEventLoopDelay({ resolution });
  delay.enable();
  const cpu = process.cpuUsage();
  const started = performance.now();
  await sleep(intervals * interval);
  const used = process.cpuUsage(cpu);
  const elapsed = performance.now() - started;
  delay.disable();
  instance.close();

  const perInterval = ((used.user + used.system) / 1000) * (interval / elapsed);
  return {
    connections: n,
    cpuMsPerInterval: perInterval,
    loopDelayMaxMs: Math.max(0, delay.max / 1e6 - resolution),
    heapPerConnection: n === 0 ? 0 : (after.heapUsed - before.heapUsed) / n,
    pingsPerInterval: (peers.pings * interval) / elapsed,
  };
}

async function main() {
  if (typeof global.gc !== 'function') throw new Error('run with node --expose-gc');
  const args = parseArgs(process.argv.slice(2));
  console.log(`node ${process.version}, interval ${args.interval} ms, measured over ${args.intervals} intervals`);
  // A first, unreported round: the sources are transpiled and the code is optimized before any
  // figure is taken.
  await measure(10000, { interval: args.interval, intervals: 2 });
  console.log('| connections | CPU per interval (ms) | above the 0-connection floor (ms) | per connection per interval (µs) | event loop delay max (ms) | heap per connection (bytes) | pings per interval |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|');
  let floor = 0;
  for (const n of args.connections) {
    const r = await measure(n, args);
    if (n === 0) floor = r.cpuMsPerInterval;
    const net = Math.max(0, r.cpuMsPerInterval - floor);
    console.log(
      `| ${n} | ${r.cpuMsPerInterval.toFixed(1)} | ${net.toFixed(1)} | ${n === 0 ? '-' : ((net * 1000) / n).toFixed(2)} | ${r.loopDelayMaxMs.toFixed(1)} | ${Math.round(r.heapPerConnection)} | ${r.pingsPerInterval.toFixed(0)} |`,
    );
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
