'use strict';
/**
 * Our packages as the bench's processes load them: each package's built `dist/`, as a user
 * runs it. The TypeScript sources through `ts-register.js` cost the server's heap the loader's
 * own work at start-up, which V8 answered by growing the young generation to twice the size it
 * has from `dist/`: half as many scavenges, each sweeping twice as many of Node's per-read
 * ArrayBuffers, so the latency row's tail was the loader's (session 12: scavenges in 6 s at
 * 20,000 msg/s, 42 of 0.68 ms from the sources against 81 of 0.41 ms from `dist/`).
 *
 * `build(root)` compiles them first (run.js and row-cpu.js call it, about 8 s);
 * BENCH_SOURCES=1 loads the sources instead, with no build, to try a change quickly.
 */
const path = require('node:path');
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');

const FROM_SOURCES = process.env.BENCH_SOURCES === '1';
/** What a server or client of the bench loads: core and the plugins its rows use. */
const PACKAGES = ['core', 'deflate', 'redis'];
const packagesDir = path.resolve(__dirname, '../..');

if (FROM_SOURCES) require('../ts-register');

/** `@ws/<name>`, built (its package's `main`) or, with BENCH_SOURCES=1, from its sources. */
function ours(name) {
  if (FROM_SOURCES) return require(`@ws/${name}`);
  const dir = path.join(packagesDir, name);
  const main = path.join(dir, JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).main);
  if (!fs.existsSync(main)) throw new Error(`${main} is missing: run \`pnpm build\` first (pnpm bench builds)`);
  return require(dir);
}

/** Compiles the packages of the checkout at `root` to their `dist/` (nothing with BENCH_SOURCES=1). */
function build(root = path.resolve(packagesDir, '..')) {
  if (FROM_SOURCES) return;
  const tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
  for (const name of PACKAGES) {
    execFileSync(process.execPath, [tsc, '-p', path.join(root, 'packages', name, 'tsconfig.build.json')], {
      stdio: 'inherit',
    });
  }
}

module.exports = { ours, build, FROM_SOURCES };
