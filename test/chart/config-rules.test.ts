// `<component>.config` takes effect or fails the render (README "Collector config"): processors of
// your own join the pipelines of their signals after memory_limiter, otlp/<role> exporters replace a
// backend release-wide, loadbalancing/<target> replaces a route, null removes, health_check stays,
// GOMEMLIMIT follows the memory_limiter rule. Every accepted case is also run through
// `otelcol-mirador validate`.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  COLLECTOR, configs, named, pipelinesWith, podEnv, render, requireCollector, template, validateAll,
  type K8sObject, type RenderOptions,
} from './helm.js';

const run = promisify(execFile);

/** Renders, validates every config with the collector, and returns the parsed configs. */
async function accepted(opts: RenderOptions): Promise<{ objs: K8sObject[]; c: ReturnType<typeof configs> }> {
  const objs = await render(opts);
  expect(await validateAll(objs)).toEqual([]);
  return { objs, c: configs(objs) };
}

async function refused(opts: RenderOptions, message: RegExp): Promise<void> {
  const r = await template(opts);
  expect(r.code, r.stdout.slice(0, 200)).not.toBe(0);
  expect(r.stderr).toMatch(message);
}

const env = (objs: K8sObject[], c: string) =>
  named(objs, 'Deployment', `mirador-${c}`)!.spec.template.spec.containers[0].env as Array<{ name: string; value?: string }>;
const gomemlimit = (objs: K8sObject[], c: string) => env(objs, c).filter((e) => e.name === 'GOMEMLIMIT').map((e) => e.value);

