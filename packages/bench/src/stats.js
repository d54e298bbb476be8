'use strict';
// Summaries of a row: median, min, max per implementation, the ratio of medians to ws, and
// whether the row's target holds.
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** Generator CPU above this share of its core: it, not the server, may have set the pace. */
const SATURATED_CPU = 0.9;

function summarize(samples, cpu) {
  if (samples.length === 0) return null;
  return {
    samples,
    median: median(samples),
    min: Math.min(...samples),
    max: Math.max(...samples),
    generatorCpu: cpu,
    saturated: cpu.some((share) => share > SATURATED_CPU),
  };
}

/** `ratio` is ours / ws for every row, lower-is-better ones included (memory, latency). */
function verdict(target, ratio) {
  if (!target || ratio === undefined || ratio === null) return null;
  if (target.min !== undefined) return ratio >= target.min;
  return ratio <= target.max;
}

module.exports = { median, summarize, verdict, SATURATED_CPU };
