/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  testMatch: ['<rootDir>/tests/**/*.test.ts', '<rootDir>/devserver/tests/**/*.test.ts'],
  modulePathIgnorePatterns: ['<rootDir>/data/', '<rootDir>/dist/'],
  // Workflow and API tests run the real worker against the dev server; a few seconds each is normal.
  testTimeout: 60_000,
  // Two cores: more workers than this only makes the Temporal worker tests slower.
  maxWorkers: 2,
};
