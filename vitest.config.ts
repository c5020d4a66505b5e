import { defineConfig } from 'vitest/config';

// Tests run against TypeScript sources; tests that need real worker threads or
// the real server spawn the compiled JS in dist/ (the test script builds first).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: keep heavy suites from fighting over them.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
