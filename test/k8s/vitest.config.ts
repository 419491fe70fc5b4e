import { defineConfig } from 'vitest/config';

// `npm run test:k8s`: suites against the real single-node cluster (scripts/cluster). They run
// as root, change the host's network settings while the cluster runs, and take minutes, so
// they are not picked up by the default vitest config (whose pattern is test/**/*.test.ts):
// scripts/test.sh runs them as the last stage of `npm test`, with this config, and they run
// one file at a time. Each suite starts the cluster when it is not running and leaves it as it
// found it, so their order does not matter.
export default defineConfig({
  test: {
    include: ['test/k8s/**/*.k8s.ts'],
    fileParallelism: false,
    sequence: { concurrent: false },
    testTimeout: 300_000,
    hookTimeout: 900_000,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
