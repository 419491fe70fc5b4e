// helm lint (default and every option group) and values.schema.json: bad values are rejected with
// one clear message naming the key.
import { describe, expect, it } from 'vitest';
import { CI_VALUES, LOCAL_PROFILE, lint, template, type RenderOptions } from './helm.js';
import { basename } from 'node:path';

describe('helm lint --strict', () => {
  it('passes with the default values', async () => {
    const r = await lint();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('0 chart(s) failed');
  });
  for (const file of [...CI_VALUES, LOCAL_PROFILE]) {
    it(`passes with ${basename(file)}`, async () => {
      const r = await lint({ files: [file] });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      // a template `fail` shows up as an [INFO] line while lint still exits 0
      expect(r.stdout + r.stderr).not.toMatch(/Fail:|\[ERROR\]|\[WARNING\]/);
    });
  }
});

// Each case: values that must be refused, and the message that must name the key.
const rejected: Array<[string, RenderOptions, RegExp]> = [
  ['a typo in a component key', { set: { 'gateway.replicas': 3 } }, /at '\/gateway': additional properties 'replicas' not allowed/],
  ['a typo at the top level', { set: { 'loadbalancing.resolver': 'k8s' } }, /additional properties 'loadbalancing' not allowed/],
  ['a typo in a nested section', { set: { 'backends.victoriaMetrics.url': 'http://x' } }, /at '\/backends\/victoriaMetrics': additional properties 'url' not allowed/],
  ['a string where a count belongs', { setString: { 'isolationforest.replicaCount': 'three' } }, /at '\/isolationforest\/replicaCount': got string, want integer/],
  ['a negative replica count', { set: { 'spanmetrics.replicaCount': -1 } }, /at '\/spanmetrics\/replicaCount': minimum: got -1, want 0/],
  ['an unknown resolver', { set: { 'loadBalancing.resolver': 'dns' } }, /at '\/loadBalancing\/resolver': value must be one of 'k8s', 'static'/],
  ['an unknown trace writer', { set: { 'backends.victoriaTraces.exportedBy': 'both' } }, /at '\/backends\/victoriaTraces\/exportedBy': value must be one of/],
  ['autoscaling on a component without it', { set: { 'servicegraph.autoscaling.enabled': true } }, /at '\/servicegraph': additional properties 'autoscaling' not allowed/],
  ['an unknown processor key', { set: { 'isolationforest.processor.treez': 50 } }, /at '\/isolationforest\/processor': additional properties 'treez' not allowed/],
  ['an out-of-range threshold', { setJson: { 'isolationforest.processor.threshold': 1.5 } }, /at '\/isolationforest\/processor\/threshold': exclusiveMaximum: got 1.5, want 1/],
  ['a seed Helm cannot hold exactly', { setJson: { 'isolationforest.processor.seed': 2 ** 60 } }, /at '\/isolationforest\/processor\/seed': maximum: got/],
  ['an unknown model group', { set: { 'isolationforest.processor.model_group': 'global' } }, /at '\/isolationforest\/processor\/model_group': value must be one of 'metric', 'series'/],
  ['a Cassandra endpoint without port', { set: { 'backends.cassandra.endpoints': '{cassandra}' } }, /at '\/backends\/cassandra\/endpoints\/0': 'cassandra' does not match pattern/],
  ['a TTL that is no duration', { set: { 'backends.cassandra.ttl': '30days' } }, /at '\/backends\/cassandra\/ttl': '30days' does not match pattern/],
  ['an unknown replication class', { set: { 'backends.cassandra.replication.class': 'LocalStrategy' } }, /at '\/backends\/cassandra\/replication\/class': value must be one of/],
  ['a bad image pull policy', { set: { 'gateway.image.pullPolicy': 'Sometimes' } }, /at '\/gateway\/image\/pullPolicy': value must be one of 'Always', 'IfNotPresent', 'Never'/],
  ['a port out of range', { set: { 'spanmetrics.ports.otlpGrpc': 70000 } }, /at '\/spanmetrics\/ports\/otlpGrpc': maximum: got 70,?000, want 65,?535/],
  ['a sampling percentage of 0', { set: { 'sampling.percentage': 0 } }, /at '\/sampling\/percentage': exclusiveMinimum: got 0, want 0/],
  ['a metrics endpoint that is no URL', { set: { 'backends.victoriaMetrics.endpoint': 'victoriametrics:8428' } }, /at '\/backends\/victoriaMetrics\/endpoint': 'victoriametrics:8428' does not match pattern/],
  // the processor values of issue 15 that rendered cleanly and then crash-looped
  ['warmup_points below the processor\'s minimum', { set: { 'isolationforest.processor.warmup_points': 1 } }, /at '\/isolationforest\/processor\/warmup_points': minimum: got 1, want 2/],
  ['a window smaller than the sample', { set: { 'isolationforest.processor.window_size': 100 } },
    /isolationforest.processor.window_size=100 must be at least sample_size=256 \(the default\): raise window_size or lower sample_size \(set in isolationforest.processor or isolationforest.config.processors.isolationforest\)/],
  ['an option the processor does not have (score_cache, since its detection changed)', { setJson: { 'isolationforest.processor.score_cache': 0.0005 } }, /at '\/isolationforest\/processor': additional properties 'score_cache' not allowed/],
  ['a resolve threshold above the threshold', { setJson: { 'isolationforest.processor.resolve_threshold': 0.6 } },
    /isolationforest.processor.threshold=0.5 \(the default\) must be at least resolve_threshold=0.6: raise threshold or lower resolve_threshold/],
  ['a forest too large for a kernel instance', { setJson: { 'isolationforest.processor': { trees: 10000, sample_size: 65536, window_size: 1048576 } } },
    /isolationforest.processor: trees=10000, sample_size=65536, window_size=1048576 make one forest 49192 MiB, more than the 1024 MiB a kernel instance can give one forest: lower trees, sample_size or window_size/],
  ['more trees than the processor allows', { set: { 'isolationforest.processor.trees': 20000 } }, /at '\/isolationforest\/processor\/trees': maximum: got 20,?000, want 10,?000/],
  ['the same limits in config.processors.isolationforest', { set: { 'isolationforest.config.processors.isolationforest.trees': 20000 } },
    /at '\/isolationforest\/config\/processors\/isolationforest': .*maximum: got 20,?000, want 10,?000/s],
  ['a refresh interval over a day', { set: { 'isolationforest.processor.refresh_interval': '25h' } }, /isolationforest.processor.refresh_interval=25h must be between 0s and 24h \(set in isolationforest.processor or isolationforest.config.processors.isolationforest\)/],
  ['a Cassandra TTL in milliseconds', { set: { 'backends.cassandra.ttl': '1500ms' } }, /backends.cassandra.ttl=1500ms must be whole seconds, e.g. 2s \(gateway.config.exporters.cassandra_logs.ttl\)/],
  ['a Cassandra port out of range', { set: { 'backends.cassandra.endpoints': '{cassandra:70000}' } }, /at '\/backends\/cassandra\/endpoints\/0': 'cassandra:70000' does not match pattern/],
  ['a retry without backoff', { set: { 'retry.initial_interval': '0s' } }, /retry.initial_interval=0s: retries need a backoff/],
  // rules across keys, checked by the templates
  ['traces written by a disabled component', { set: { 'backends.victoriaTraces.exportedBy': 'spanmetrics', 'spanmetrics.enabled': false } },
    /backends.victoriaTraces.exportedBy=spanmetrics, but spanmetrics.enabled=false/],
  ['a static resolver without targets', { set: { 'loadBalancing.resolver': 'static' } },
    /loadBalancing.static.(servicegraph|spanmetrics|isolationforest) must list host:port targets when loadBalancing.resolver=static/],
  ['TLS without a Secret', { set: { 'loadBalancing.tls.enabled': true } }, /loadBalancing.tls.enabled=true needs loadBalancing.tls.secretName/],
  ['NetworkTopologyStrategy without datacenters', { set: { 'backends.cassandra.replication.class': 'NetworkTopologyStrategy' } },
    /backends.cassandra.replication.datacenters must map each datacenter/],
  ['an anomaly events endpoint without port', { set: { 'isolationforest.anomalyEvents.endpoint': 'gateway' } }, /at '\/isolationforest\/anomalyEvents\/endpoint': 'gateway' does not match pattern/],
  ['a typo in anomalyEvents', { set: { 'isolationforest.anomalyEvents.enabled': false } }, /at '\/isolationforest\/anomalyEvents': additional properties 'enabled' not allowed/],
  ['a memory limit that is no quantity', { set: { 'gateway.resources.limits.memory': 'lots' } }, /at '\/gateway\/resources\/limits\/memory': 'lots' does not match pattern/],
];

