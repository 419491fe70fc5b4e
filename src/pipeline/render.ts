/**
 * The four collector configs of the local pipeline, rendered from the chart itself
 * (`helm template` + profiles/local.yaml + this run's overrides), then split per process:
 * gateway, servicegraph, spanmetrics and two isolationforest processes, so the gateway's
 * static resolver visibly routes series to two scorers.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { repoRoot, toolPath } from '../proc/tools.js';

export const COMPONENTS = ['gateway', 'servicegraph', 'spanmetrics', 'isolationforest'] as const;
export type Component = (typeof COMPONENTS)[number];

export interface CollectorPorts {
  otlpGrpc: number;
  otlpHttp: number;
  metrics: number;
  healthCheck: number;
}

export interface CollectorProcessSpec {
  /** Process name: gateway, servicegraph, spanmetrics, isolationforest-0, isolationforest-1. */
  name: string;
  component: Component;
  ports: CollectorPorts;
  config: Record<string, any>;
}

export interface RenderInput {
  runDir: string;
  /** Ports per process name (see CollectorProcessSpec.name). */
  ports: Record<string, CollectorPorts>;
  vmOtlpMetricsUrl: string;
  jaegerOtlpTracesUrl: string;
  cassandraEndpoint: string; // host:port
  /** spanmetrics / servicegraph flush interval, e.g. "1s" (the chart's 15 s gives too few points for a short run). */
  connectorFlushInterval: string;
  /** Number of isolationforest processes (the chart's replicas, here processes). */
  isolationforestProcesses: number;
  /** Extra isolationforest processor settings (e.g. threshold). */
  isolationforest?: Record<string, unknown>;
}

const RELEASE = 'mirador';
const CONFIG_KEY = 'relay.yaml';

export const ifName = (i: number) => `isolationforest-${i}`;
export const processNames = (ifCount: number) => ['gateway', 'servicegraph', 'spanmetrics', ...Array.from({ length: ifCount }, (_, i) => ifName(i))];

/** The values this run layers over profiles/local.yaml (written to the run directory for reference). */
export function localOverrides(r: RenderInput): Record<string, unknown> {
  const grpc = (name: string) => `127.0.0.1:${r.ports[name].otlpGrpc}`;
  const ifs = Array.from({ length: r.isolationforestProcesses }, (_, i) => grpc(ifName(i)));
  const flush = { metrics_flush_interval: r.connectorFlushInterval };
  return {
    listenHost: '127.0.0.1',
    loadBalancing: { resolver: 'static', static: { servicegraph: [grpc('servicegraph')], spanmetrics: [grpc('spanmetrics')], isolationforest: ifs } },
    backends: {
      victoriaMetrics: { endpoint: r.vmOtlpMetricsUrl },
      victoriaTraces: { endpoint: r.jaegerOtlpTracesUrl },
      cassandra: { endpoints: [r.cassandraEndpoint] },
    },
    gateway: { ports: r.ports.gateway },
    servicegraph: {
      ports: r.ports.servicegraph,
      persistentQueue: { directory: join(r.runDir, 'queue', 'servicegraph') },
      config: { connectors: { servicegraph: { ...flush } } },
    },
    spanmetrics: { ports: r.ports.spanmetrics, config: { connectors: { spanmetrics: { ...flush } } } },
    isolationforest: {
      ports: r.ports[ifName(0)],
      persistentQueue: { directory: join(r.runDir, 'queue', ifName(0)) },
      anomalyEvents: { endpoint: grpc('gateway') },
      ...(r.isolationforest ? { processor: r.isolationforest } : {}),
    },
  };
}

