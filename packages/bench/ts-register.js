'use strict';
/**
 * Lets plain `node` run the workspace's TypeScript sources with no build and no extra
 * dependency: each `.ts` file is transpiled on require by the installed `typescript` (the repo
 * holds to isolatedModules, so file-by-file transpiling is exact), and `@ws/<pkg>` resolves to
 * `packages/<pkg>/src/index.ts`, as it does for jest and tsc.
 *
 * The one loader for every script that runs sources outside jest: benchmark scripts
 * (`node -r ./packages/bench/ts-register.js script.ts`, or `require` it first) and the child
 * processes of core's tests.
 */
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const ts = require('typescript');

const packagesDir = path.resolve(__dirname, '..');
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const match = /^@ws\/(core|deflate|heartbeat|redis)$/.exec(request);
  if (match) return path.join(packagesDir, match[1], 'src', 'index.ts');
  return resolveFilename.call(this, request, ...rest);
};

require.extensions['.ts'] = (module, filename) => {
  const source = fs.readFileSync(filename, 'utf8');
  const { outputText } = ts.transpileModule(source, {
    fileName: filename,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
      isolatedModules: true,
    },
  });
  module._compile(outputText, filename);
};
