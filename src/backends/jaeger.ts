// Launcher of Jaeger v2 (traces store of the local pipeline: VictoriaTraces cannot be installed
// here: docs/architecture.md), in-memory storage, every listener on a loopback port of our choosing.
import { writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { assertPortFree, freePorts } from '../proc/ports.js';
import { startProcess, type ManagedProcess } from '../proc/process.js';
import { waitForHttp } from '../proc/wait.js';
import { toolPath } from '../proc/tools.js';

export interface JaegerOptions {
  runDir: string;
  /** Fixed query/UI port (checked free first); default a free port. */
  queryPort?: number;
  /** In-memory trace limit; older traces are evicted beyond it. */
  maxTraces?: number;
  startTimeoutMs?: number;
}

export interface RunningJaeger {
  /** Query API and UI, e.g. http://127.0.0.1:16686 (HTTP API under /api). */
  queryUrl: string;
  /** OTLP/HTTP traces endpoint (the otlp_http exporter's traces_endpoint). */
  otlpTracesUrl: string;
  /** OTLP/HTTP base URL (for exporters that append /v1/traces themselves). */
  otlpHttpUrl: string;
  healthUrl: string;
  /** Jaeger's own Prometheus metrics (otelcol_exporter_sent_spans_total etc.). */
  metricsUrl: string;
  process: ManagedProcess;
  stop(): Promise<void>;
}

/** The all-in-one configuration of Jaeger v2 (an OpenTelemetry collector) narrowed to what we use. */
export function jaegerConfig(p: { otlpHttp: number; query: number; queryGrpc: number; health: number; metrics: number; maxTraces: number }) {
  const at = (port: number) => `127.0.0.1:${port}`;
  return {
    service: {
      extensions: ['jaeger_storage', 'jaeger_query', 'healthcheckv2'],
      pipelines: { traces: { receivers: ['otlp'], processors: ['batch'], exporters: ['jaeger_storage_exporter'] } },
      // Own metrics on a free port (its default :8888 would collide with a collector's): the live
      // summary reads the spans it stored from them instead of re-reading every trace.
      telemetry: {
        metrics: { level: 'basic', readers: [{ pull: { exporter: { prometheus: { host: '127.0.0.1', port: p.metrics } } } }] },
        logs: { level: 'info' },
      },
    },
    extensions: {
      jaeger_storage: { backends: { memstore: { memory: { max_traces: p.maxTraces } } } },
      // enable_tracing off: Jaeger's own query spans would otherwise land among the counted ones.
      jaeger_query: { storage: { traces: 'memstore' }, enable_tracing: false, http: { endpoint: at(p.query) }, grpc: { endpoint: at(p.queryGrpc) } },
      healthcheckv2: { use_v2: true, http: { endpoint: at(p.health) } },
    },
    receivers: { otlp: { protocols: { http: { endpoint: at(p.otlpHttp) } } } },
    processors: { batch: {} },
    exporters: { jaeger_storage_exporter: { trace_storage: 'memstore' } },
  };
}

export async function startJaeger(o: JaegerOptions): Promise<RunningJaeger> {
  const bin = toolPath('jaeger');
  const [otlpHttp, queryFree, queryGrpc, health, metrics] = await freePorts(5);
  const query = o.queryPort ?? queryFree;
  if (o.queryPort) await assertPortFree(query, 'Jaeger query/UI');
  const dir = resolve(o.runDir);
  mkdirSync(dir, { recursive: true });
  const configFile = join(dir, 'jaeger.yaml');
  writeFileSync(configFile, stringify(jaegerConfig({ otlpHttp, query, queryGrpc, health, metrics, maxTraces: o.maxTraces ?? 1_000_000 })));
  const proc = startProcess({ name: 'jaeger', cmd: bin, args: ['--config', configFile], logFile: join(dir, 'jaeger.log') });
  const healthUrl = `http://127.0.0.1:${health}/status`;
  const died = proc.exited.then((c) => { throw new Error(`jaeger exited (${c}) during start-up:\n${proc.tail(20)}`); });
  try {
    await Promise.race([waitForHttp(healthUrl, o.startTimeoutMs ?? 60_000), died]);
    await Promise.race([waitForHttp(`http://127.0.0.1:${query}/api/services`, o.startTimeoutMs ?? 60_000), died]);
  } catch (e) {
    await proc.stop(5_000);
    throw e;
  }
  died.catch(() => undefined);
  return {
    queryUrl: `http://127.0.0.1:${query}`,
    otlpHttpUrl: `http://127.0.0.1:${otlpHttp}`,
    otlpTracesUrl: `http://127.0.0.1:${otlpHttp}/v1/traces`,
    healthUrl, process: proc, metricsUrl: `http://127.0.0.1:${metrics}/metrics`,
    stop: () => proc.stop(10_000),
  };
}
