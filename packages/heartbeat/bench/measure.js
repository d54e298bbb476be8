'use strict';
/**
 * What the three heartbeat benchmarks share: their command line, the keep-alive variants, the
 * measurement of one process (CPU and event-loop delay over whole intervals, memory after gc()),
 * the parent that forks one measured process per (connections, variant), and the markdown tables.
 *
 *   parent ──forkMeasured──> node --expose-gc <script> <role> n variant interval intervals
 *          <──── { type: 'result', … } ── the child measures itself (measureIntervals)
 */
const { fork } = require('node:child_process');
const { monitorEventLoopDelay } = require('node:perf_hooks');

/** The defaults of the scripts that run a grid of connections × keep-alive variants. */
const GRID_DEFAULTS = { connections: [10000, 50000], variants: ['off', 'heartbeat', 'burst'] };

/**
 * `--connections a,b --interval ms --intervals k [--variants x,y]` over `defaults`; `--variants`
 * only where `defaults` has variants. Anything else throws.
 */
function parseArgs(argv, defaults) {
  const args = { ...defaults };
  for (let i = 0; i < argv.length; i += 2) {
    const [name, value] = [argv[i], argv[i + 1]];
    if (name === '--connections') args.connections = value.split(',').map(Number);
    else if (name === '--interval') args.interval = Number(value);
    else if (name === '--intervals') args.intervals = Number(value);
    else if (name === '--variants' && 'variants' in defaults) args.variants = value.split(',');
    else throw new Error(`unknown argument ${name}`);
  }
  return args;
}

/** The first line of every report, with what else the script wants said. */
function describeRun(args, ...more) {
  return [
    `node ${process.version}`,
    `interval ${args.interval} ms`,
    `measured over ${args.intervals} intervals`,
    ...more,
  ].join(', ');
}

// ---- the measured process ----------------------------------------------------------------

