'use strict';
/**
 * `pnpm test`: lint, then type-check, then jest. A lint failure does not stop the tests: they
 * still run and report (CI counts them from .jest-results.json), and the exit code says that
 * something failed. A type error does stop them, as before: the suite would not compile.
 * Which checks failed is written to .checks.json for .ci/run to count. The lint is the root
 * package.json's `lint` script, so what CI lints is decided there alone.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const step = (name, command, args, shell = false) => {
  console.log(`\n> ${name}: ${command} ${args.join(' ')}`);
  const { status, error } = spawnSync(command, args, { cwd: root, stdio: 'inherit', shell });
  if (error) console.error(error.message);
  return status === 0;
};

const failed = [];
const { scripts } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
if (!step('lint', scripts.lint, [], true)) failed.push('lint');
if (!step('typecheck', 'tsc', ['-p', 'tsconfig.json'])) failed.push('typecheck');
else if (!step('jest', 'jest', ['--json', '--outputFile=.jest-results.json'])) failed.push('jest');

fs.writeFileSync(path.join(root, '.checks.json'), `${JSON.stringify({ failed })}\n`);
if (failed.length > 0) console.error(`\npnpm test: failed: ${failed.join(', ')}`);
process.exit(failed.length > 0 ? 1 : 0);