describe('processors of your own join the pipelines of their signals, after memory_limiter', () => {
  it('attributes joins every pipeline of the component, right after memory_limiter, before the chart\'s own processing', async () => {
    const { c } = await accepted({ setJson: {
      'gateway.config.processors.attributes': { actions: [{ key: 'environment', value: 'production', action: 'insert' }] },
      'isolationforest.config.processors.attributes': { actions: [{ key: 'environment', value: 'production', action: 'insert' }] },
    } });
    expect(pipelinesWith(c.gateway, 'processors', 'attributes')).toEqual(Object.keys(c.gateway.service.pipelines).sort());
    for (const p of Object.values<any>(c.gateway.service.pipelines)) expect(p.processors.slice(0, 2)).toEqual(['memory_limiter', 'attributes']);
    expect(c.isolationforest.service.pipelines.metrics.processors).toEqual(['memory_limiter', 'attributes', 'deltatocumulative', 'isolationforest', 'batch']);
    expect(c.isolationforest.processors.attributes.actions[0]).toEqual({ key: 'environment', value: 'production', action: 'insert' });
  });

  it('several join in the alphabetical order of their ids; a pipeline without memory_limiter gets them first', async () => {
    const { c } = await accepted({ setJson: {
      'servicegraph.config.processors': { 'resource/b': { attributes: [{ key: 'b', value: '1', action: 'upsert' }] }, 'resource/a': { attributes: [{ key: 'a', value: '1', action: 'upsert' }] } },
    } });
    expect(c.servicegraph.service.pipelines.traces.processors).toEqual(['memory_limiter', 'resource/a', 'resource/b', 'batch']);
    // the connector-fed metrics pipeline has no memory_limiter
    expect(c.servicegraph.service.pipelines.metrics.processors).toEqual(['resource/a', 'resource/b', 'batch']);
  });

  it('filter and transform join the signals their settings name', async () => {
    const { c } = await accepted({ setJson: {
      'gateway.config.processors': {
        'filter/health': { metrics: { exclude: { match_type: 'regexp', metric_names: ['.*healthz.*'] } } },
        'filter/spans': { traces: { span: ['attributes["http.route"] == "/healthz"'] } },
        'transform/logs': { log_statements: [{ context: 'log', statements: ['set(attributes["x"], "y")'] }] },
      },
    } });
    expect(pipelinesWith(c.gateway, 'processors', 'filter/health')).toEqual(['metrics']);
    expect(pipelinesWith(c.gateway, 'processors', 'filter/spans')).toEqual(['traces', 'traces/store']);
    expect(pipelinesWith(c.gateway, 'processors', 'transform/logs')).toEqual(['logs']);
  });

  it('probabilistic_sampler samples the stored traces only (service graph and span metrics see every span)', async () => {
    const { c } = await accepted({ setJson: { 'gateway.config.processors.probabilistic_sampler': { sampling_percentage: 10 } } });
    expect(pipelinesWith(c.gateway, 'processors', 'probabilistic_sampler')).toEqual(['traces/store']);
    expect(c.gateway.processors.probabilistic_sampler).toEqual({ sampling_percentage: 10 });
    await refused({ set: { 'backends.victoriaTraces.exportedBy': 'servicegraph' }, setJson: { 'gateway.config.processors.probabilistic_sampler': { sampling_percentage: 10 } } },
      /gateway.config.processors.probabilistic_sampler samples the stored traces, but gateway stores none \(backends.victoriaTraces.exportedBy=servicegraph\): define it under servicegraph.config/);
  });

  it('batch/<signal> replaces batch in that signal\'s pipelines', async () => {
    const { c } = await accepted({ setJson: { 'gateway.config.processors.batch/metrics': { timeout: '30s', send_batch_size: 16384 } } });
    expect(c.gateway.service.pipelines.metrics.processors).toEqual(['memory_limiter', 'batch/metrics']);
    expect(c.gateway.service.pipelines.logs.processors).toEqual(['memory_limiter', 'batch']);
    expect(c.gateway.processors['batch/metrics']).toEqual({ timeout: '30s', send_batch_size: 16384 });
    await refused({ setJson: { 'isolationforest.config.processors.batch/traces': { timeout: '1s' } } }, /isolationforest.config.processors.batch\/traces: isolationforest has no traces pipeline with a batch processor to replace/);
    await refused({ setJson: { 'gateway.config.processors.batch/big': { timeout: '1s' } } }, /gateway.config.processors.batch\/big is in no pipeline: name it batch\/traces, batch\/metrics or batch\/logs/);
  });

  it('a processor you list in a pipeline yourself stays where you put it', async () => {
    const { c } = await accepted({ setJson: {
      'gateway.config.processors.attributes': { actions: [{ key: 'k', value: 'v', action: 'insert' }] },
      'gateway.config.service.pipelines.logs.processors': ['memory_limiter', 'batch', 'attributes'],
    } });
    expect(pipelinesWith(c.gateway, 'processors', 'attributes')).toEqual(['logs']);
    expect(c.gateway.service.pipelines.logs.processors).toEqual(['memory_limiter', 'batch', 'attributes']);
  });

  it('a processor whose signals the chart cannot tell, or that the component has no pipeline for, fails naming it', async () => {
    await refused({ setJson: { 'gateway.config.processors.k8sattributes': {} } },
      /gateway.config.processors.k8sattributes is in no pipeline, and the chart cannot tell which signals a k8sattributes processor applies to: list it in gateway.config.service.pipelines.<name>.processors/);
    await refused({ setJson: { 'gateway.config.processors.filter/x': { error_mode: 'ignore' } } }, /gateway.config.processors.filter\/x names no signal/);
    await refused({ setJson: { 'isolationforest.config.processors.filter/spans': { traces: { span: ['true'] } } } }, /isolationforest.config.processors.filter\/spans applies to traces, but isolationforest has no pipeline of that signal/);
  });

  it('the chart\'s signal table matches what each processor type supports in otelcol-mirador', async () => {
    requireCollector();
    const { stdout } = await run(COLLECTOR, ['components'], { env: podEnv() });
    const supported = Object.fromEntries((parse(stdout).processors as Array<{ name: string; stability: Record<string, string> }>)
      .map((p) => [p.name, Object.entries(p.stability).filter(([, s]) => s !== 'Undefined').map(([sig]) => sig)]));
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { CHART } = await import('./helm.js');
    const tpl = readFileSync(join(CHART, 'templates/_config.tpl'), 'utf8');
    const table = parse(tpl.match(/define "mirador.processorSignals" -}}\n([\s\S]*?)\{\{- end -\}\}/)![1]) as Record<string, unknown>;
    expect(Object.keys(table).length).toBeGreaterThan(5);
    for (const [type, rule] of Object.entries(table)) {
      expect(supported[type], `${type} is a processor of otelcol-mirador`).toBeDefined();
      const signals = Array.isArray(rule) ? rule : typeof rule === 'object' ? Object.values(rule as Record<string, string[]>).flat() : rule === 'store' ? ['traces'] : [];
      for (const s of signals as string[]) expect(supported[type], `${type} supports ${s}`).toContain(s);
    }
  });
});

