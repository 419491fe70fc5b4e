import { defineConfig } from 'vitest/config';

// Integration suites start real processes (collectors, backends) on a 2-core machine:
// run files one at a time so they do not starve each other; tests pick free ports.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 300_000,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
