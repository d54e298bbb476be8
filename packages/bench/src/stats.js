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

function summarize(samples, cpu, serverCpu = []) {
  if (samples.length === 0) return null;
  const summary = {
    samples,
    median: median(samples),
    min: Math.min(...samples),
    max: Math.max(...samples),
    generatorCpu: cpu,
    saturated: cpu.some((share) => share > SATURATED_CPU),
  };
  // Server CPU a message (us), per round, where the row measures it (echo and handshakes).
  if (serverCpu.length > 0) Object.assign(summary, { serverCpu, serverCpuMedian: median(serverCpu) });
  return summary;
}

/** ws's server CPU a message over each implementation's: how many times less CPU it takes (higher is better). */
function cpuRatios(results) {
  const ws = results.ws && results.ws.serverCpuMedian;
  if (!ws) return undefined;
  const ratios = {};
  for (const [impl, result] of Object.entries(results)) {
    if (result && result.serverCpuMedian) ratios[impl] = ws / result.serverCpuMedian;
  }
  return ratios;
}

/** `ratio` is ours / ws for every row, lower-is-better ones included (memory, latency). */
function verdict(target, ratio) {
  if (!target || ratio === undefined || ratio === null) return null;
  if (target.min !== undefined) return ratio >= target.min;
  return ratio <= target.max;
}

module.exports = { median, summarize, verdict, cpuRatios, SATURATED_CPU };