describe('the original chart\'s exporter ids replace the backend of their role', () => {
  it('otlp/logs replaces the logs backend in the gateway\'s logs pipeline, with the chart\'s queue, retry and plain-text default', async () => {
    const { c } = await accepted({ setJson: { 'gateway.config.exporters.otlp/logs': { endpoint: 'logs-adapter:4317' } } });
    expect(c.gateway.service.pipelines.logs.exporters).toEqual(['otlp/logs']);
    expect(c.gateway.exporters.cassandra_logs).toBeUndefined();
    expect(c.gateway.exporters['otlp/logs']).toMatchObject({ endpoint: 'logs-adapter:4317', tls: { insecure: true }, sending_queue: { enabled: true }, retry_on_failure: { enabled: true } });
  });

  it('otlp/metrics defined on servicegraph (as the original README does) is the metrics backend where metrics are written: isolationforest', async () => {
    const { c } = await accepted({ setJson: { 'servicegraph.config.exporters.otlp/metrics': { endpoint: 'victoriametrics:4317' } } });
    expect(c.isolationforest.service.pipelines.metrics.exporters).toEqual(['otlp/metrics']);
    expect(c.isolationforest.exporters['otlp/metrics'].endpoint).toBe('victoriametrics:4317');
    expect(c.isolationforest.exporters['otlp_http/victoriametrics']).toBeUndefined();
    // servicegraph still sends its metrics to isolationforest to be scored
    expect(c.servicegraph.service.pipelines.metrics.exporters).toEqual(['loadbalancing/isolationforest']);
    expect(c.servicegraph.exporters['otlp/metrics']).toBeUndefined();
    // ... unless it sends them directly
    const direct = (await accepted({ set: { 'servicegraph.metricsVia': 'direct' }, setJson: { 'servicegraph.config.exporters.otlp/metrics': { endpoint: 'victoriametrics:4317' } } })).c;
    expect(direct.servicegraph.service.pipelines.metrics.exporters).toEqual(['otlp/metrics']);
  });

  it('otlp/traces is written once, by the trace writer, whichever component defines it', async () => {
    const trace = { endpoint: 'victoriatraces:4317' };
    const { c } = await accepted({ setJson: { 'servicegraph.config.exporters.otlp/traces': trace, 'spanmetrics.config.exporters.otlp/traces': trace } });
    expect(c.gateway.service.pipelines['traces/store'].exporters).toEqual(['otlp/traces']);
    for (const comp of ['servicegraph', 'spanmetrics'] as const) expect(pipelinesWith(c[comp], 'exporters', 'otlp/traces')).toEqual([]);
    await refused({ setJson: { 'servicegraph.config.exporters.otlp/traces': trace, 'spanmetrics.config.exporters.otlp/traces': { endpoint: 'elsewhere:4317' } } },
      /servicegraph.config.exporters.otlp\/traces and spanmetrics.config.exporters.otlp\/traces both define the traces backend, differently/);
    await refused({ set: { 'backends.victoriaTraces.exportedBy': 'none' }, setJson: { 'servicegraph.config.exporters.otlp/traces': trace } },
      /servicegraph.config.exporters.otlp\/traces defines the traces backend, but backends.victoriaTraces.exportedBy=none stores no traces/);
  });

  it('the chart\'s own id merges over the chart\'s settings, release-wide (the seed\'s otlphttp alias too)', async () => {
    const { c } = await accepted({ setJson: { 'gateway.config.exporters.otlp_http/victoriametrics': { metrics_endpoint: 'http://vm-2:8428/opentelemetry/v1/metrics' } }, set: { 'isolationforest.enabled': false } });
    for (const comp of ['gateway', 'servicegraph', 'spanmetrics'] as const) {
      expect(c[comp].exporters['otlp_http/victoriametrics']).toMatchObject({ metrics_endpoint: 'http://vm-2:8428/opentelemetry/v1/metrics', compression: 'gzip' });
    }
    // the seed's name for the OTLP/HTTP exporter, listed in the pipeline as ci/seed-names.yaml does
    const seed = (await accepted({ setJson: {
      'isolationforest.config.exporters.otlphttp/victoriametrics': { metrics_endpoint: 'http://vm-3:8428/opentelemetry/v1/metrics' },
      'isolationforest.config.service.pipelines.metrics.exporters': ['otlphttp/victoriametrics'],
    } })).c;
    expect(seed.isolationforest.service.pipelines.metrics.exporters).toEqual(['otlphttp/victoriametrics']);
    // one metrics backend exporter (the alias replaced the chart's), beside the anomaly events' one
    expect(seed.isolationforest.exporters).toEqual({
      'otlphttp/victoriametrics': expect.objectContaining({ metrics_endpoint: 'http://vm-3:8428/opentelemetry/v1/metrics', sending_queue: expect.anything() }),
      'otlp_grpc/events': expect.anything(),
    });
  });
});

