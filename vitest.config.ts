import { configDefaults, defineConfig } from 'vitest/config';

// Two projects, so a script can say what it runs:
//   unit         in-process tests: no collector, backend, tool or CLI process is started
//                (`npm run test:unit`, seconds);
//   integration  every other test/**/*.test.ts: they start real processes (collectors,
//                VictoriaMetrics, Jaeger, Cassandra, helm, the CLI) and need `scripts/ensure.sh`
//                (`npm run test:integration`). A new suite directory lands here by default.
// The Kubernetes suites (test/k8s/*.k8s.ts, vitest.config.ts there) and the soak
// (test/reliability/*.soak.ts) have configs of their own.
// Files run one at a time: integration suites start real processes on a 2-core machine and
// must not starve each other; tests pick free ports.
const UNIT = ['test/kernel/**/*.test.ts', 'test/eval/**/*.test.ts', 'test/harness/**/*.test.ts'];

export default defineConfig({
  test: {
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 300_000,
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT } },
      { extends: true, test: { name: 'integration', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, ...UNIT] } },
    ],
  },
});
