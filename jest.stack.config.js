/**
 * `npm run test:stack`: the tests that need the production topology running (test/stack/). One
 * `npm run stack` is started for the whole run (test/stack/support/global-setup.ts) and the files run
 * one at a time, in the order the sequencer gives, the last one stopping it with a Ctrl-C.
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/stack'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }] },
  globalSetup: '<rootDir>/test/stack/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/stack/support/global-teardown.ts',
  testSequencer: '<rootDir>/test/stack/support/sequencer.js',
  testTimeout: 240000,
  maxWorkers: 1,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
