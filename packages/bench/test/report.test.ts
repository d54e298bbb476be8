/** The report renders a fixed results file: the table, BENCHMARKS.md's kept notes, the SVG chart. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { renderChart } from '../src/chart';
import { NOTES_MARK, renderTable, writeReport } from '../src/report';

const results = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'results.json'), 'utf8'));

test('the table has every row with its spread, ratios, server CPU, target and verdict', () => {
  const rows = renderTable(results).split('\n');
  expect(rows).toHaveLength(2 + 3);
  expect(rows[0]).toContain('| ratio | server CPU a message, ws / this library |');
  expect(rows[2]).toBe(
    '| echo 64 B text & more | 100,000 msg/s [100,000-100,000] | 600,000 msg/s [500,000-700,000] | **6.00x** | ' +
      '10.0 / 2.5 us, 4.00x |  | 16.00x (generator saturated) | >= 6x | yes |',
  );
  // Rows that do not measure server CPU (memory) leave the cell empty.
  expect(rows[3]).toContain('| RSS per idle connection (lower is better) | 4,000 B | 5,000 B | **1.25x** |  |');
  expect(rows[3]).toMatch(/\| <= 0\.8x \| \*\*no\*\* \|$/);
  expect(rows[4]).toContain('skipped: redis-server is not installed');
});

test('the chart draws a bar per measured row, the 1.0 line, the ceiling, and escapes labels', () => {
  const svg = renderChart(results);
  expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  expect(svg.trim().endsWith('</svg>')).toBe(true);
  expect(svg).toContain('echo 64 B text &amp; more');
  expect(svg).not.toContain('publish through Redis');
  // Bars: one per measured row (the skipped one has none), green where the target holds.
  const bars = [...svg.matchAll(/<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)" height="14" fill="(#[0-9a-f]+)"\/>/g)];
  expect(bars.map((bar) => bar[3])).toEqual(['#2e7d32', '#d84315']);
  // The memory row is drawn as ws / ours = 0.8: its bar ends at the 1.0 line, the echo bar starts there.
  const one = Number(/<line x1="([\d.]+)"[^>]*stroke="#c62828"/.exec(svg)![1]);
  const [echoBar, memoryBar] = bars.map((bar) => [Number(bar[1]), Number(bar[1]) + Number(bar[2])]);
  expect(echoBar[0]).toBe(one);
  expect(memoryBar[1]).toBeCloseTo(one, 0);
  expect(svg.match(/<path d="M/g)).toHaveLength(1 + 1); // the ceiling of one row, and the legend's
  expect(svg).toContain('>6.00x<');
  expect(svg).toContain('>0.80x<');
});

test('BENCHMARKS.md is regenerated with its hand-written notes kept', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-report-'));
  try {
    fs.writeFileSync(path.join(root, 'BENCHMARKS.md'), `# old\n\n${NOTES_MARK}\n\nA profile of 1 MiB text.\n`);
    writeReport(results, root);
    const markdown = fs.readFileSync(path.join(root, 'BENCHMARKS.md'), 'utf8');
    expect(markdown).not.toContain('# old');
    expect(markdown).toContain('| echo 64 B text & more |');
    expect(markdown).toContain('2 x Test CPU @ 2.00GHz, 24.0 GiB');
    expect(markdown).toContain('commit abc1234');
    // Steal over the run, and over the samples (six, of two implementations): median and worst, with its row.
    expect(markdown).toContain(
      '- CPU time stolen by the host (steal in /proc/stat, all cores): 3.1% over the run; per sample, median 3.0%, the most 12.0% (echo-64)',
    );
    expect(markdown.endsWith(`${NOTES_MARK}\n\nA profile of 1 MiB text.\n`)).toBe(true);
    expect(fs.readFileSync(path.join(root, 'packages/bench/results/chart.svg'), 'utf8')).toContain('<svg');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('the method names the order of the rounds the results were taken in', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-report-'));
  const read = (meta: object) => {
    writeReport({ ...results, meta: { ...results.meta, ...meta } }, root);
    return fs.readFileSync(path.join(root, 'BENCHMARKS.md'), 'utf8');
  };
  try {
    // Results from before the order rotated (no `order`) keep saying so when the report is regenerated.
    expect(read({ order: undefined })).toContain('alternating within each (A B C D A B C D ...)');
    expect(read({ order: 'rotated' })).toContain(
      'alternating within each (each round starting one further on: A B C D, B C D A, C D A B ...)',
    );
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('the chart names the grey of a row with no target only when it draws one', () => {
  expect(renderChart(results)).not.toContain('>no target<');
  const [measured] = results.scenarios;
  const untargeted = { ...measured, id: 'echo-64-binary', name: 'echo 64 B binary', target: undefined, holds: null };
  const svg = renderChart({ ...results, scenarios: [...results.scenarios, untargeted] });
  expect(svg).toContain('>no target<');
  expect(svg).toContain('height="14" fill="#607d8b"/>'); // its bar, in that grey
});
