/**
 * Runs a collector binary (build/otelcol-mirador or build/otelcol-peer) as a process from a config
 * object, with health_check, pprof and Prometheus self-telemetry on free loopback ports added.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePorts, startProcess, waitForHttp, type ManagedProcess } from '../../../src/proc/index.js';
import { scrape } from '../../../src/pipeline/stored.js';
import { repoRoot } from '../../../src/pipeline/tools.js';

export const root = repoRoot();
export const binaries = {
  mirador: join(root, 'build/otelcol-mirador'),
  peer: join(root, 'build/otelcol-peer'),
};

export interface CollectorConfig {
  receivers?: Record<string, unknown>;
  processors?: Record<string, unknown>;
  exporters: Record<string, unknown>;
  connectors?: Record<string, unknown>;
  extensions?: Record<string, unknown>;
  /** Extensions to enable besides health_check and pprof (e.g. file_storage). */
  serviceExtensions?: string[];
  pipelines: Record<string, { receivers: string[]; processors?: string[]; exporters: string[] }>;
}

export interface RunningCollector {
  name: string;
  process: ManagedProcess;
  pid: number;
  telemetryUrl: string;
  pprofUrl: string;
  /** Sums per metric family of the collector's own telemetry (otelcol_...). */
  telemetry(): Promise<Map<string, number>>;
  stop(): Promise<void>;
}

/** An OTLP receiver on the given loopback ports (grpc and/or http). */
export function otlpReceiver(p: { grpc?: number; http?: number }): Record<string, unknown> {
  const protocols: Record<string, unknown> = {};
  if (p.grpc) protocols.grpc = { endpoint: `127.0.0.1:${p.grpc}` };
  if (p.http) protocols.http = { endpoint: `127.0.0.1:${p.http}` };
  return { otlp: { protocols } };
}

export async function startCollector(o: { name: string; binary: string; dir: string; config: CollectorConfig; env?: NodeJS.ProcessEnv }): Promise<RunningCollector> {
  const [health, telemetry, pprof] = await freePorts(3);
  const c = o.config;
  const full = { // JSON is YAML
    receivers: c.receivers, processors: c.processors, exporters: c.exporters, connectors: c.connectors,
    extensions: { ...c.extensions, health_check: { endpoint: `127.0.0.1:${health}` }, pprof: { endpoint: `127.0.0.1:${pprof}` } },
    service: {
      extensions: ['health_check', 'pprof', ...(c.serviceExtensions ?? [])],
      telemetry: {
        logs: { level: 'info' },
        metrics: { level: 'detailed', readers: [{ pull: { exporter: { prometheus: { host: '127.0.0.1', port: telemetry } } } }] },
      },
      pipelines: c.pipelines,
    },
  };
  const configFile = join(o.dir, `${o.name}.yaml`);
  writeFileSync(configFile, JSON.stringify(full, null, 1));
  const proc = startProcess({ name: o.name, cmd: o.binary, args: ['--config', configFile], logFile: join(o.dir, `${o.name}.log`), env: o.env });
  const died = proc.exited.then((code) => { throw new Error(`${o.name} exited (${code}) during start-up:\n${proc.tail(30)}`); });
  try {
    await Promise.race([waitForHttp(`http://127.0.0.1:${health}/`, 60_000), died]);
  } catch (e) {
    await proc.stop(2_000);
    throw e;
  }
  died.catch(() => undefined);
  const telemetryUrl = `http://127.0.0.1:${telemetry}/metrics`;
  return {
    name: o.name, process: proc, pid: proc.child.pid!, telemetryUrl, pprofUrl: `http://127.0.0.1:${pprof}/debug/pprof`,
    telemetry: () => scrape(telemetryUrl),
    stop: () => proc.stop(10_000),
  };
}

/**
 * A counting sink: a collector whose OTLP receiver accepts everything and drops it (debug exporter,
 * logging almost nothing); its receiver's accepted-points counter is the end-to-end count.
 */
export function sinkConfig(p: { grpc: number; http?: number }): CollectorConfig {
  return {
    receivers: otlpReceiver(p),
    exporters: { debug: { verbosity: 'basic', sampling_initial: 1, sampling_thereafter: 1_000_000 } },
    pipelines: { metrics: { receivers: ['otlp'], exporters: ['debug'] }, traces: { receivers: ['otlp'], exporters: ['debug'] }, logs: { receivers: ['otlp'], exporters: ['debug'] } },
  };
}

export const metric = (t: Map<string, number>, name: string) => t.get(name) ?? 0;
