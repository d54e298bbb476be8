'use strict';
// Server child processes (server.js), pinned to core 0 when `taskset` exists, and their IPC.
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const IMPLS = ['ours', 'ws', 'ws-js', 'raw'];
const LABELS = { ours: 'this library', ws: 'ws', 'ws-js': 'ws without add-ons', raw: 'raw net ceiling' };

let tasksetChecked = null;
function hasTaskset() {
  if (tasksetChecked === null) {
    try {
      execFileSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
      tasksetChecked = true;
    } catch {
      tasksetChecked = false;
    }
  }
  return tasksetChecked;
}

/** Runs `command args` on `core` when the OS lets us pin, else unpinned. */
function pinned(core, command, args) {
  return hasTaskset() ? ['taskset', ['-c', String(core), command, ...args]] : [command, args];
}

function startServer(impl, config = {}) {
  const env = { ...process.env, NODE_PATH: path.join(__dirname, '..', 'node_modules') };
  if (impl === 'ws-js') Object.assign(env, { WS_NO_BUFFER_UTIL: '1', WS_NO_UTF_8_VALIDATE: '1' });
  const nodeArgs = ['--expose-gc', '--max-old-space-size=4096', path.join(__dirname, 'server.js'), impl];
  const [command, args] = pinned(0, process.execPath, [...nodeArgs, JSON.stringify(config)]);
  const child = spawn(command, args, { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${impl} server exited with ${code} before listening`)));
    child.on('message', function onMessage(message) {
      if (message.type !== 'listening') return;
      child.removeListener('message', onMessage);
      child.removeAllListeners('exit');
      resolve({ impl, child, port: message.port });
    });
  });
}

function memoryOf(child) {
  return new Promise((resolve) => {
    child.on('message', function onMessage(message) {
      if (message.type !== 'memory') return;
      child.removeListener('message', onMessage);
      resolve(message);
    });
    child.send({ type: 'memory' });
  });
}

function stopServer(server) {
  return new Promise((resolve) => {
    if (server.child.exitCode !== null || server.child.signalCode !== null) return resolve();
    server.child.once('exit', () => resolve());
    server.child.kill('SIGKILL');
  });
}

const TICKS_PER_SECOND = 100; // USER_HZ: /proc/<pid>/stat counts CPU time in these

/**
 * CPU time (user + system, every thread: GC helpers, zlib's pool) of process `pid` so far, in
 * microseconds; null where there is no /proc. `taskset` execs node, so a server's pid is its own.
 */
function processCpuMicros(pid) {
  const times = processCpuTimes(pid);
  return times === null ? null : times.user + times.system;
}

/**
 * The same, as user and system (kernel) time apart: on loopback the system side is mostly the
 * read and write syscalls and the TCP work they carry, which a server pays per write it makes;
 * and the minor page faults so far.
 */
function processCpuTimes(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return {
      user: (Number(fields[11]) * 1e6) / TICKS_PER_SECOND,
      system: (Number(fields[12]) * 1e6) / TICKS_PER_SECOND,
      // Page faults served without I/O: fresh memory touched for the first time, much of the
      // system time of a server that allocates a large buffer per message.
      minorFaults: Number(fields[7]),
    };
  } catch {
    return null;
  }
}

/**
 * Read- and write-like system calls of process `pid` so far (/proc/<pid>/io), or null where there
 * is no /proc: how many messages a server puts in each.
 */
function processSyscalls(pid) {
  try {
    const io = fs.readFileSync(`/proc/${pid}/io`, 'utf8');
    return { reads: Number(/syscr: (\d+)/.exec(io)[1]), writes: Number(/syscw: (\d+)/.exec(io)[1]) };
  } catch {
    return null;
  }
}

/**
 * The machine's CPU time so far from /proc/stat, all cores together, in ticks: `total` and
 * `steal`, the time a virtual machine's cores were runnable but the host ran something else.
 * null where there is no /proc/stat.
 */
function machineTicks() {
  try {
    const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1, 9).map(Number);
    return { total: fields.reduce((sum, value) => sum + value, 0), steal: fields[7] };
  } catch {
    return null;
  }
}

/** The share of the machine's CPU time stolen by the host between two `machineTicks()`, or null. */
function stolenShare(before, after) {
  if (before === null || after === null || after.total <= before.total) return null;
  return (after.steal - before.steal) / (after.total - before.total);
}

module.exports = {
  IMPLS,
  LABELS,
  startServer,
  memoryOf,
  stopServer,
  pinned,
  processCpuMicros,
  processCpuTimes,
  processSyscalls,
  machineTicks,
  stolenShare,
};
