/**
 * Throughput, CPU cost and peak memory of one collector configuration under telemetrygen load:
 * telemetrygen (gRPC, unthrottled) -> collector under test -> OTLP gRPC -> counting sink. The
 * exporter has no sending queue, so the pipeline is synchronous: a point the receiver accepted has
 * been delivered to the sink, and back-pressure slows the senders instead of refusing data. Figures
 * are per input point (the metrics output mode delivers a companion score point besides each
 * scored one: pointsOut).
 */
import { join } from 'node:path';
import {
  cpuSeconds, freePorts, otlpReceiver, otlpTo, peakRss, startCollector, startProcess, toolPath, type CollectorBuild, type CollectorConfig, type Exposition,
} from '../../src/harness/index.js';
import { profileTop } from './profile.js';

export type ConfigName = 'passthrough' | 'ours' | 'ours-attributes' | 'contrib';

export interface Variant {
  name: ConfigName;
  label: string;
  build: CollectorBuild;
  processor?: Record<string, unknown>;
}

export interface ThroughputSample {
  config: ConfigName;
  round: number;
  windowSec: number;
  /**
   * Input points taken in the window: accepted by the collector's receiver (the pipeline is
   * synchronous, so each was delivered to the sink before it was acknowledged). Every per-point
   * figure is per input point.
   */
  pointsSent: number;
  /** Points the collector's exporter delivered in the window: the input plus, in the metrics output mode, one companion score point per scored point. */
  pointsOut?: number;
  pointsPerSec: number;
  refused: number;
  sendFailed: number;
  cpuSec: number;
  cpuSecPerMillion: number;
  /** Cores busy on average in the window (cpuSec / windowSec). */
  cores: number;
  peakRssBytes: number;
  /** Ours only: seconds spent in the kernel's forest_update (model refresh), per million points. */
  modelRefreshSecPerMillion?: number;
  /** Ours only, from the processor's telemetry over the window: what became of the points. */
  processor?: {
    scoredPerPoint: number;
    /** Points passed through unscored, per point, by reason (warmup, duplicate, out_of_order, ...). */
    unscoredPerPoint: Record<string, number>;
    alarmsPerMillion: number;
    refreshesPerMillion: number;
  };
  profile?: string;
}

export interface ThroughputOptions {
  dir: string;
  sinkGrpc: number;
  round: number;
  workers: number;
  batchSize: number;
  warmSec: number;
  windowSec: number;
  /** Take a CPU profile of the window (pprof -top) — only in the last round. */
  profile: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function variantConfig(v: Variant, grpc: number, sinkGrpc: number): CollectorConfig {
  return {
    receivers: otlpReceiver({ grpc }),
    processors: v.processor ? { isolationforest: v.processor } : undefined,
    exporters: { otlp: otlpTo(sinkGrpc, { compression: 'none', sending_queue: { enabled: false } }) },
    pipelines: { metrics: { receivers: ['otlp'], processors: v.processor ? ['isolationforest'] : [], exporters: ['otlp'] } },
  };
}

/** The processor's counters over a window, per point sent. */
function processorFigures(t0: Exposition, t1: Exposition, sent: number): ThroughputSample['processor'] {
  const pre = 'otelcol_processor_isolationforest_';
  if (!t1.has(`${pre}points_scored_total`)) return undefined;
  const d = (name: string, where?: Record<string, string>) => t1.sum(name, where) - t0.sum(name, where);
  const unscored: Record<string, number> = {};
  for (const [reason, n] of t1.sumBy(`${pre}points_unscored_total`, 'reason')) {
    const delta = n - (t0.sumBy(`${pre}points_unscored_total`, 'reason').get(reason) ?? 0);
    if (delta) unscored[reason] = delta / sent;
  }
  const count = t1.names(`${pre}model_refresh_duration`).find((n) => n.endsWith('_count'));
  return {
    scoredPerPoint: d(`${pre}points_scored_total`) / sent, unscoredPerPoint: unscored,
    alarmsPerMillion: (d(`${pre}alarms_total`, { transition: 'onset' }) / sent) * 1e6,
    refreshesPerMillion: count ? (d(count) / sent) * 1e6 : 0,
  };
}

/** Sum of the processor's model-refresh histogram (seconds in forest_update calls). */
function refreshSeconds(t: Exposition): number | undefined {
  const name = t.names('otelcol_processor_isolationforest_model_refresh_duration').find((n) => n.endsWith('_sum'));
  return name === undefined ? undefined : t.sum(name);
}

export async function measureThroughput(v: Variant, o: ThroughputOptions): Promise<ThroughputSample> {
  const [grpc] = await freePorts(1);
  const col = await startCollector({ name: `${v.name}-r${o.round}`, build: v.build, dir: o.dir, config: variantConfig(v, grpc, o.sinkGrpc) });
  const gen = startProcess({
    name: 'telemetrygen', cmd: toolPath('telemetrygen'), logFile: join(o.dir, `telemetrygen-${v.name}-r${o.round}.log`),
    args: ['metrics', '--otlp-endpoint', `127.0.0.1:${grpc}`, '--otlp-insecure', '--workers', String(o.workers), '--rate', '0',
      '--batch-size', String(o.batchSize), '--metric-type', 'Gauge', '--duration', `${o.warmSec + o.windowSec + 30}s`,
      '--interval', '10s', '--allow-export-failures'],
  });
  try {
    await sleep(o.warmSec * 1000);
    const t0 = await col.telemetry(), c0 = cpuSeconds(col.pid), w0 = performance.now();
    const profile = o.profile ? profileTop(col.pprofUrl!, o.windowSec, o.dir, `${v.name}`) : undefined;
    await sleep(o.windowSec * 1000);
    const t1 = await col.telemetry(), c1 = cpuSeconds(col.pid), w1 = performance.now();
    const windowSec = (w1 - w0) / 1000;
    // per input point: the exporter's count would include the companion score points of the metrics output mode
    const sent = t1.sum('otelcol_receiver_accepted_metric_points_total') - t0.sum('otelcol_receiver_accepted_metric_points_total');
    const out = t1.sum('otelcol_exporter_sent_metric_points_total') - t0.sum('otelcol_exporter_sent_metric_points_total');
    const cpu = c1 - c0;
    const [r0, r1] = [refreshSeconds(t0), refreshSeconds(t1)];
    if (gen.child.exitCode !== null) throw new Error(`telemetrygen ended early (${gen.child.exitCode}):\n${gen.tail(20)}`);
    if (sent <= 0) throw new Error(`${v.name}: no points sent in the window:\n${col.process.tail(20)}\n${gen.tail(10)}`);
    return {
      config: v.name, round: o.round, windowSec, pointsSent: sent, pointsOut: out, pointsPerSec: sent / windowSec,
      refused: t1.sum('otelcol_receiver_refused_metric_points_total'),
      sendFailed: t1.sum('otelcol_exporter_send_failed_metric_points_total'),
      cpuSec: cpu, cpuSecPerMillion: (cpu / sent) * 1e6, cores: cpu / windowSec,
      peakRssBytes: peakRss(col.pid),
      modelRefreshSecPerMillion: r1 !== undefined ? ((r1 - (r0 ?? 0)) / sent) * 1e6 : undefined,
      processor: processorFigures(t0, t1, sent),
      profile: profile ? await profile : undefined,
    };
  } finally {
    await gen.stop(2_000);
    await col.stop();
  }
}
