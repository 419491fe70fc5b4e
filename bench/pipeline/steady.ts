/**
 * Throughput on a steady input: many series at a steady level with a small periodic wobble (what
 * most metrics look like), as against telemetrygen's input (one series per worker whose value only
 * grows, so nearly every point is a new high the processor's forest is asked about). OTLP/HTTP
 * protobuf (series-load.ts: `series` series over 10 metric names, one point per series per round,
 * each round 1 s of the points' time after the previous) -> the collector under test -> OTLP gRPC
 * (no sending queue) -> counting sink. Per configuration and round: `warmRounds` rounds untimed (the
 * processor's warm-up: every series scored, forests grown), then `rounds` rounds timed: input
 * points/s and CPU seconds of the collector per million input points.
 */
import {
  cpuSeconds, freePorts, otlpReceiver, otlpTo, startCollector, type Exposition,
} from '../../src/harness/index.js';
import { sendRound } from './series-load.js';
import type { ConfigName, Variant } from './throughput.js';

export interface SteadySample {
  config: ConfigName;
  round: number;
  series: number;
  timedRounds: number;
  pointsIn: number;
  pointsOut: number;
  pointsPerSec: number;
  cpuSecPerMillion: number;
  /** Ours only: points scored per input point over the timed rounds. */
  scoredPerPoint?: number;
}

export async function measureSteady(v: Variant, o: { dir: string; sinkGrpc: number; round: number; series: number; warmRounds: number; rounds: number }): Promise<SteadySample> {
  const [http] = await freePorts(1);
  const col = await startCollector({
    name: `steady-${v.name}-r${o.round}`, build: v.build, dir: o.dir, config: {
      receivers: otlpReceiver({ http }),
      processors: v.processor ? { isolationforest: v.processor } : undefined,
      exporters: { otlp: otlpTo(o.sinkGrpc, { compression: 'none', sending_queue: { enabled: false } }) },
      pipelines: { metrics: { receivers: ['otlp'], processors: v.processor ? ['isolationforest'] : [], exporters: ['otlp'] } },
    },
  });
  try {
    const endpoint = `http://127.0.0.1:${http}`;
    const t0 = BigInt(Date.now() - 3_600_000) * 1_000_000n;
    for (let r = 0; r < o.warmRounds; r++) await sendRound({ endpoint, series: o.series, t0 }, r);
    const sum = (t: Exposition, name: string) => t.sum(name);
    const t1 = await col.telemetry(), c1 = cpuSeconds(col.pid), w1 = performance.now();
    for (let r = o.warmRounds; r < o.warmRounds + o.rounds; r++) await sendRound({ endpoint, series: o.series, t0 }, r);
    const t2 = await col.telemetry(), c2 = cpuSeconds(col.pid), w2 = performance.now();
    const d = (name: string) => sum(t2, name) - sum(t1, name);
    const pointsIn = d('otelcol_receiver_accepted_metric_points_total');
    if (pointsIn !== o.series * o.rounds) throw new Error(`${v.name}: ${pointsIn} points accepted in the timed rounds, expected ${o.series * o.rounds}:\n${col.process.tail(20)}`);
    const scored = t2.has('otelcol_processor_isolationforest_points_scored_total') ? d('otelcol_processor_isolationforest_points_scored_total') : undefined;
    return {
      config: v.name, round: o.round, series: o.series, timedRounds: o.rounds, pointsIn,
      pointsOut: d('otelcol_exporter_sent_metric_points_total'), pointsPerSec: pointsIn / ((w2 - w1) / 1000),
      cpuSecPerMillion: ((c2 - c1) / pointsIn) * 1e6, scoredPerPoint: scored === undefined ? undefined : scored / pointsIn,
    };
  } finally {
    await col.stop();
  }
}
