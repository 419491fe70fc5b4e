import { defineConfig } from 'vitest/config';

// `npm run test:soak`: the long reliability run (minutes), kept out of the default `npm test`.
export default defineConfig({
  test: {
    include: ['test/reliability/**/*.soak.ts'],
    fileParallelism: false,
    testTimeout: 1_800_000,
    hookTimeout: 300_000,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