function settledMemory() {
  for (let i = 0; i < 3; i++) global.gc();
  return process.memoryUsage();
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Measures this process over `intervals` intervals. `reset()` runs once the monitor is on, just
 * before the clock starts: it zeroes the caller's counters. `perInterval(count)` turns a count
 * taken over the run into a count per interval.
 */
async function measureIntervals({ interval, intervals }, reset) {
  // The histogram records whole timer periods: subtract the resolution to get the delay.
  const resolution = 5;
  const delay = monitorEventLoopDelay({ resolution });
  delay.enable();
  reset();
  const cpu = process.cpuUsage();
  const started = performance.now();
  await sleep(intervals * interval);
  const used = process.cpuUsage(cpu);
  const elapsed = performance.now() - started;
  delay.disable();
  const perInterval = (count) => (count * interval) / elapsed;
  return {
    perInterval,
    cpuMsPerInterval: perInterval((used.user + used.system) / 1000),
    loopDelayP99Ms: Math.max(0, delay.percentile(99) / 1e6 - resolution),
    loopDelayMaxMs: Math.max(0, delay.max / 1e6 - resolution),
  };
}

/**
 * A row's keep-alive. off: none at all, the floor. heartbeat: this plugin; heartbeat@N: with
 * `slots: N`. burst: the pattern of the `ws` README (one setInterval pinging every client at
 * once, terminating those that did not answer the previous ping), for contrast: the same work,
 * done in one block. `plugins` go to `new Server`; `watch(server)` then counts the pings sent.
 */
class KeepAlive {
  constructor(variant, interval) {
    require('../../bench/ts-register');
    const { heartbeat } = require('@ws/heartbeat');
    const [kind, slots] = variant.split('@');
    this.kind = kind;
    this.interval = interval;
    this.plugins =
      kind === 'heartbeat' ? [heartbeat({ interval, slots: slots === undefined ? undefined : Number(slots) })] : [];
    this.pings = 0;
    this.timer = null;
  }

  watch(server) {
    if (this.kind === 'heartbeat') server.on('heartbeat', () => this.pings++);
    if (this.kind !== 'burst') return;
    const waiting = new Set();
    server.on('pong', (connection) => waiting.delete(connection));
    server.on('close', (connection) => waiting.delete(connection));
    this.timer = setInterval(() => {
      for (const connection of server.clients) {
        if (waiting.has(connection)) {
          connection.terminate();
          continue;
        }
        waiting.add(connection);
        connection.ping();
        this.pings++;
      }
    }, this.interval);
  }

  stop() {
    clearInterval(this.timer);
  }
}

// ---- the parent --------------------------------------------------------------------------

/**
 * Runs `runOne(n, variant)` for every row, in turn, printing each result as a JSON line.
 * `skip(n)` may return why `n` connections cannot run here (printed instead).
 */
async function runVariants(args, runOne, skip = () => null) {
  const rows = [];
  for (const n of args.connections) {
    const why = skip(n);
    if (why !== null) {
      console.log(why);
      continue;
    }
    for (const variant of args.variants) {
      const row = await runOne(n, variant);
      rows.push(row);
      console.log(JSON.stringify(row));
    }
  }
  return rows;
}

/**
 * Forks `script` as the measured process of one row, with `--expose-gc` and the node flags in
 * the environment variable `flagsVariable` (`--cpu-prof` profiles it). `measured` undoes it.
 */
function forkMeasured(script, role, n, variant, args, flagsVariable) {
  return fork(script, [role, String(n), variant, String(args.interval), String(args.intervals)], {
    execArgv: ['--expose-gc', ...(process.env[flagsVariable] ?? '').split(' ').filter(Boolean)],
  });
}

/** A role for `main` that takes `forkMeasured`'s arguments: `run(n, variant, interval, intervals)`. */
function measured(run) {
  return (n, variant, interval, intervals) => run(Number(n), variant, Number(interval), Number(intervals));
}

/** The first `type` message from `child`; rejects if it exits first. */
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

/**
 * The entry point: the role named by the first argument (a forked child's, given the rest as
 * strings), else `parent`. An error is printed and ends the process with 1.
 */
function main(parent, roles = {}) {
  const [role, ...rest] = process.argv.slice(2);
  const run = Object.hasOwn(roles, role) ? () => roles[role](...rest) : parent;
  Promise.resolve()
    .then(run)
    .catch((error) => {
      console.error(error);
      process.exit(1);
    });
}

// ---- tables --------------------------------------------------------------------------------

/** Columns are `{ title, cell(row), left? }`: a markdown table, right-aligned unless `left`. */
function printHeader(columns) {
  console.log(`| ${columns.map((c) => c.title).join(' | ')} |`);
  console.log(`|${columns.map((c) => (c.left ? ':---' : '---:')).join('|')}|`);
}

function printRow(columns, row) {
  console.log(`| ${columns.map((c) => c.cell(row)).join(' | ')} |`);
}

/** A blank line, the table, and the run's settings under it (`extra` inside the parentheses). */
function printTable(columns, rows, args, extra = '') {
  console.log('');
  printHeader(columns);
  for (const row of rows) printRow(columns, row);
  console.log(`\n(interval ${args.interval} ms, ${args.intervals} intervals measured${extra})`);
}

/** The columns more than one table has, over the fields of a measured row. */
const COLUMN = {
  connections: { title: 'connections', cell: (r) => r.connections },
  keepAlive: { title: 'keep-alive', cell: (r) => r.variant, left: true },
  cpu: { title: 'CPU per interval (ms)', cell: (r) => r.cpuMsPerInterval.toFixed(1) },
  loopDelay: {
    title: 'event loop delay p99 / max (ms)',
    cell: (r) => `${r.loopDelayP99Ms.toFixed(1)} / ${r.loopDelayMaxMs.toFixed(1)}`,
  },
  heap: { title: 'heap per connection (bytes)', cell: (r) => Math.round(r.heapPerConnection) },
  rss: { title: 'RSS per connection (bytes)', cell: (r) => Math.round(r.rssPerConnection) },
  pings: { title: 'pings per interval', cell: (r) => r.pingsPerInterval.toFixed(0) },
};

module.exports = {
  GRID_DEFAULTS,
  parseArgs,
  describeRun,
  settledMemory,
  sleep,
  measureIntervals,
  KeepAlive,
  runVariants,
  forkMeasured,
  measured,
  once,
  main,
  printHeader,
  printRow,
  printTable,
  COLUMN,
};
