'use strict';
// `pnpm bench [--quick] [--rounds N] [--only id,id] [--report]`: every row of scenarios.js,
// the implementations alternating round by round, each round starting one further on
// (A B C D, B C D A, ...), with a progress line.
// A full run writes results/latest.json, BENCHMARKS.md and the chart; --quick writes
// results/quick.json and prints the table only.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { plan } = require('./scenarios');
const { KINDS } = require('./measure');
const { summarize, verdict, cpuRatios } = require('./stats');
const { buildLoadgen } = require('./loadgen');
const { build } = require('./ours');
const { pinned, machineTicks, stolenShare } = require('./servers');
const { renderTable, writeReport } = require('./report');

function parseArgs(argv) {
  const args = { quick: false, only: [], report: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--quick') args.quick = true;
    else if (argv[i] === '--report') args.report = true;
    else if (argv[i] === '--rounds') args.rounds = Number(argv[++i]);
    else if (argv[i] === '--only') args.only = argv[++i].split(',').filter(Boolean);
    else if (argv[i] === '--duration') args.duration = Number(argv[++i]);
    else throw new Error(`unknown option ${argv[i]} (--quick, --rounds N, --only id,id, --duration S, --report)`);
  }
  return args;
}

/** m:ss, rounded to the second first (so 59.6 s is 1:00, not 0:60). */
function clock(seconds) {
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`;
}

/** Seconds a row should take: the progress line's estimate of what is left. */
function estimate(scenario, rounds, timing) {
  const impls = scenario.impls.length;
  const { params } = scenario;
  if (scenario.kind === 'memory') return rounds * impls * (1.5 + params.connections / 4000);
  if (scenario.kind === 'fanout' || scenario.kind === 'redis')
    return 1 + params.receivers / 2000 + impls * timing.duration * (rounds + 0.3);
  const duration = timing.duration * (scenario.durationScale || 1);
  return 1 + impls * (timing.firstWarmup + 0.3) + rounds * impls * (duration + timing.warmup + 0.3);
}

function machine() {
  const cpus = os.cpus();
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', '../..'], { encoding: 'utf8', cwd: __dirname });
    if (dirty.trim() !== '') commit += ' (with uncommitted changes)';
  } catch {
    // not a git checkout
  }
  return {
    date: new Date().toISOString(),
    commit,
    node: process.version,
    cpus: cpus.map((cpu) => cpu.model),
    cpuCount: cpus.length,
    memoryBytes: os.totalmem(),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    pinned: pinned(0, 'x', [])[0] === 'taskset',
    loadAverage: os.loadavg(),
  };
}

/** `items` starting at index `by` (modulo their count), wrapping around. */
function rotated(items, by) {
  const start = by % items.length;
  return [...items.slice(start), ...items.slice(0, start)];
}

async function runRow(scenario, rounds, timing, progress) {
  const kind = KINDS[scenario.kind];
  const available = kind.available ? kind.available() : true;
  if (available !== true) return { skipped: available };
  const states = {};
  const values = Object.fromEntries(
    scenario.impls.map((impl) => [impl, { samples: [], cpu: [], serverCpu: [], stolen: [], extra: [] }]),
  );
  try {
    // Servers start (and fan-out receivers connect) side by side; warm-ups run one at a time.
    progress('starting servers');
    const started = await Promise.allSettled(scenario.impls.map((impl) => kind.setup(scenario, impl, timing)));
    started.forEach((outcome, i) => outcome.status === 'fulfilled' && (states[scenario.impls[i]] = outcome.value));
    const failed = started.find((outcome) => outcome.status === 'rejected');
    if (failed) throw failed.reason;
    for (const impl of scenario.impls) {
      progress(`warming up ${impl}`);
      if (kind.warm) await kind.warm(scenario, states[impl], timing);
    }
    for (let round = 0; round < rounds; round++) {
      // Each round starts one server further on (A B C, B C A, C A B, ...): whatever drifts
      // within a round (the host, the core's speed, what the row before left running) falls
      // on every server alike over the rounds, not always on the one listed first.
      for (const impl of rotated(scenario.impls, round)) {
        progress(`round ${round + 1}/${rounds}, ${impl}`);
        const ticks = machineTicks();
        const { value, cpu, serverCpu, extra } = await kind.sample(scenario, states[impl], timing);
        const stolen = stolenShare(ticks, machineTicks());
        if (stolen !== null) values[impl].stolen.push(stolen);
        values[impl].samples.push(value);
        values[impl].cpu.push(cpu);
        if (typeof serverCpu === 'number') values[impl].serverCpu.push(serverCpu);
        if (extra) values[impl].extra.push(extra);
      }
    }
  } finally {
    for (const state of Object.values(states)) await kind.teardown(state);
  }
  const results = {};
  for (const [impl, { samples, cpu, serverCpu, stolen, extra }] of Object.entries(values)) {
    results[impl] = summarize(samples, cpu, serverCpu);
    if (results[impl] && stolen.length > 0) results[impl].stolen = stolen;
    if (extra.length > 0) results[impl].extra = extra;
  }
  const ratios = {};
  if (results.ws) for (const impl of scenario.impls) ratios[impl] = results[impl].median / results.ws.median;
  return { results, ratios, cpuRatios: cpuRatios(results), holds: verdict(scenario.target, ratios.ours) };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const rounds = args.rounds || Number(process.env.BENCH_ROUNDS) || (args.quick ? 1 : 5);
  const timing = args.quick
    ? { duration: args.duration || 0.4, warmup: 0.15, firstWarmup: 0.3 }
    : { duration: args.duration || 1.5, warmup: 0.3, firstWarmup: 1 };
  const scenarios = plan(args);
  buildLoadgen();
  build();
  const meta = { ...machine(), quick: args.quick, rounds, timing, order: 'rotated' };
  console.log(
    `${scenarios.length} scenarios, ${rounds} round(s), node ${meta.node}, ${meta.cpuCount} x ${meta.cpus[0]}, ` +
      `${meta.pinned ? 'servers on core 0, load generator on core 1' : 'not pinned (no taskset)'}`,
  );
  const started = Date.now();
  const ticksAtStart = machineTicks();
  const estimates = scenarios.map((s) => estimate(s, rounds, timing));
  // The pace (real seconds per estimated second) is taken from the rows already done, and the
  // time spent in the current row comes off its estimate, so the figure falls as a row runs.
  let doneEstimate = 0;
  let doneSeconds = 0;
  const rows = [];
  for (const [i, scenario] of scenarios.entries()) {
    const progress = (what) => {
      const elapsed = (Date.now() - started) / 1000;
      const pace = doneEstimate > 0 ? doneSeconds / doneEstimate : 1;
      const rowLeft = Math.max(0, estimates[i] * pace - (elapsed - doneSeconds));
      const left = rowLeft + estimates.slice(i + 1).reduce((a, b) => a + b, 0) * pace;
      const line = `[${i + 1}/${scenarios.length}] ${scenario.id}: ${what}; elapsed ${clock(elapsed)}, about ${clock(left)} left`;
      if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${line}`);
      else process.stderr.write(`${line}\n`);
    };
    let outcome;
    try {
      outcome = await runRow(scenario, rounds, timing, progress);
    } catch (error) {
      // One broken row (a server that refused a size, say) must not lose the others.
      outcome = { error: error.message };
      console.error(`\n${scenario.id}: failed: ${error.stack}`);
    }
    doneEstimate += estimates[i];
    doneSeconds = (Date.now() - started) / 1000;
    const { id, name, kind, metric, unit, better, params, target, config = {} } = scenario;
    rows.push({ id, name, kind, metric, unit, better, params, target, config, ...outcome });
    if (outcome.skipped && process.stderr.isTTY) process.stderr.write('\n');
    if (outcome.skipped) console.error(`${scenario.id}: skipped: ${outcome.skipped}`);
  }
  if (process.stderr.isTTY) process.stderr.write('\n');
  meta.seconds = (Date.now() - started) / 1000;
  meta.loadAverageAfter = os.loadavg();
  meta.stolen = stolenShare(ticksAtStart, machineTicks());
  const results = { meta, scenarios: rows };
  const resultsDir = path.join(__dirname, '..', 'results');
  fs.mkdirSync(resultsDir, { recursive: true });
  const full = !args.quick && args.only.length === 0;
  const file = path.join(resultsDir, full ? 'latest.json' : 'quick.json');
  fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\n${renderTable(results)}\n`);
  console.log(`${clock(meta.seconds)} in all; results in ${path.relative(process.cwd(), file)}`);
  if (full || args.report) console.log(`written: ${writeReport(results).join(', ')}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
