/**
 * Lets a child `node` process run the TypeScript sources directly, as jest does: `.ts` files are
 * transpiled on require (no type check) and `@ws/<pkg>` resolves to `packages/<pkg>/src/index.ts`.
 * Used by child-process.ts for behaviour that cannot be observed inside jest (uncaught errors).
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const ts = require('typescript');

const root = path.resolve(__dirname, '../../../..');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const match = /^@ws\/(core|deflate|heartbeat)$/.exec(request);
  const target = match ? path.join(root, 'packages', match[1], 'src', 'index.ts') : request;
  return resolve.call(this, target, ...rest);
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
