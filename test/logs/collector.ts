// The logs suite's collector: OTLP/HTTP in, its logs exporters out (src/harness starts it), and
// the ports to restart it on, so senders and the test keep their addresses across a restart.
import { freePort, onePipeline, startCollector as startHarnessCollector, type RunningCollector as HarnessCollector, type SelfPorts } from '../../src/harness/index.js';

export interface LogsCollectorPorts { otlp: number; self: SelfPorts }

export interface RunningCollector extends HarnessCollector {
  /** OTLP/HTTP logs endpoint. */
  logsUrl: string;
  ports: LogsCollectorPorts;
}

export interface CollectorOptions {
  bin: string;
  runDir: string;
  name: string;
  /** exporter id -> its config; all are in the logs pipeline. */
  exporters: Record<string, unknown>;
  /** extension id -> config (e.g. file_storage for a persistent queue). */
  extensions?: Record<string, unknown>;
  /** Reuse the ports of a previous run of the same collector. */
  ports?: LogsCollectorPorts;
}

export async function startCollector(o: CollectorOptions): Promise<RunningCollector> {
  const otlp = o.ports?.otlp ?? await freePort();
  const c = await startHarnessCollector({
    name: o.name, binary: o.bin, dir: o.runDir, selfPorts: o.ports?.self,
    config: onePipeline('logs', { http: otlp }, o.exporters, { extensions: o.extensions }),
  });
  return { ...c, logsUrl: `http://127.0.0.1:${otlp}/v1/logs`, ports: { otlp, self: c.selfPorts! } };
}
