// Starts a collector (otelcol-mirador or otelcol-peer) with an OTLP/HTTP receiver and one logs
// exporter, on free loopback ports, and reads its own metrics.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePorts } from '../../src/proc/ports.js';
import { startProcess, type ManagedProcess } from '../../src/proc/process.js';
import { waitForTcp } from '../../src/proc/wait.js';

export interface RunningCollector {
  logsUrl: string;
  metricsUrl: string;
  process: ManagedProcess;
  stop(): Promise<void>;
  /** The sum of a metric's samples on the collector's Prometheus endpoint (0 when absent). */
  metric(name: string): Promise<number>;
}

export interface CollectorOptions {
  bin: string;
  runDir: string;
  name: string;
  /** exporter id -> its config; all are in the logs pipeline. */
  exporters: Record<string, unknown>;
  /** extension id -> config (e.g. file_storage for a persistent queue). */
  extensions?: Record<string, unknown>;
  /** Reuse ports across a restart of the same collector. */
  ports?: { otlp: number; metrics: number };
}

export async function startCollector(o: CollectorOptions): Promise<RunningCollector & { ports: { otlp: number; metrics: number } }> {
  const [otlp, metrics] = o.ports ? [o.ports.otlp, o.ports.metrics] : await freePorts(2);
  mkdirSync(o.runDir, { recursive: true });
  const config = {
    extensions: o.extensions ?? {},
    receivers: { otlp: { protocols: { http: { endpoint: `127.0.0.1:${otlp}` } } } },
    exporters: o.exporters,
    service: {
      extensions: Object.keys(o.extensions ?? {}),
      telemetry: {
        logs: { level: 'info' },
        metrics: { level: 'detailed', readers: [{ pull: { exporter: { prometheus: { host: '127.0.0.1', port: metrics } } } }] },
      },
      pipelines: { logs: { receivers: ['otlp'], exporters: Object.keys(o.exporters) } },
    },
  };
  const configFile = join(o.runDir, `${o.name}.yaml`);
  writeFileSync(configFile, stringify(config));
  const proc = startProcess({ name: o.name, cmd: o.bin, args: [`--config=${configFile}`], logFile: join(o.runDir, `${o.name}.log`) });
  const died = proc.exited.then((c) => { throw new Error(`${o.name} exited (${c}) during start-up:\n${proc.tail(30)}`); });
  try {
    await Promise.race([waitForTcp(otlp, '127.0.0.1', 60_000), died]);
  } catch (e) {
    await proc.stop(5_000);
    throw e;
  }
  died.catch(() => undefined);
  const metricsUrl = `http://127.0.0.1:${metrics}/metrics`;
  return {
    ports: { otlp, metrics },
    logsUrl: `http://127.0.0.1:${otlp}/v1/logs`,
    metricsUrl,
    process: proc,
    stop: () => proc.stop(20_000),
    metric: async (name: string) => {
      const text = await (await fetch(metricsUrl)).text();
      let sum = 0;
      for (const line of text.split('\n')) {
        if (line.startsWith(name) && (line[name.length] === '{' || line[name.length] === ' ')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
      }
      return sum;
    },
  };
}
