'use strict';
/**
 * Lets plain `node` run the workspace's TypeScript sources with no build and no extra
 * dependency: each `.ts` file is transpiled on require by the installed `typescript` (the repo
 * holds to isolatedModules, so file-by-file transpiling is exact), and `@ws/<pkg>` resolves to
 * `packages/<pkg>/src/index.ts`, as it does for jest and tsc.
 *
 * The one loader for every script that runs sources outside jest: benchmark scripts
 * (`node -r ./packages/bench/ts-register.js script.ts`, or `require` it first), the child
 * processes of core's tests, and the workers of examples/cluster. Transpiled output is cached
 * under the OS's temporary directory (see CACHE_DIR).
 */
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const crypto = require('node:crypto');
const os = require('node:os');

// Transpiled files are kept in a cache keyed by TypeScript's version and the file's path and
// text: a process that starts many of them (each worker of examples/cluster, each test child)
// transpiles only what changed, and loads `typescript` itself only then.
const TS_VERSION = require('typescript/package.json').version;
const CACHE_DIR = path.join(os.tmpdir(), `ws-ts-register-${TS_VERSION}`);
let ts = null;

const packagesDir = path.resolve(__dirname, '..');
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const match = /^@ws\/(core|deflate|heartbeat|redis)$/.exec(request);
  if (match) return path.join(packagesDir, match[1], 'src', 'index.ts');
  return resolveFilename.call(this, request, ...rest);
};

function transpile(source, filename) {
  ts ??= require('typescript');
  return ts.transpileModule(source, {
    fileName: filename,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
      isolatedModules: true,
    },
  }).outputText;
}

require.extensions['.ts'] = (module, filename) => {
  const source = fs.readFileSync(filename, 'utf8');
  const key = crypto.createHash('sha256').update(filename).update('\0').update(source).digest('hex');
  const cached = path.join(CACHE_DIR, `${key}.js`);
  let output;
  try {
    output = fs.readFileSync(cached, 'utf8');
  } catch {
    output = transpile(source, filename);
    try {
      // Written aside and renamed: processes starting together never read half a file.
      fs.mkdirSync(CACHE_DIR, { recursive: true });
      const partial = `${cached}.${process.pid}.tmp`;
      fs.writeFileSync(partial, output);
      fs.renameSync(partial, cached);
    } catch {
      // No writable temporary directory: transpile every time.
    }
  }
  module._compile(output, filename);
};
