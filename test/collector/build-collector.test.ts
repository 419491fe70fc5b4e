// scripts/build-collector.sh builds every component of the manifest or nothing: a module of ours
// that does not compile (here cassandra_logs, the chart's default logs exporter) fails the build
// with the compiler's message and leaves no binary, instead of a distribution without it.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, toolPath } from '../../src/harness/index.js';

const root = repoRoot();
const work = mkdtempSync(join(tmpdir(), 'mirador-build-collector-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('scripts/build-collector.sh', () => {
  it('fails, naming the component and the compile error, when cassandra_logs does not compile', () => {
    // A copy of what the script reads, as a clone would have it, with one broken file.
    mkdirSync(join(work, 'scripts'));
    cpSync(join(root, 'scripts/build-collector.sh'), join(work, 'scripts/build-collector.sh'));
    cpSync(join(root, 'collector-builder'), join(work, 'collector-builder'), { recursive: true });
    mkdirSync(join(work, 'build'));
    cpSync(join(root, 'build/isolation_forest.wasm'), join(work, 'build/isolation_forest.wasm'));
    mkdirSync(join(work, '.tools/bin'), { recursive: true });
    symlinkSync(toolPath('ocb'), join(work, '.tools/bin/ocb'));
    writeFileSync(join(work, 'collector-builder/cassandralogsexporter/zz_broken.go'), 'package cassandralogsexporter\n\nvar _ = notDefinedAnywhere\n');

    const r = spawnSync('bash', [join(work, 'scripts/build-collector.sh')], { cwd: work, encoding: 'utf8', timeout: 300_000 });
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toContain('undefined: notDefinedAnywhere');
    expect(r.stderr).toContain('build-collector.sh: collector-builder/cassandralogsexporter does not compile');
    expect(r.stderr).toContain('build/otelcol-mirador is NOT built');
    expect(r.stdout + r.stderr).not.toMatch(/WITHOUT|WARNING/);
    expect(existsSync(join(work, 'build/otelcol-mirador'))).toBe(false);
  }, 300_000);
});
