'use strict';
/**
 * Lets `node -r ./register.js script.ts` run the TypeScript sources as they are, with no build:
 * `.ts` files are transpiled on require by the repository's own `typescript`, and `@ws/*`
 * resolves to `packages/*\/src`, as in the tests.
 */
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const ts = require('typescript');

const packages = path.resolve(__dirname, '../..');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const match = /^@ws\/(core|deflate|heartbeat)$/.exec(request);
  if (match) return path.join(packages, match[1], 'src', 'index.ts');
  return resolve.call(this, request, ...rest);
};

require.extensions['.ts'] = (module, filename) => {
  const source = fs.readFileSync(filename, 'utf8');
  const { outputText } = ts.transpileModule(source, {
    fileName: filename,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  });
  module._compile(outputText, filename);
};