describe('load-balancing exporters of your own', () => {
  it('loadbalancing/<target>-<signal> replaces the chart\'s route to <target> in that signal\'s pipelines, over the chart\'s settings', async () => {
    const { c, objs } = await accepted({ setJson: { 'gateway.config.exporters.loadbalancing/isolationforest-metrics': { routing_key: 'streamID', resolver: { static: { hostnames: ['if-0:4317', 'if-1:4317'] } } } } });
    expect(c.gateway.service.pipelines.metrics.exporters).toEqual(['loadbalancing/isolationforest-metrics']);
    expect(c.gateway.exporters['loadbalancing/isolationforest']).toBeUndefined();
    const lb = c.gateway.exporters['loadbalancing/isolationforest-metrics'];
    expect(lb.resolver).toEqual({ static: { hostnames: ['if-0:4317', 'if-1:4317'] } });
    expect(lb.routing_key).toBe('streamID');
    expect(lb.protocol.otlp.sending_queue.enabled).toBe(true);
    expect(lb.retry_on_failure.enabled).toBe(false);
    // the chart's route to servicegraph and spanmetrics still uses the k8s resolver: the Role stays
    expect(objs.some((o) => o.kind === 'Role' && o.metadata.name === 'mirador-gateway')).toBe(true);
    await refused({ set: { 'isolationforest.enabled': false }, setJson: { 'gateway.config.exporters.loadbalancing/isolationforest-metrics': { routing_key: 'resource' } } },
      /gateway.config.exporters.loadbalancing\/isolationforest-metrics: gateway has no route to isolationforest to replace \(isolationforest.enabled=false\)/);
  });

  it('a resolver of yours replaces the chart\'s (two resolvers would be refused by the exporter)', async () => {
    const { c } = await accepted({ files: [(await import('./helm.js')).LOCAL_PROFILE], setJson: { 'gateway.config.exporters.loadbalancing/servicegraph': { resolver: { dns: { hostname: 'sg-headless', port: '4317' } } } } });
    expect(c.gateway.exporters['loadbalancing/servicegraph'].resolver).toEqual({ dns: { hostname: 'sg-headless', port: '4317' } });
  });

  it('keeps queue and retry per target with backoff, never at the level that splits requests', async () => {
    const { c } = await accepted({});
    for (const comp of ['gateway', 'servicegraph', 'spanmetrics'] as const) {
      for (const [id, e] of Object.entries<any>(c[comp].exporters).filter(([id]) => id.startsWith('loadbalancing/'))) {
        expect(e.retry_on_failure, `${comp} ${id}`).toEqual({ enabled: false });
        expect(e.sending_queue, `${comp} ${id}`).toEqual({ enabled: false });
        expect(e.protocol.otlp.sending_queue.enabled).toBe(true);
        const r = e.protocol.otlp.retry_on_failure;
        expect(r.enabled).toBe(true);
        expect(parseFloat(r.initial_interval)).toBeGreaterThan(0);
        expect(r.multiplier).toBeGreaterThanOrEqual(1);
      }
    }
    await refused({ set: { 'retry.initial_interval': '0s' } }, /retry.initial_interval=0s: retries need a backoff; write a positive duration such as 1s/);
    await refused({ set: { 'retry.max_interval': '500ms' } }, /retry.max_interval=500ms is shorter than retry.initial_interval=1s/);
  });
});

