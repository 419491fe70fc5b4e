// Checks what `bash scripts/tools.sh` installed: every tool answers with the version pinned in the
// script, the Go tools are static (CGO off) where the images need it, a re-run is a fast no-op, a
// fresh clone on the same machine is filled from the cache, and a failed build is reported clearly.
// `npm test` runs tools.sh before vitest, so everything is expected to be installed here.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const script = join(root, 'scripts/tools.sh');
const bin = (name: string) => join(root, '.tools/bin', name);

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: opts.cwd ?? root, env: { ...process.env, ...opts.env }, timeout: 120_000 });
  if (r.error) throw r.error;
  return r;
}
/** stdout and stderr together: some tools print their version on stderr (victoria-metrics). */
function output(cmd: string, args: string[]): string {
  const r = run(cmd, args);
  expect(r.status, `${cmd} ${args.join(' ')} failed:\n${r.stderr}`).toBe(0);
  return r.stdout + r.stderr;
}

// The pins live in one place, scripts/tools.sh; read them from there.
const scriptText = readFileSync(script, 'utf8');
function pin(variable: string): string {
  const m = new RegExp(`^${variable}=(\\S+)`, 'm').exec(scriptText);
  if (!m) throw new Error(`scripts/tools.sh has no ${variable}=`);
  return m[1];
}

/** The default tool set, `ALL=(...)` in the script. */
const ALL_TOOLS = (/^ALL=\(([^)]*)\)/m.exec(scriptText)?.[1] ?? '').trim().split(/\s+/).filter(Boolean);

/** `go version -m` metadata of a Go binary: its main module, deps and build settings. */
function buildInfo(file: string): string {
  return output('go', ['version', '-m', file]);
}

