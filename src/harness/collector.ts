/**
 * The one way this project runs a collector as a process: build/otelcol-mirador or
 * build/otelcol-peer with a config object, its health check, Prometheus self-telemetry (and, when
 * the harness writes the config, pprof) on loopback ports, and its own metrics read back.
 *
 * - startCollector: from components and pipelines; health_check, pprof and telemetry are added on
 *   free ports (or the ports of a previous run, to restart a collector where its clients expect it).
 * - launchCollector: from a complete config that already names those endpoints (the chart's
 *   rendered configs of `mirador up`).
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { freePorts } from '../proc/ports.js';
import { startProcess, type ManagedProcess } from '../proc/process.js';
import { buildPath } from '../proc/tools.js';
import { waitForHttp } from '../proc/wait.js';
import { scrape, type Exposition, type LabelFilter } from './prometheus.js';

/** Our distribution, or the peer build with contrib's components (benchmarks compare them). */
export type CollectorBuild = 'mirador' | 'peer';
const BUILD_COMMAND: Record<CollectorBuild, string> = { mirador: 'npm run build:collector', peer: 'npm run build:peer' };

/** build/otelcol-<build>, or an error naming the command that builds it. */
export function collectorBinary(build: CollectorBuild = 'mirador'): string {
  return buildPath(`otelcol-${build}`, BUILD_COMMAND[build]);
}

export interface PipelineSpec { receivers: string[]; processors?: string[]; exporters: string[] }

/** A collector config without its service.extensions and telemetry, which startCollector adds. */
export interface CollectorConfig {
  receivers?: Record<string, unknown>;
  processors?: Record<string, unknown>;
  exporters: Record<string, unknown>;
  connectors?: Record<string, unknown>;
  extensions?: Record<string, unknown>;
  /** Extensions to enable besides health_check and pprof (e.g. file_storage). */
  serviceExtensions?: string[];
  pipelines: Record<string, PipelineSpec>;
}

/** The loopback ports of a collector's own endpoints. */
export interface SelfPorts { health: number; telemetry: number; pprof: number }

export interface RunningCollector {
  name: string;
  process: ManagedProcess;
  pid: number;
  configFile: string;
  healthUrl: string;
  /** Its Prometheus self-telemetry (otelcol_... metrics). */
  telemetryUrl: string;
  /** Base of the pprof endpoints (/profile, /heap), when it has the extension. */
  pprofUrl?: string;
  /** Set by startCollector: pass them to a restart to keep the same endpoints. */
  selfPorts?: SelfPorts;
  telemetry(): Promise<Exposition>;
  /** The sum of one metric's samples in its self-telemetry now (0 when absent). */
  metric(name: string, where?: LabelFilter): Promise<number>;
  running(): boolean;
  /** SIGTERM (the collector drains), SIGKILL after graceMs. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL, as a crash would; resolves once it is gone. */
  kill(): Promise<void>;
}

export interface LaunchOptions {
  name: string;
  /** Which build (default mirador); `binary` names another executable. */
  build?: CollectorBuild;
  binary?: string;
  /** The complete config; written to configFile as YAML. */
  config: Record<string, unknown>;
  configFile: string;
  logFile: string;
  healthUrl: string;
  telemetryUrl: string;
  pprofUrl?: string;
  env?: NodeJS.ProcessEnv;
  /** Default 60 s. */
  startTimeoutMs?: number;
}

/**
 * Writes the config, starts the collector and resolves once its health check answers (every
 * pipeline started). An exit during start-up rejects with the exit code and its log's tail.
 */
export async function launchCollector(o: LaunchOptions): Promise<RunningCollector> {
  const binary = o.binary ?? collectorBinary(o.build);
  mkdirSync(dirname(o.configFile), { recursive: true });
  writeFileSync(o.configFile, stringify(o.config));
  const proc = startProcess({ name: o.name, cmd: binary, args: ['--config', o.configFile], logFile: o.logFile, env: o.env });
  const died = proc.exited.then((code) => {
    throw new Error(`collector ${o.name} exited (${code}) during start-up (config ${o.configFile}):\n${proc.tail(30)}`);
  });
  try {
    await Promise.race([waitForHttp(o.healthUrl, o.startTimeoutMs ?? 60_000), died]);
  } catch (e) {
    await proc.stop(5_000);
    throw e;
  }
  died.catch(() => undefined); // a later exit is the caller's business (stop(), kill() or a test)
  const telemetry = () => scrape(o.telemetryUrl);
  return {
    name: o.name, process: proc, pid: proc.child.pid!, configFile: o.configFile,
    healthUrl: o.healthUrl, telemetryUrl: o.telemetryUrl, pprofUrl: o.pprofUrl,
    telemetry,
    metric: async (name, where) => (await telemetry()).sum(name, where),
    running: () => proc.child.exitCode === null && proc.child.signalCode === null,
    stop: (graceMs = 20_000) => proc.stop(graceMs),
    kill: async () => {
      proc.child.kill('SIGKILL');
      await proc.exited;
    },
  };
}

