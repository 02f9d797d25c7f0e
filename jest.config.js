// Three projects, so the edit–test loop runs only what it needs (`npm run test:unit`, …);
// `npm test` runs all three. Global setups are per project and idempotent within a run: the
// datastore starts once, the bundles are built once, and only if a selected project needs them.
const shared = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.(t|j|mj)s$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  // Middy, jose, oauth4webapi, oidc-provider and @oslojs/* are ESM-only: let swc turn them into CommonJS too.
  transformIgnorePatterns: ['/node_modules/(?!(@middy|jose|oidc-provider|oauth4webapi|@oslojs)/)'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  setupFiles: ['<rootDir>/tests/support/env.ts'],
  globalTeardown: '<rootDir>/tests/support/global-teardown.ts',
};

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 30000,
  projects: [
    {
      ...shared,
      displayName: 'unit',
      // Pure library code: no build, no datastore.
      testMatch: ['<rootDir>/tests/unit/**/*.test.ts'],
    },
    {
      ...shared,
      displayName: 'functions',
      // Whole handlers and the datastore protocol, against the run's local datastore; the scripts
      // run with their Lua compacted as the bundles ship it.
      transform: { '^.+\\.(t|j|mj)s$': '<rootDir>/tests/support/lua-transform.cjs' },
      testMatch: ['<rootDir>/tests/functions/**/*.test.ts', '<rootDir>/tests/datastore/**/*.test.ts'],
      globalSetup: '<rootDir>/tests/support/global-setup.ts',
    },
    {
      ...shared,
      displayName: 'slow',
      // The built bundles, other processes, browsers, packaging, load.
      testMatch: ['<rootDir>/tests/{e2e,browser,package,budgets,hostile}/**/*.test.ts'],
      globalSetup: '<rootDir>/tests/support/global-setup-slow.ts',
    },
  ],
};
