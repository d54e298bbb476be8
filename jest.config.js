/** Runs every package's tests from the root; `@ws/*` resolves to sources, so nothing needs a build first. */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/examples', '<rootDir>/test'],
  testMatch: ['**/test/**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }],
  },
  moduleNameMapper: {
    '^@ws/(core|deflate|heartbeat|redis)$': '<rootDir>/packages/$1/src/index.ts',
  },
  testTimeout: 30000,
};
