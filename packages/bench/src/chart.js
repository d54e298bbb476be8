'use strict';
// The chart of BENCHMARKS.md and the README, as SVG written by hand (no dependency): per row,
// this library's ratio to ws as a bar from 1.0 on a log scale, the raw ceiling as a diamond, the
// target as a dashed tick. Rows where lower is better (memory, latency) are drawn as ws / ours,
// so right of 1.0 is always better.
const ROW = 24;
const PLOT_WIDTH = 420;
const TOP = 52;
const COLORS = { holds: '#2e7d32', misses: '#d84315', none: '#607d8b', raw: '#212121', one: '#c62828' };

const escape = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const round = (n) => Math.round(n * 10) / 10;

/** Ratios drawn so that higher is better. */
const better = (scenario, ratio) => (ratio === undefined ? undefined : scenario.better === 'lower' ? 1 / ratio : ratio);

function targetOf(scenario) {
  const { target } = scenario;
  if (!target) return undefined;
  return target.min !== undefined ? target.min : 1 / target.max;
}

function renderChart({ scenarios, meta }) {
  const rows = scenarios.filter((s) => s.ratios && s.ratios.ours !== undefined);
  // About 6.2 px per character of 12 px Helvetica: room for the longest name.
  const labelWidth = Math.round(Math.max(200, ...rows.map((s) => s.name.length * 6.2)) + 16);
  const drawn = rows.flatMap((s) => [better(s, s.ratios.ours), better(s, s.ratios.raw), targetOf(s)]);
  const finite = drawn.filter((v) => v !== undefined && Number.isFinite(v) && v > 0);
  const low = Math.min(0.25, 2 ** Math.floor(Math.log2(Math.min(...finite, 1))));
  const high = Math.max(4, 2 ** Math.ceil(Math.log2(Math.max(...finite, 1))));
  const x = (v) =>
    round(
      labelWidth +
        ((Math.log2(Math.min(Math.max(v, low), high)) - Math.log2(low)) / Math.log2(high / low)) * PLOT_WIDTH,
    );
  const width = labelWidth + PLOT_WIDTH + 70;
  const height = TOP + rows.length * ROW + 58;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="10" y="20" font-size="15" font-weight="bold">Ratio to ws (with bufferutil), same run: right of 1.0 is better</text>`,
    `<text x="10" y="38" fill="#555">${escape(`Node ${meta.node}, ${meta.cpuCount} cores, ${meta.date.slice(0, 10)}, commit ${meta.commit}; memory and latency drawn as ws / this library`)}</text>`,
  ];
  for (let tick = low; tick <= high; tick *= 2) {
    out.push(
      `<line x1="${x(tick)}" y1="${TOP - 4}" x2="${x(tick)}" y2="${TOP + rows.length * ROW}" stroke="#e0e0e0"/>`,
    );
    out.push(
      `<text x="${x(tick)}" y="${TOP + rows.length * ROW + 14}" text-anchor="middle" fill="#555">${tick < 1 ? tick : tick.toFixed(0)}x</text>`,
    );
  }
  rows.forEach((s, i) => {
    const y = TOP + i * ROW;
    const ours = better(s, s.ratios.ours);
    const color = s.holds === true ? COLORS.holds : s.holds === false ? COLORS.misses : COLORS.none;
    const [from, to] = ours >= 1 ? [x(1), x(ours)] : [x(ours), x(1)];
    out.push(`<text x="${labelWidth - 8}" y="${y + 16}" text-anchor="end">${escape(s.name)}</text>`);
    out.push(
      `<rect x="${from}" y="${y + 5}" width="${round(Math.max(to - from, 1))}" height="${ROW - 10}" fill="${color}"/>`,
    );
    const target = targetOf(s);
    if (target !== undefined) {
      out.push(
        `<line x1="${x(target)}" y1="${y + 2}" x2="${x(target)}" y2="${y + ROW - 2}" stroke="#000" stroke-dasharray="3,2"/>`,
      );
    }
    const raw = better(s, s.ratios.raw);
    if (raw !== undefined) {
      const cx = x(raw);
      const cy = y + ROW / 2;
      out.push(
        `<path d="M${cx} ${cy - 6} L${cx + 5} ${cy} L${cx} ${cy + 6} L${cx - 5} ${cy} Z" fill="${COLORS.raw}"/>`,
      );
    }
    const labelAt = Math.max(to, raw !== undefined ? x(raw) + 6 : 0, target !== undefined ? x(target) : 0);
    out.push(`<text x="${round(labelAt + 6)}" y="${y + 16}" fill="${color}">${ours.toFixed(2)}x</text>`);
  });
  out.push(
    `<line x1="${x(1)}" y1="${TOP - 8}" x2="${x(1)}" y2="${TOP + rows.length * ROW + 4}" stroke="${COLORS.one}" stroke-width="2"/>`,
  );
  const legendY = height - 18;
  out.push(
    `<rect x="10" y="${legendY - 10}" width="12" height="12" fill="${COLORS.holds}"/><text x="28" y="${legendY}">this library, target holds</text>`,
    `<rect x="190" y="${legendY - 10}" width="12" height="12" fill="${COLORS.misses}"/><text x="208" y="${legendY}">target missed</text>`,
    `<path d="M320 ${legendY - 10} L325 ${legendY - 4} L320 ${legendY + 2} L315 ${legendY - 4} Z" fill="${COLORS.raw}"/><text x="332" y="${legendY}">raw net ceiling</text>`,
    `<line x1="450" y1="${legendY - 10}" x2="450" y2="${legendY + 2}" stroke="#000" stroke-dasharray="3,2"/><text x="458" y="${legendY}">target</text>`,
    `<line x1="520" y1="${legendY - 10}" x2="520" y2="${legendY + 2}" stroke="${COLORS.one}" stroke-width="2"/><text x="528" y="${legendY}">1.0 = ws</text>`,
  );
  // A row the issue sets no target for (64 B binary) is drawn in grey: say so when there is one.
  if (rows.some((s) => s.holds !== true && s.holds !== false)) {
    out.push(
      `<rect x="610" y="${legendY - 10}" width="12" height="12" fill="${COLORS.none}"/><text x="628" y="${legendY}">no target</text>`,
    );
  }
  out.push('</svg>', '');
  return out.join('\n');
}

module.exports = { renderChart };