export interface CollectorStartOptions {
  name: string;
  build?: CollectorBuild;
  binary?: string;
  /** Its config file and log go here: <dir>/<name>.yaml, <dir>/<name>.log. */
  dir: string;
  config: CollectorConfig;
  /** Reuse the endpoints of a previous run (RunningCollector.selfPorts); default free ports. */
  selfPorts?: SelfPorts;
  /** Self-telemetry level, default detailed (per-exporter queue and send figures). */
  telemetryLevel?: 'basic' | 'normal' | 'detailed';
  env?: NodeJS.ProcessEnv;
  startTimeoutMs?: number;
}

/** Runs a collector from components; health_check, pprof and self-telemetry on loopback ports. */
export async function startCollector(o: CollectorStartOptions): Promise<RunningCollector> {
  let ports = o.selfPorts;
  if (!ports) {
    const [health, telemetry, pprof] = await freePorts(3);
    ports = { health, telemetry, pprof };
  }
  const c = o.config;
  const config = {
    receivers: c.receivers, processors: c.processors, exporters: c.exporters, connectors: c.connectors,
    extensions: { ...c.extensions, health_check: { endpoint: `127.0.0.1:${ports.health}` }, pprof: { endpoint: `127.0.0.1:${ports.pprof}` } },
    service: {
      extensions: ['health_check', 'pprof', ...(c.serviceExtensions ?? [])],
      telemetry: {
        logs: { level: 'info' },
        metrics: { level: o.telemetryLevel ?? 'detailed', readers: [{ pull: { exporter: { prometheus: { host: '127.0.0.1', port: ports.telemetry } } } }] },
      },
      pipelines: c.pipelines,
    },
  };
  const running = await launchCollector({
    name: o.name, build: o.build, binary: o.binary, config, env: o.env, startTimeoutMs: o.startTimeoutMs,
    configFile: join(o.dir, `${o.name}.yaml`), logFile: join(o.dir, `${o.name}.log`),
    healthUrl: `http://127.0.0.1:${ports.health}/`, telemetryUrl: `http://127.0.0.1:${ports.telemetry}/metrics`,
    pprofUrl: `http://127.0.0.1:${ports.pprof}/debug/pprof`,
  });
  return { ...running, selfPorts: ports };
}

/** An OTLP receiver on the given loopback ports (grpc and/or http). */
export function otlpReceiver(p: { grpc?: number; http?: number }): Record<string, unknown> {
  const protocols: Record<string, unknown> = {};
  if (p.grpc) protocols.grpc = { endpoint: `127.0.0.1:${p.grpc}` };
  if (p.http) protocols.http = { endpoint: `127.0.0.1:${p.http}` };
  return { otlp: { protocols } };
}

/**
 * A counting sink: a collector whose OTLP receiver accepts everything and drops it (debug exporter,
 * logging almost nothing); its receiver's accepted-points counter is the end-to-end count.
 */
export function sinkConfig(p: { grpc: number; http?: number }): CollectorConfig {
  const drop = { receivers: ['otlp'], exporters: ['debug'] };
  return {
    receivers: otlpReceiver(p),
    exporters: { debug: { verbosity: 'basic', sampling_initial: 1, sampling_thereafter: 1_000_000 } },
    pipelines: { metrics: drop, traces: drop, logs: drop },
  };
}

/** An OTLP exporter to a loopback gRPC port without TLS (a collector chained to another). */
export const otlpTo = (grpcPort: number, extra: Record<string, unknown> = {}) => ({ endpoint: `127.0.0.1:${grpcPort}`, tls: { insecure: true }, ...extra });

/**
 * One pipeline of `signal`: an OTLP receiver on the given ports, the processors in the order
 * given, every exporter given; extensions are enabled too (e.g. file_storage for a queue).
 */
export function onePipeline(signal: 'metrics' | 'traces' | 'logs', otlp: { grpc?: number; http?: number }, exporters: Record<string, unknown>,
  o: { processors?: Record<string, unknown>; extensions?: Record<string, unknown> } = {}): CollectorConfig {
  return {
    receivers: otlpReceiver(otlp),
    processors: o.processors,
    exporters,
    extensions: o.extensions,
    serviceExtensions: Object.keys(o.extensions ?? {}),
    pipelines: { [signal]: { receivers: ['otlp'], processors: Object.keys(o.processors ?? {}), exporters: Object.keys(exporters) } },
  };
}
