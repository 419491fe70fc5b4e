// The cassandra_logs exporter's Go integration tests (collector-builder/cassandralogsexporter,
// build tag `integration`) against real Cassandra 5.0.9 and 4.1.10 nodes: repeats stored, own
// retries idempotent, invalid requests dropped by reason without holding up their neighbours,
// invalid UTF-8 repaired, a mismatched table refused at start, the trace_id index on 5.0 and its
// absence on 4.1, and poison records under load. Each Go case prints a "counts:" line.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cassandraInstalled, repoRoot, startCassandra, type RunningCassandra } from '../../src/harness/index.js';

const ROOT = repoRoot();
const MODULE = join(ROOT, 'collector-builder', 'cassandralogsexporter');
const RUN = join(ROOT, '.run', `test-exporter-${process.pid}`);
// Every Go case of integration_test.go; each must run and pass on both nodes.
const CASES = ['TestIntegrationRepeatsAndOwnRetries', 'TestIntegrationInvalidRequests', 'TestIntegrationMismatchedTable',
  'TestIntegrationTraceIndex', 'TestIntegrationPoisonUnderLoad'];

const nodes: Partial<Record<'5.0' | '4.1', RunningCassandra>> = {};
let failed = false;

beforeAll(async () => {
  for (const v of ['5.0', '4.1'] as const) {
    if (!cassandraInstalled(v)) throw new Error(`Cassandra ${v} jars are missing: run \`npm run tools\` (npm test installs them)`);
  }
  rmSync(RUN, { recursive: true, force: true });
  mkdirSync(RUN, { recursive: true });
  // One after the other: two JVMs starting at once on two shared cores take longer than in turn.
  nodes['5.0'] = await startCassandra({ runDir: join(RUN, 'cassandra50'), heapMb: 512, version: '5.0' });
  nodes['4.1'] = await startCassandra({ runDir: join(RUN, 'cassandra41'), heapMb: 512, version: '4.1' });
}, 300_000);

afterAll(async () => {
  await Promise.all(Object.values(nodes).map((n) => n?.stop()));
  if (failed) console.log(`logs of the failed run kept in ${RUN}`);
  else rmSync(RUN, { recursive: true, force: true });
}, 120_000);

function goTest(env: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('go', ['test', '-tags', 'integration', '-race', '-count=1', '-v', '-timeout', '15m', '-run', '^TestIntegration', '.'], {
      cwd: MODULE,
      env: { ...process.env, GOFLAGS: '-buildvcs=false', GOSUMDB: 'off', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

describe('cassandra_logs against real Cassandra 5.0 and 4.1 (Go integration tests)', () => {
  it('stores repeats, retries idempotently, drops what Cassandra can never take, by reason, and nothing else', async () => {
    const { code, out } = await goTest({
      CASSANDRA_ENDPOINT: `${nodes['5.0']!.host}:${nodes['5.0']!.cqlPort}`,
      CASSANDRA41_ENDPOINT: `${nodes['4.1']!.host}:${nodes['4.1']!.cqlPort}`,
    });
    const counts = out.split('\n').filter((l) => l.includes('counts:')).map((l) => l.trim().replace(/^integration_test\.go:\d+: /, ''));
    console.log(counts.join('\n'));
    if (code !== 0) {
      failed = true;
      console.log(out.split('\n').filter((l) => /FAIL|Error|expected|actual|panic|integration_test/.test(l)).slice(0, 80).join('\n'));
    }
    expect(code, 'go test -tags integration').toBe(0);
    // Every case ran on both nodes (a case that did not run would hide a gap).
    for (const name of CASES) {
      for (const v of ['5.0', '4.1']) expect(out, `${name}/${v}`).toMatch(new RegExp(`--- PASS: ${name}/${v.replace('.', '\\.')} `));
    }
    expect(out).not.toMatch(/--- SKIP/);
    expect(counts.length).toBeGreaterThanOrEqual(2 * 9);
  }, 900_000);
});
