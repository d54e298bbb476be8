'use strict';
/**
 * Lets plain `node` run the workspace's TypeScript sources, with no build and no new dependency:
 * each `.ts` file is transpiled on require by the installed `typescript` (isolatedModules holds
 * for the whole repo, so file-by-file transpiling is exact), and `@ws/*` resolves to
 * `packages/*\/src/index.ts` as it does for jest and tsc.
 */
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const ts = require('typescript');

const packagesDir = path.resolve(__dirname, '..', '..');
const aliases = {
  '@ws/core': path.join(packagesDir, 'core', 'src', 'index.ts'),
  '@ws/deflate': path.join(packagesDir, 'deflate', 'src', 'index.ts'),
  '@ws/heartbeat': path.join(packagesDir, 'heartbeat', 'src', 'index.ts'),
};

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  if (Object.prototype.hasOwnProperty.call(aliases, request)) return aliases[request];
  try {
    return resolveFilename.call(this, request, parent, ...rest);
  } catch (error) {
    // Relative imports in the sources omit the `.ts` extension.
    if (parent && (request.startsWith('./') || request.startsWith('../'))) {
      const base = path.resolve(path.dirname(parent.filename), request);
      for (const candidate of [`${base}.ts`, path.join(base, 'index.ts')]) {
        if (fs.existsSync(candidate)) return candidate;
      }
    }
    throw error;
  }
};

require.extensions['.ts'] = function (module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const { outputText } = ts.transpileModule(source, {
    fileName: filename,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
      isolatedModules: true,
      sourceMap: false,
    },
  });
  module._compile(outputText, filename);
};