describe('null removes a default cleanly', () => {
  it('an exporter and its pipeline (the issue\'s cassandra_logs and logs)', async () => {
    const { c } = await accepted({ setJson: { 'gateway.config.exporters.cassandra_logs': null, 'gateway.config.service.pipelines.logs': null } });
    expect(c.gateway.exporters.cassandra_logs).toBeUndefined();
    expect(c.gateway.service.pipelines.logs).toBeUndefined();
  });

  it('an exporter alone: it leaves the pipelines, and a pipeline left without exporters goes', async () => {
    const { c } = await accepted({ setJson: { 'gateway.config.exporters.cassandra_logs': null, 'gateway.config.exporters.loadbalancing/spanmetrics': null } });
    expect(c.gateway.service.pipelines.logs).toBeUndefined();
    expect(c.gateway.service.pipelines.traces.exporters).toEqual(['loadbalancing/servicegraph']);
  });

  it('a nested key (the gRPC protocol of the gateway\'s receiver)', async () => {
    const { c } = await accepted({ setJson: { 'gateway.config.receivers.otlp.protocols.grpc': null } });
    expect(c.gateway.receivers.otlp.protocols).toEqual({ http: { endpoint: '${env:MY_POD_IP}:4318' } });
    await refused({ setJson: { 'isolationforest.config.receivers.otlp.protocols.grpc': null } },
      /isolationforest.config.receivers.otlp.protocols.grpc: the load-balancing exporters send OTLP\/gRPC to isolationforest; keep it/);
  });

  it('on a component of your own, null means its defaults (as in a collector config)', async () => {
    const { c } = await accepted({ setJson: { 'gateway.config.extensions.pprof': null } });
    expect(c.gateway.extensions.pprof).toEqual({});
    expect(c.gateway.service.extensions).toEqual(['health_check', 'pprof']);
  });
});

describe('health_check and the probes', () => {
  it('service.extensions of your own keep health_check (the probes need it)', async () => {
    const { c } = await accepted({ setJson: { 'gateway.config.extensions.pprof': {}, 'gateway.config.service.extensions': ['pprof'] } });
    expect(c.gateway.service.extensions).toEqual(['health_check', 'pprof']);
    await refused({ setJson: { 'gateway.config.service.extensions': ['pprof'] } },
      /gateway.config.service.extensions lists pprof, which is not defined: add gateway.config.extensions.pprof \(\{\} for its defaults\)/);
  });

  it('removing health_check or moving its port fails, saying why', async () => {
    await refused({ setJson: { 'gateway.config.extensions.health_check': null } }, /gateway.config.extensions.health_check: null would leave the liveness and readiness probes/);
    await refused({ setJson: { 'gateway.config.extensions.health_check.endpoint': '${env:MY_POD_IP}:9999' } },
      /gateway.config.extensions.health_check.endpoint=\$\{env:MY_POD_IP\}:9999: the probes call port gateway.ports.healthCheck=13133; set gateway.ports.healthCheck instead/);
  });

  it('the probes call the health_check path', async () => {
    const objs = (await accepted({ setJson: { 'spanmetrics.config.extensions.health_check.path': '/health/status' } })).objs;
    const ctr = named(objs, 'Deployment', 'mirador-spanmetrics')!.spec.template.spec.containers[0];
    expect(ctr.readinessProbe.httpGet).toEqual({ path: '/health/status', port: 'health' });
    expect(ctr.livenessProbe.httpGet).toEqual({ path: '/health/status', port: 'health' });
  });
});

