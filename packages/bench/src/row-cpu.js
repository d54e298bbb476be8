'use strict';
/**
 * One echo row (or the handshake row) of the suite (scenarios.js: its sizes, connections, window, offer and server
 * options) measured as server CPU per message: the server process of the
 * suite (bench/src/server.js, pinned to core 0) under the C load generator (core 1), its CPU
 * time from /proc/<pid>/stat (every thread: zlib's thread pool counts) over the measured run, and
 * its user and system parts, the minor page faults a message, and the messages a read and a write
 * system call carried (/proc/<pid>/io).
 * Implementations alternate round by round.
 *
 *   node packages/bench/src/row-cpu.js [row-id] [rounds] [impl,impl,...]
 *     row-id  any echo row: echo-64 (default), echo-1k, echo-64-1, deflate-echo, ...; or handshakes
 *     impl    ours | ws | ws-js | base=/path/to/other/worktree (ours, built from that checkout)
 *   Ours is built first and loaded from dist/ (ours.js), or from the sources with BENCH_SOURCES=1.
 *   A base checkout from before session 12 loads its sources whatever is set: compare it with
 *   BENCH_SOURCES=1, so that both sides load the same way.
 *   BENCH_CPU_PROF=dir  writes a V8 CPU profile of each server process there.
 *   OURS_DEFLATE=json   options of deflate() added to the row's, for ours only.
 *   DURATION=s          seconds measured per sample (default 2), after 1 s of warm-up.
 *   BENCH_NODE_FLAGS='--trace-gc'  Node flags for the server processes (space-separated).
 *   BENCH_SERVER_LOG=prefix        each server's stdout (what those flags print) to
 *                                  <prefix>.<impl>.<pid>.
 *   TOGETHER=1          all the servers of a round at once, side by side on core 0, each under its
 *                       own generator on core 1: what the host does to the core falls on all of them
 *                       alike, so their CPU a message compares even while its speed moves. The rates
 *                       are then each server's share of one core, not the row's.
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const benchSrc = __dirname;
const { SCENARIOS } = require(path.join(benchSrc, 'scenarios'));
const { runLoadgen } = require(path.join(benchSrc, 'loadgen'));
const { generatorPayload } = require(path.join(benchSrc, 'payloads'));
const { pinned, processCpuTimes, processSyscalls, machineTicks, stolenShare } = require(path.join(benchSrc, 'servers'));
const { build } = require(path.join(benchSrc, 'ours'));

const rowId = process.argv[2] ?? 'echo-64';
const rounds = Number(process.argv[3] ?? 3);
const impls = (process.argv[4] ?? 'ours,ws').split(',');
const duration = Number(process.env.DURATION ?? 2);
const together = process.env.TOGETHER === '1';

const row = SCENARIOS.find((s) => s.id === rowId);
if (row === undefined || !['echo', 'storm'].includes(row.kind)) throw new Error(`no echo or storm row ${rowId}`);

/** The checkout an implementation's server comes from: another worktree for `base=<root>`. */
function rootOf(impl) {
  return impl.startsWith('base=') ? impl.slice(5) : path.resolve(__dirname, '../../..');
}