describe('installed tools report the pinned versions', () => {
  it('ocb', () => {
    expect(output(bin('ocb'), ['version'])).toContain(`ocb version ${pin('OCB_VERSION')}`);
  });

  it('helm, with the Kubernetes version of its client-go for template/lint', () => {
    expect(output(bin('helm'), ['version', '--short']).trim()).toMatch(new RegExp(`^${pin('HELM_VERSION').replaceAll('.', '\\.')}(\\+\\S*)?$`));
    // Without the release ldflags helm assumes Kubernetes v1.20.0; v3.22.0 is built on client-go v0.37.
    const chart = mkdtempSync(join(tmpdir(), 'tools-helm-'));
    try {
      writeFileSync(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: probe\nversion: 0.1.0\n');
      mkdirSync(join(chart, 'templates'));
      writeFileSync(join(chart, 'templates/cm.yaml'),
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: probe}\ndata: {kube: "{{ .Capabilities.KubeVersion.Version }}"}\n');
      expect(output(bin('helm'), ['template', chart])).toContain('kube: "v1.37.0"');
    } finally {
      rmSync(chart, { recursive: true, force: true });
    }
  });

  it('victoria-metrics', () => {
    expect(output(bin('victoria-metrics'), ['-version']).trim()).toBe(`victoria-metrics-${pin('VM_VERSION')}`);
  });

  it('jaeger v2 from the jaeger module pinned in scripts/tools/jaeger/go.mod', () => {
    const r = run(bin('jaeger'), ['version']);
    expect(r.status, r.stderr).toBe(0);
    const v = JSON.parse(r.stdout); // the JSON goes to stdout, a log line to stderr
    expect(v.gitVersion).toBe(pin('JAEGER_VERSION'));
    expect(buildInfo(bin('jaeger'))).toMatch(new RegExp(`(mod|dep)\\s+github\\.com/jaegertracing/jaeger\\s+${pin('JAEGER_MODULE_VERSION')}\\s`));
  });

  it('telemetrygen (it has no version flag: the module version recorded in the binary)', () => {
    expect(output(bin('telemetrygen'), ['--help'])).toContain('Telemetrygen simulates a client');
    expect(buildInfo(bin('telemetrygen'))).toMatch(
      new RegExp(`mod\\s+github\\.com/open-telemetry/opentelemetry-collector-contrib/cmd/telemetrygen\\s+${pin('TELEMETRYGEN_VERSION')}\\s`));
  });

  it('cassandra: the jars in .tools/cassandra/lib are the pinned server', () => {
    const dir = join(root, '.tools/cassandra');
    const jars = readdirSync(join(dir, 'lib')).filter((f) => f.endsWith('.jar'));
    expect(jars).toContain(`cassandra-all-${pin('CASSANDRA_VERSION')}.jar`);
    expect(jars.length).toBeGreaterThanOrEqual(90);
    expect(readdirSync(join(dir, 'conf'))).toContain('logback.xml');
    const v = output('java', ['-cp', `${join(dir, 'conf')}:${join(dir, 'lib')}/*`, 'org.apache.cassandra.tools.GetVersion']);
    expect(v.trim().split('\n').pop()).toBe(pin('CASSANDRA_VERSION'));
  });

  it.each(['helm', 'victoria-metrics', 'jaeger', 'telemetrygen'])(
    '%s is a static binary (CGO_ENABLED=0) for the container images', (name) => {
      expect(buildInfo(bin(name))).toMatch(/build\s+CGO_ENABLED=0/);
    });
});

describe('tools.sh', () => {
  const temps: string[] = [];
  afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

  /** A copy of the tools script and recipes, as a fresh clone would have them. */
  function freshClone(): string {
    const dir = mkdtempSync(join(tmpdir(), 'tools-clone-'));
    temps.push(dir);
    cpSync(join(root, 'scripts/tools.sh'), join(dir, 'scripts/tools.sh'));
    cpSync(join(root, 'scripts/tools'), join(dir, 'scripts/tools'), { recursive: true });
    return dir;
  }

  it('re-run with everything present: every tool "cached", nothing rewritten, in seconds', () => {
    const before = statSync(bin('helm')).mtimeMs;
    const t0 = Date.now();
    const r = run('bash', [script]);
    const ms = Date.now() - t0;
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(ALL_TOOLS.length);
    for (const l of lines) expect(l).toMatch(/ cached$/);
    expect(statSync(bin('helm')).mtimeMs).toBe(before);
    expect(ms).toBeLessThan(5_000);
  });

  it('a fresh clone on the same machine is filled from the cache outside the clone', () => {
    const clone = freshClone();
    const t0 = Date.now();
    const r = run('bash', [join(clone, 'scripts/tools.sh')]);
    const ms = Date.now() - t0;
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('building');
    expect(r.stdout.match(/installed from /g)).toHaveLength(ALL_TOOLS.length);
    expect(output(join(clone, '.tools/bin/ocb'), ['version'])).toContain(pin('OCB_VERSION'));
    expect(readdirSync(join(clone, '.tools/cassandra/lib')).length).toBeGreaterThanOrEqual(90);
    expect(ms).toBeLessThan(20_000);
  });

  it('installs only the tools named', () => {
    const clone = freshClone();
    const r = run('bash', [join(clone, 'scripts/tools.sh'), 'ocb']);
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(join(clone, '.tools/bin'))).toEqual(['ocb']);
  });

  it('a failed build names the tool and the command, shows the log tail and exits non-zero', () => {
    const clone = freshClone();
    writeFileSync(join(clone, 'scripts/tools/jaeger/go.mod'), 'this is not a go.mod\n');
    const cache = mkdtempSync(join(tmpdir(), 'tools-cache-'));
    temps.push(cache);
    const r = run('bash', [join(clone, 'scripts/tools.sh'), 'jaeger'], { env: { MIRADOR_CACHE: cache } });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/jaeger .* FAILED after \d+ s/);
    expect(r.stderr).toContain('jaeger');
    expect(r.stderr).toMatch(/Command:\n\s+.*go build .*cmd\/jaeger/);
    expect(r.stderr).toMatch(/\| .*go\.mod:\d+/); // go's own error, from the log tail
    expect(r.stderr).toContain('tools.sh: failed: jaeger');
  });

  it('has a default set without victoria-logs, which nothing uses', () => {
    expect(ALL_TOOLS).toEqual(expect.arrayContaining(['ocb', 'helm', 'victoria-metrics', 'telemetrygen', 'cassandra', 'jaeger']));
    expect(ALL_TOOLS).not.toContain('victoria-logs');
  });

  it('rejects an unknown name (victoria-logs is no longer a tool) and explains victoria-traces', () => {
    const unknown = run('bash', [script, 'kubectl']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("unknown tool 'kubectl'");
    const vlogs = run('bash', [script, 'victoria-logs']);
    expect(vlogs.status).toBe(2);
    expect(vlogs.stderr).toContain("unknown tool 'victoria-logs'");
    const traces = run('bash', [script, 'victoria-traces']);
    expect(traces.status).toBe(2);
    expect(traces.stderr).toMatch(/victoria-traces cannot be installed.*403.*jaeger/);
  });
});