describe('helm package', () => {
  it('packages the chart with its collector subchart, and the package renders the same objects', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { CHART, helm, NAMESPACE, RELEASE } = await import('./helm.js');
    const dir = mkdtempSync(join(tmpdir(), 'mirador-package-'));
    try {
      const p = await helm(['package', CHART, '--destination', dir]);
      expect(p.code, p.stderr).toBe(0);
      const fromPackage = await helm(['template', RELEASE, join(dir, 'mirador-0.1.0.tgz'), '-n', NAMESPACE]);
      const fromDir = await template();
      expect(fromPackage.code, fromPackage.stderr).toBe(0);
      expect(fromPackage.stdout.replace(/^# Source: .*$/gm, '')).toBe(fromDir.stdout.replace(/^# Source: .*$/gm, ''));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('values are validated', () => {
  for (const [what, opts, message] of rejected) {
    it(`rejects ${what}`, async () => {
      const r = await template(opts);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
    });
  }
});

describe('the chart README documents every value', () => {
  it('names each key of values.yaml and of the collector defaults', async () => {
    const { readFileSync } = await import('node:fs');
    const { parse } = await import('yaml');
    const { join } = await import('node:path');
    const { CHART } = await import('./helm.js');
    // inline code spans outside fenced blocks
    const readme = readFileSync(join(CHART, 'README.md'), 'utf8').replace(/```[\s\S]*?```/g, '');
    const documented = new Set([...readme.matchAll(/`([^`]+)`/g)].flatMap((m) => m[1].split(/[\s./=:,{}[\]]+/)));
    const keys = new Set<string>();
    const walk = (v: unknown, skip: boolean) => {
      if (!v || typeof v !== 'object' || Array.isArray(v)) return;
      for (const [k, child] of Object.entries(v)) {
        keys.add(k);
        // free-form maps hold user data, not chart keys
        if (!['config', 'headers', 'labels', 'podAnnotations', 'podLabels', 'nodeSelector', 'affinity', 'volume', 'tls', 'behavior', 'podSecurityContext', 'securityContext', 'resources'].includes(k) && !skip) walk(child, false);
      }
    };
    walk(parse(readFileSync(join(CHART, 'values.yaml'), 'utf8')), false);
    walk(parse(readFileSync(join(CHART, 'charts/collector/values.yaml'), 'utf8')), false);
    const missing = [...keys].filter((k) => !documented.has(k));
    expect(missing).toEqual([]);
  });
});
