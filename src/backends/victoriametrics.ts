// Launcher of single-node VictoriaMetrics (metrics store of the local pipeline; OTLP over HTTP
// at /opentelemetry/v1/metrics, vmui at /vmui) on a loopback port, data under the run directory.
import { join, resolve } from 'node:path';
import { assertPortFree, freePort } from '../proc/ports.js';
import { startProcess, type ManagedProcess } from '../proc/process.js';
import { waitForHttp } from '../proc/wait.js';
import { toolPath } from '../proc/tools.js';

export interface VictoriaMetricsOptions {
  runDir: string;
  /** Fixed port (checked free first); default a free port. */
  port?: number;
  /** How long samples are kept, and how old a sample may be to be accepted (default 1d; a replay of old data needs years). */
  retentionPeriod?: string;
  startTimeoutMs?: number;
}

export interface RunningVictoriaMetrics {
  url: string;
  port: number;
  /** Where collectors send OTLP/HTTP metrics (the otlp_http exporter's metrics_endpoint). */
  otlpMetricsUrl: string;
  vmuiUrl: string;
  process: ManagedProcess;
  stop(): Promise<void>;
}

export async function startVictoriaMetrics(o: VictoriaMetricsOptions): Promise<RunningVictoriaMetrics> {
  const bin = toolPath('victoria-metrics');
  const port = o.port ?? (await freePort());
  if (o.port) await assertPortFree(port, 'VictoriaMetrics');
  const dir = resolve(o.runDir);
  const proc = startProcess({
    name: 'victoria-metrics', cmd: bin, logFile: join(dir, 'victoria-metrics.log'),
    args: [
      `-httpListenAddr=127.0.0.1:${port}`,
      `-storageDataPath=${join(dir, 'victoria-metrics-data')}`,
      `-retentionPeriod=${o.retentionPeriod ?? '1d'}`,
      // OTLP names and labels in Prometheus form (http_server_request_duration_seconds_bucket,
      // service_name), so PromQL in vmui needs no quoting.
      '-opentelemetry.usePrometheusNaming',
      // A live dashboard and the report read what was just written: no 30 s visibility delay, no stale cache.
      '-search.latencyOffset=1s',
      '-search.disableCache',
      '-inmemoryDataFlushInterval=1s',
    ],
  });
  const url = `http://127.0.0.1:${port}`;
  const died = proc.exited.then((c) => { throw new Error(`victoria-metrics exited (${c}) during start-up:\n${proc.tail(20)}`); });
  try {
    await Promise.race([waitForHttp(`${url}/health`, o.startTimeoutMs ?? 30_000), died]);
  } catch (e) {
    await proc.stop(5_000);
    throw e;
  }
  died.catch(() => undefined);
  return {
    url, port, process: proc,
    otlpMetricsUrl: `${url}/opentelemetry/v1/metrics`,
    vmuiUrl: `${url}/vmui/`,
    stop: () => proc.stop(10_000),
  };
}
