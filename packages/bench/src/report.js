'use strict';
// Renders a results JSON (run.js) as BENCHMARKS.md and its chart, so what is published is
// always what this code measured. `pnpm bench:report [results.json]` re-renders without running.
// Everything below NOTES_MARK in BENCHMARKS.md is written by hand (profiles, explanations) and
// kept as it is.
const fs = require('node:fs');
const path = require('node:path');
const { renderChart } = require('./chart');

const ROOT = path.join(__dirname, '..', '..', '..');
const NOTES_MARK = '<!-- Hand-written notes below this line are kept when the report is regenerated. -->';

const number = (n, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const value = (n, unit) => `${number(n, unit === 'MB/s' && n < 100 ? 1 : 0)} ${unit}`;
const times = (ratio) => (ratio === undefined ? '' : `${number(ratio, 2)}x`);

function targetText(scenario) {
  const { target } = scenario;
  if (!target) return '';
  const text = target.min !== undefined ? `>= ${target.min}x` : `<= ${target.max}x`;
  return target.floor ? `${text} (at least ${target.floor}x with string delivery)` : text;
}

function holdsText(scenario) {
  if (scenario.holds === null || scenario.holds === undefined) return '';
  if (scenario.target && scenario.target.floor && !scenario.holds && scenario.ratios.ours >= scenario.target.floor)
    return `above ${scenario.target.floor}x only`;
  return scenario.holds ? 'yes' : '**no**';
}

/** Spread of one implementation: median [min-max], and a mark when the generator was busy. */
function cell(result, unit) {
  if (!result) return '';
  const spread = result.samples.length > 1 ? ` [${number(result.min)}-${number(result.max)}]` : '';
  return `${value(result.median, unit)}${spread}${result.saturated ? ' (generator saturated)' : ''}`;
}

/** Server CPU a message, ws's and ours (medians of the rounds), and how many times less ours takes. */
function cpuCell(scenario) {
  const ws = scenario.results.ws && scenario.results.ws.serverCpuMedian;
  const ours = scenario.results.ours && scenario.results.ours.serverCpuMedian;
  if (!ws || !ours) return '';
  const us = (n) => number(n, n < 100 ? 1 : 0);
  return `${us(ws)} / ${us(ours)} us, ${times(scenario.cpuRatios.ours)}`;
}

function renderTable({ scenarios }) {
  const lines = [
    '| scenario | ws, median [min-max] | this library | ratio | server CPU a message, ws / this library | ws without add-ons | raw `net` ceiling | target | holds |',
    '|---|---:|---:|---:|---:|---:|---:|---|---|',
  ];
  for (const s of scenarios) {
    if (s.skipped || s.error) {
      const why = s.skipped ? `skipped: ${s.skipped}` : `failed: ${s.error}`;
      lines.push(`| ${s.name} | ${why} | | | | | | ${targetText(s)} | |`);
      continue;
    }
    const { results, ratios } = s;
    const mark = (impl) => (results[impl] && results[impl].saturated ? ' (generator saturated)' : '');
    const name = s.better === 'lower' ? `${s.name} (lower is better)` : s.name;
    const ratio = ratios.ours === undefined ? '' : `**${times(ratios.ours)}**`;
    lines.push(
      `| ${name} | ${cell(results.ws, s.unit)} | ${cell(results.ours, s.unit)} | ${ratio} | ${cpuCell(s)} | ` +
        `${times(ratios['ws-js'])}${mark('ws-js')} | ${times(ratios.raw)}${mark('raw')} | ${targetText(s)} | ${holdsText(s)} |`,
    );
  }
  return lines.join('\n');
}

function renderMethod(meta, scenarios) {
  const gib = (meta.memoryBytes / 2 ** 30).toFixed(1);
  const load = (values) => values.map((v) => v.toFixed(2)).join(', ');
  return [
    '## Method',
    '',
    `- **Servers**, each in a child process${meta.pinned ? ' pinned to core 0 (`taskset -c 0`)' : ' (not pinned: no taskset)'}: ` +
      '`this library` (the public API, default options, `connection.send(data, { binary: isBinary })` in the `message` listener); ' +
      '`ws` 8.23 with `bufferutil` and `utf-8-validate`; `ws` without them (`WS_NO_BUFFER_UTIL=1 WS_NO_UTF_8_VALIDATE=1`); ' +
      'and a raw `net` server that copies bytes back without parsing them (the ceiling of anything on Node sockets; it answers ' +
      'the handshake with a canned 101 and, in fan-out rows, writes one prebuilt frame per socket).',
    `- **Load generator**: \`packages/bench/loadgen/*.c\`, one thread, epoll${meta.pinned ? ', pinned to core 1' : ''}. ` +
      'Precomputed masked frames, a window of messages in flight per connection, echoes counted by parsing frame headers. ' +
      'It reports its own CPU use (getrusage); a figure taken while it used more than 90% of its core is marked ' +
      '"generator saturated": the generator, not the server, may have set that pace.',
    '- **Rows**: echo (messages/s, or payload MB/s for 64 KiB and up); handshakes (connect, upgrade with a fixed key, read the ' +
      '101, send a close frame, wait for the close and the end of the stream; 32 at a time); memory (RSS growth of the server ' +
      'process per connection, measured after `global.gc()`, once 200 connections have come and gone); fan-out (N connections held by the generator, the server sends ' +
      'M messages, 10 per event-loop turn (1 for deflate); deliveries/s until every connection has every message); open-loop ' +
      'latency (a fixed total rate, each payload stamped with its scheduled send time, so late sends count; the generator ' +
      "polls its clock rather than sleeping on a timer, whose late wake-ups on this VM were counted as the server's); " +
      "client echo (our client and ws's, each in a Node process on core 1, against this library's server).",
    '- **Deflate rows**: both servers with default permessage-deflate options (`deflate()` of `@ws/deflate`; `ws` with ' +
      '`perMessageDeflate: true`); the client offers are in `packages/bench/src/scenarios.js` (the broadcast row asks for ' +
      "`server_no_context_takeover`, which makes every connection's output identical). The client sends a 16 KiB JSON " +
      'document compressed once, with a 12-bit window.',
    "- **Server CPU a message**: in echo rows and handshakes, the server process's CPU time (user and system, every " +
      "thread, from `/proc/<pid>/stat`) over the generator's measured window, divided by the messages (or handshakes) " +
      'it counted; median of the rounds, and how many times less CPU than `ws` ours takes. Where the server is busy ' +
      'all the time it is about the inverse of its rate; where it waits (one in flight, handshakes) it is what a message ' +
      'cost apart from the waiting.',
    "- **Targets**: from issue 17, as the ratio of this library's median to `ws`'s.",
    `- **Rounds**: ${meta.rounds}, the implementations alternating within each (${
      // Runs before session 12 began every round with the same server.
      meta.order === 'rotated'
        ? 'each round starting one further on: A B C D, B C D A, C D A B ...'
        : 'A B C D A B C D ...'
    }); every figure is the ` +
      `median of its rounds, min and max in brackets, and the ratio is to \`ws\` with add-ons in the same run. Each measurement ` +
      `runs ${meta.timing.duration} s after ${meta.timing.warmup} s of warm-up (a ${meta.timing.firstWarmup} s run first per server). ` +
      'For rows where lower is better (memory, latency) a ratio below 1 is better.',
    '',
    '## Machine',
    '',
    `- ${meta.cpuCount} x ${meta.cpus[0]}, ${gib} GiB, ${meta.os}`,
    `- Node ${meta.node}; run of ${meta.date.slice(0, 16).replace('T', ' ')} UTC at commit ${meta.commit}, ${Math.round(meta.seconds)} s in all`,
    `- Load average before and after: ${load(meta.loadAverage)}; ${load(meta.loadAverageAfter)}${meta.quick ? ' (a `--quick` run)' : ''}`,
    ...stolenLine(meta, scenarios),
  ].join('\n');
}

const percent = (share) => `${(share * 100).toFixed(1)}%`;

/**
 * How much CPU time the host took from this virtual machine (steal in /proc/stat, all cores):
 * over the run, and the median and worst sample, with its row, so a reader can tell a quiet
 * run from one a neighbour disturbed. Nothing where the machine does not report it.
 */
function stolenLine(meta, scenarios) {
  if (typeof meta.stolen !== 'number') return [];
  const samples = [];
  for (const s of scenarios) {
    for (const result of Object.values(s.results || {})) {
      for (const share of (result && result.stolen) || []) samples.push({ share, id: s.id });
    }
  }
  if (samples.length === 0)
    return [`- CPU time stolen by the host (steal in /proc/stat): ${percent(meta.stolen)} over the run`];
  const sorted = samples.map((sample) => sample.share).sort((a, b) => a - b);
  const worst = samples.reduce((a, b) => (b.share > a.share ? b : a));
  return [
    `- CPU time stolen by the host (steal in /proc/stat, all cores): ${percent(meta.stolen)} over the run; per sample, ` +
      `median ${percent(sorted[Math.floor(sorted.length / 2)])}, the most ${percent(worst.share)} (${worst.id})`,
  ];
}

function renderMarkdown(results, notes) {
  return [
    '# Benchmarks',
    '',
    'Generated by `pnpm bench` (or `pnpm bench:report` from `packages/bench/results/latest.json`); do not edit above the',
    'notes mark. Ratios are to `ws` with `bufferutil` in the same run on the same machine: absolute figures move with the',
    "machine's load, ratios much less.",
    '',
    '![Ratio to ws per scenario](packages/bench/results/chart.svg)',
    '',
    renderTable(results),
    '',
    renderMethod(results.meta, results.scenarios),
    '',
    '## Notes',
    '',
    `${NOTES_MARK}${notes}`,
  ].join('\n');
}

/** Writes BENCHMARKS.md (keeping its hand-written notes) and the chart; returns the paths. */
function writeReport(results, root = ROOT) {
  const markdownPath = path.join(root, 'BENCHMARKS.md');
  const chartPath = path.join(root, 'packages', 'bench', 'results', 'chart.svg');
  let notes = '\n\nProfiles and explanations of rows go here.\n';
  if (fs.existsSync(markdownPath)) {
    const existing = fs.readFileSync(markdownPath, 'utf8');
    const at = existing.indexOf(NOTES_MARK);
    if (at !== -1) notes = existing.slice(at + NOTES_MARK.length);
  }
  fs.mkdirSync(path.dirname(chartPath), { recursive: true });
  fs.writeFileSync(markdownPath, renderMarkdown(results, notes));
  fs.writeFileSync(chartPath, renderChart(results));
  return [markdownPath, chartPath].map((p) => path.relative(process.cwd(), p));
}

if (require.main === module) {
  const file = process.argv[2] || path.join(__dirname, '..', 'results', 'latest.json');
  console.log(`written: ${writeReport(JSON.parse(fs.readFileSync(file, 'utf8'))).join(', ')}`);
}

module.exports = { renderTable, renderMarkdown, writeReport, NOTES_MARK };
