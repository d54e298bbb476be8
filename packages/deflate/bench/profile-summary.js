'use strict';
/**
 * Self time by function of a V8 `.cpuprofile` (what `node --cpu-prof` writes), as a share of
 * the whole profile and of busy time (all but `(idle)`, which on a server pinned to one core is
 * mostly the time zlib's thread pool runs there), top N.
 *
 *   node packages/deflate/bench/profile-summary.js file.cpuprofile [top]
 */
const fs = require('node:fs');
const path = require('node:path');

const file = process.argv[2];
const top = Number(process.argv[3] ?? 25);
const profile = JSON.parse(fs.readFileSync(file, 'utf8'));

const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map();
const deltas = profile.timeDeltas;
let total = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const node = byId.get(profile.samples[i]);
  const { functionName, url, lineNumber } = node.callFrame;
  const key = `${functionName || '(anonymous)'} ${url ? `${path.basename(url)}:${lineNumber + 1}` : ''}`.trim();
  const dt = deltas[i] ?? 0;
  self.set(key, (self.get(key) ?? 0) + dt);
  total += dt;
}
const idle = self.get('(idle)') ?? 0;
const busy = total - idle;
console.log(
  `${path.basename(file)}: ${(total / 1e6).toFixed(2)} s sampled, idle ${((idle / total) * 100).toFixed(1)}%`,
);
console.log('| self time | share of busy | of all |');
console.log('|---|---:|---:|');
for (const [key, time] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  if (key === '(idle)') continue;
  console.log(`| \`${key}\` | ${((time / busy) * 100).toFixed(1)}% | ${((time / total) * 100).toFixed(1)}% |`);
}