function startServer(impl) {
  const name = impl.startsWith('base=') ? 'ours' : impl;
  const root = rootOf(impl);
  const script = path.join(root, 'packages/bench/src/server.js');
  const env = { ...process.env, NODE_PATH: path.join(root, 'packages/bench/node_modules') };
  if (name === 'ws-js') Object.assign(env, { WS_NO_BUFFER_UTIL: '1', WS_NO_UTF_8_VALIDATE: '1' });
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  // OURS_DEFLATE='{"syncLimit":0}' adds options to ours (not to a base= checkout, which may not know them).
  const config = { ...row.config };
  if (impl === 'ours' && config.deflate !== undefined) {
    config.deflate = { ...config.deflate, ...JSON.parse(process.env.OURS_DEFLATE ?? '{}') };
  }
  const flags = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const [command, args] = pinned(0, process.execPath, [...flags, ...profile, script, name, JSON.stringify(config)]);
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${impl} exited with ${code}`)));
    const log = process.env.BENCH_SERVER_LOG ? fs.createWriteStream(serverLogName(impl, child.pid)) : null;
    child.stdout.on('data', (chunk) => {
      log?.write(chunk);
      const match = /port (\d+)/.exec(String(chunk));
      if (match) resolve({ child, port: Number(match[1]) });
    });
  });
}

/** Where a server's stdout goes under BENCH_SERVER_LOG: one file per process. */
function serverLogName(impl, pid) {
  return `${process.env.BENCH_SERVER_LOG}.${impl.replace(/\W/g, '')}.${pid}`;
}

function loadArgs(port) {
  return row.kind === 'storm'
    ? { port, parallel: row.params.parallel, minMessages: 32 }
    : {
        port,
        connections: row.params.connections,
        window: row.params.window,
        header: row.params.header,
        ...generatorPayload(row.params),
        minMessages: 8,
      };
}

/** One measured run of the generator against a started server: its rate and the server's CPU a message. */
async function measure({ child, port }) {
  const before = processCpuTimes(child.pid);
  const callsBefore = processSyscalls(child.pid);
  const ticks = machineTicks();
  const result = await runLoadgen(row.kind, { ...loadArgs(port), duration, warmup: 0 });
  const after = processCpuTimes(child.pid);
  const callsAfter = processSyscalls(child.pid);
  const user = (after.user - before.user) / result.messages;
  const system = (after.system - before.system) / result.messages;
  const faults = (after.minorFaults - before.minorFaults) / result.messages;
  const stolen = stolenShare(ticks, machineTicks());
  const calls = callsBefore === null || callsAfter === null ? null : perCall(result.messages, callsBefore, callsAfter);
  return { rate: result.rate, perMessage: user + system, user, system, faults, generator: result.cpu, stolen, calls };
}

/** Messages per read and per write system call between two `processSyscalls()`. */
function perCall(messages, before, after) {
  return { read: messages / (after.reads - before.reads), write: messages / (after.writes - before.writes) };
}

async function stopServer({ child }) {
  child.removeAllListeners('exit');
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGINT'); // lets --cpu-prof write its profile
  await exited;
}

async function started(impl) {
  const server = await startServer(impl);
  await runLoadgen(row.kind, { ...loadArgs(server.port), duration: 1, warmup: 0 }); // warm-up
  return server;
}

/** One round, one implementation after the other. */
async function roundApart(order) {
  const samples = {};
  for (const impl of order) {
    const server = await started(impl);
    samples[impl] = await measure(server);
    await stopServer(server);
  }
  return samples;
}

/**
 * TOGETHER=1: every implementation's server at once on core 0, each under a generator of its own
 * on core 1, so that a change in the core's speed or the host's steal falls on all of them alike.
 */
async function roundTogether(order) {
  const servers = [];
  for (const impl of order) servers.push(await started(impl));
  const measured = await Promise.all(servers.map(measure));
  await Promise.all(servers.map(stopServer));
  return Object.fromEntries(order.map((impl, i) => [impl, measured[i]]));
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

(async () => {
  // Each checkout's servers load its packages built (ours.js): compile them first. One from
  // before ours.js loads its sources and needs no build.
  const roots = new Set(impls.filter((impl) => impl === 'ours' || impl.startsWith('base=')).map(rootOf));
  for (const root of roots) {
    if (fs.existsSync(path.join(root, 'packages/bench/src/ours.js'))) build(root);
    else if (process.env.BENCH_SOURCES !== '1') {
      console.error(
        `warning: ${root} loads its sources, ours loads dist/: set BENCH_SOURCES=1 to compare like with like`,
      );
    }
  }
  const results = Object.fromEntries(impls.map((impl) => [impl, []]));
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 === 0 ? impls : [...impls].reverse();
    const samples = await (together ? roundTogether(order) : roundApart(order));
    for (const impl of order) {
      const r = samples[impl];
      results[impl].push(r);
      console.log(
        `round ${i + 1} ${impl}: ${Math.round(r.rate)} msg/s, server CPU ${r.perMessage.toFixed(1)} us/msg (user ${r.user.toFixed(1)}, system ${r.system.toFixed(1)}), page faults ${r.faults.toFixed(1)}, messages a read ${r.calls === null ? '?' : r.calls.read.toFixed(1)}, a write ${r.calls === null ? '?' : r.calls.write.toFixed(1)}, generator CPU ${Math.round(r.generator * 100)}%, stolen ${r.stolen === null ? '?' : (r.stolen * 100).toFixed(1)}%`,
      );
    }
  }
  console.log(`${rowId}, ${rounds} rounds${together ? ', servers side by side' : ''}, medians:`);
  for (const impl of impls) {
    const rate = median(results[impl].map((r) => r.rate));
    const cpu = median(results[impl].map((r) => r.perMessage));
    const user = median(results[impl].map((r) => r.user));
    const system = median(results[impl].map((r) => r.system));
    console.log(
      `  ${impl.padEnd(30)} ${String(Math.round(rate)).padStart(7)} msg/s  ${cpu.toFixed(1).padStart(6)} us/msg  (user ${user.toFixed(1)}, system ${system.toFixed(1)})`,
    );
  }
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