describe('components of your own that would do nothing fail the render, naming them', () => {
  for (const [what, setJson, message] of [
    ['an exporter in no pipeline', { 'gateway.config.exporters.debug': { verbosity: 'basic' } },
      /gateway.config.exporters.debug is in no pipeline, so it would do nothing: list it in gateway.config.service.pipelines.<name>.exporters \(a list replaces the chart's: repeat its entries, e.g. logs: \{exporters: \["cassandra_logs","debug"\]\}\)/],
    ['a receiver in no pipeline', { 'gateway.config.receivers.zipkin': {} }, /gateway.config.receivers.zipkin is in no pipeline/],
    ['a connector on one side only', { 'gateway.config.connectors.forward': {}, 'gateway.config.service.pipelines.metrics.exporters': ['loadbalancing/isolationforest', 'forward'] },
      /gateway.config.connectors.forward must be an exporter of one pipeline and a receiver of another; it is only an exporter/],
    ['a pipeline listing what is not defined', { 'gateway.config.service.pipelines.metrics.exporters': ['debg'] },
      /gateway.config.service.pipelines.metrics.exporters lists debg, which is not defined in gateway.config.exporters or connectors/],
    ['a typo in a config section', { 'gateway.config.exporter': {} }, /at '\/gateway\/config': additional properties 'exporter' not allowed/],
  ] as Array<[string, Record<string, unknown>, RegExp]>) {
    it(what, () => refused({ setJson }, message));
  }

  it('the chart README\'s debug example (listed in the metrics pipeline) works', async () => {
    const { c } = await accepted({ setJson: { 'gateway.config.exporters.debug': { verbosity: 'basic' }, 'gateway.config.service.pipelines.metrics': { exporters: ['loadbalancing/isolationforest', 'debug'] } } });
    expect(c.gateway.service.pipelines.metrics.exporters).toEqual(['loadbalancing/isolationforest', 'debug']);
  });
});

describe('GOMEMLIMIT: one value, from the memory limit with the memory_limiter rule', () => {
  const mib = (bytes: number, pct: number) => `${Math.floor((bytes * pct) / 100 / 2 ** 20)}MiB`;

  for (const [quantity, bytes] of [
    ['1e9', 1e9], ['512Mi', 512 * 2 ** 20], ['1G', 1e9], ['1.5Gi', 1.5 * 2 ** 30], ['1000000000', 1e9], ['2048M', 2.048e9], ['8Gi', 8 * 2 ** 30], ['+1Gi', 2 ** 30], ['5e8', 5e8],
  ] as Array<[string, number]>) {
    it(`resources.limits.memory=${quantity}`, async () => {
      const objs = await render({ setString: { 'gateway.resources.limits.memory': quantity } });
      expect(gomemlimit(objs, 'gateway')).toEqual([mib(bytes, 80)]);
    });
  }

  it('a number in a values file (YAML 1e9, 1073741824) is a quantity too', async () => {
    const objs = await render({ setJson: { 'gateway.resources.limits.memory': 1e9, 'isolationforest.resources.limits.memory': 1073741824 } });
    expect(gomemlimit(objs, 'gateway')).toEqual([mib(1e9, 80)]);
    expect(gomemlimit(objs, 'isolationforest')).toEqual([mib(2 ** 30, 80)]);
  });

  it('follows memoryLimiter.limit_percentage, a component\'s own memory_limiter, and limit_mib', async () => {
    const pct = await render({ set: { 'memoryLimiter.limit_percentage': 95 } });
    expect(gomemlimit(pct, 'gateway')).toEqual([mib(2 ** 30, 95)]);
    expect(gomemlimit(pct, 'isolationforest')).toEqual([mib(2 * 2 ** 30, 95)]);
    const own = await render({ set: { 'isolationforest.config.processors.memory_limiter.limit_percentage': 70 } });
    expect(gomemlimit(own, 'isolationforest')).toEqual([mib(2 * 2 ** 30, 70)]);
    expect(gomemlimit(own, 'gateway')).toEqual([mib(2 ** 30, 80)]);
    const fixed = await render({ set: { 'spanmetrics.config.processors.memory_limiter.limit_mib': 300 } });
    expect(gomemlimit(fixed, 'spanmetrics')).toEqual(['300MiB']);
  });

  it('extraEnv overrides it once; a second or malformed value fails, naming the key', async () => {
    const objs = await render({ setJson: { 'gateway.extraEnv': [{ name: 'GOMEMLIMIT', value: '700MiB' }] } });
    expect(gomemlimit(objs, 'gateway')).toEqual(['700MiB']);
    await refused({ setJson: { 'gateway.extraEnv': [{ name: 'GOMEMLIMIT', value: '1Gi' }] } },
      /gateway.extraEnv\[0\]: GOMEMLIMIT=1Gi is not a Go memory limit .*e.g. 1536MiB/);
    await refused({ setJson: { 'gateway.extraEnv': [{ name: 'GOMEMLIMIT', value: '1GiB' }, { name: 'GOMEMLIMIT', value: '2GiB' }] } }, /gateway.extraEnv sets GOMEMLIMIT twice/);
    await refused({ setJson: { 'gateway.extraEnv': [{ name: 'MY_POD_IP', value: '1.2.3.4' }] } }, /gateway.extraEnv\[0\]: MY_POD_IP is set by the chart/);
  });

  it('refuses what Kubernetes would refuse, naming the key', async () => {
    for (const bad of ['1K', '1GB', 'lots', '1.2.3Gi', '-1Gi', '1e3M']) {
      await refused({ setString: { 'gateway.resources.limits.memory': bad } }, new RegExp(`at '/gateway/resources/limits/memory': '${bad.replace(/[.+]/g, '\\$&')}' does not match pattern`));
    }
  });
});
