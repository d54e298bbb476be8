// One lint configuration for the whole workspace. TypeScript is linted with type information
// (typescript-eslint's type-checked rules, one program from the root tsconfig.json), so the
// rules below see what the compiler sees: promises nobody awaits, `any` leaking out of an API.
// Formatting is Prettier's (`pnpm format`); eslint-config-prettier turns off the rules it owns.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores(['**/node_modules/', '**/dist/', 'docs/api/', 'coverage/']),
  js.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mts', '**/*.cts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        project: ['./tsconfig.json', './packages/*/bench/tsconfig.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // Real defects: a rejected promise nobody handles, a promise where a callback's result
      // is ignored, an expression whose result is dropped, a value that is never awaited.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-expressions': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      // Header and text validation matches control characters on purpose (RFC 7230 §3.2).
      'no-control-regex': 'off',
    },
  },
  {
    // The published surface: no `any` in it, and exported functions say what they return.
    files: ['packages/*/src/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/explicit-module-boundary-types': 'error',
    },
  },
  {
    // Test and benchmark code reads JSON and fixtures of its own making, and hands methods to
    // expect() (`expect(socket.write).toHaveBeenCalled()`), which is not an unbound call.
    files: ['**/test/**/*.ts', '**/bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/unbound-method': 'off',
      // `String(data)` of a ws client's message (a Buffer in practice, typed as three kinds).
      '@typescript-eslint/no-base-to-string': 'off',
    },
  },
  {
    // Compiled by the consumer test inside its own project, against the packed packages.
    files: ['test/consumer/fixtures/**'],
    extends: [tseslint.configs.disableTypeChecked],
    // `import x = require()` is the CommonJS form the .cts consumer exists to check.
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // eventemitter3's `on(event, method, this)`: the context travels beside the method, which
    // keeps one listener per server instead of a closure per connection; the rule cannot see it.
    files: ['packages/heartbeat/src/heartbeat.ts'],
    rules: { '@typescript-eslint/unbound-method': 'off' },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module', globals: globals.node },
  },
  {
    files: ['examples/chat/public/**/*.js'],
    languageOptions: { sourceType: 'script', globals: globals.browser },
  },
  prettier,
);