/** Runs helm template and returns the collector config of each component's ConfigMap. */
export function helmTemplate(valuesFiles: string[]): Record<Component, Record<string, any>> {
  const root = repoRoot();
  const args = ['template', RELEASE, join(root, 'charts', 'mirador'), ...valuesFiles.flatMap((f) => ['-f', f])];
  let out: string;
  try {
    out = execFileSync(toolPath('helm'), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`helm template failed (values: ${valuesFiles.join(', ')}): ${err.stderr?.trim() || err.message}`);
  }
  const configs: Partial<Record<Component, Record<string, any>>> = {};
  for (const doc of parseAllDocuments(out)) {
    const m = doc.toJS() as { kind?: string; metadata?: { name?: string }; data?: Record<string, string> } | null;
    if (m?.kind !== 'ConfigMap') continue;
    const component = COMPONENTS.find((c) => m.metadata?.name === `${RELEASE}-${c}`);
    if (component && m.data?.[CONFIG_KEY]) configs[component] = parseAllDocuments(m.data[CONFIG_KEY])[0].toJS();
  }
  for (const c of COMPONENTS) {
    if (!configs[c]) throw new Error(`helm template rendered no ConfigMap ${RELEASE}-${c} with key ${CONFIG_KEY}: is ${c}.enabled false in the values?`);
  }
  return configs as Record<Component, Record<string, any>>;
}

/** Points a copy of the isolationforest config at another process's ports and queue directory. */
export function forIsolationforestProcess(base: Record<string, any>, ports: CollectorPorts, queueDir: string): Record<string, any> {
  const c = structuredClone(base);
  const need = (v: unknown, path: string) => { if (v === undefined) throw new Error(`rendered isolationforest config has no ${path}`); };
  need(c.receivers?.otlp?.protocols, 'receivers.otlp.protocols');
  c.receivers.otlp.protocols.grpc.endpoint = `127.0.0.1:${ports.otlpGrpc}`;
  c.receivers.otlp.protocols.http.endpoint = `127.0.0.1:${ports.otlpHttp}`;
  need(c.extensions?.health_check, 'extensions.health_check');
  c.extensions.health_check.endpoint = `127.0.0.1:${ports.healthCheck}`;
  const prom = c.service?.telemetry?.metrics?.readers?.[0]?.pull?.exporter?.prometheus;
  need(prom, 'service.telemetry.metrics.readers[0].pull.exporter.prometheus');
  prom.port = ports.metrics;
  // each process its own queue: the directory and, when compaction is configured, its scratch
  // directory (left as rendered, two processes would compact in the same place)
  for (const [k, v] of Object.entries<Record<string, any>>(c.extensions)) {
    if (!k.startsWith('file_storage')) continue;
    v.directory = queueDir;
    if (v.compaction?.directory !== undefined) v.compaction.directory = queueDir;
  }
  return c;
}

/** Renders every process's config into runDir/collectors/<name>.yaml and returns the specs. */
export function renderCollectorConfigs(r: RenderInput): CollectorProcessSpec[] {
  const dir = join(r.runDir, 'collectors');
  mkdirSync(dir, { recursive: true });
  const overridesFile = join(dir, 'values.local-run.yaml');
  writeFileSync(overridesFile, `# mirador up: this run's overrides of charts/mirador/profiles/local.yaml\n${stringify(localOverrides(r))}`);
  const rendered = helmTemplate([join(repoRoot(), 'charts', 'mirador', 'profiles', 'local.yaml'), overridesFile]);
  const specs: CollectorProcessSpec[] = [
    { name: 'gateway', component: 'gateway', ports: r.ports.gateway, config: rendered.gateway },
    { name: 'servicegraph', component: 'servicegraph', ports: r.ports.servicegraph, config: rendered.servicegraph },
    { name: 'spanmetrics', component: 'spanmetrics', ports: r.ports.spanmetrics, config: rendered.spanmetrics },
  ];
  for (let i = 0; i < r.isolationforestProcesses; i++) {
    const name = ifName(i);
    const config = i === 0 ? rendered.isolationforest : forIsolationforestProcess(rendered.isolationforest, r.ports[name], join(r.runDir, 'queue', name));
    specs.push({ name, component: 'isolationforest', ports: r.ports[name], config });
  }
  for (const s of specs) writeFileSync(join(dir, `${s.name}.yaml`), stringify(s.config));
  return specs;
}
