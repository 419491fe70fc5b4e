/**
 * Detection of the load generator's scripted incidents by our processor and contrib's, from the
 * same input at the same time: loadgen (OTel JS SDK, fixed seed) -> a gateway collector (traces ->
 * spanmetrics, so trace-derived metrics are scored too) -> fan-out of every metric to (b) and (c)
 * -> one VictoriaMetrics each -> the project's detection report (src/pipeline/report.ts).
 * contrib writes its score and flag under our attribute names (score_attribute,
 * classification_attribute) so one report reads both; everything else is its default.
 */
import { join } from 'node:path';
import {
  effectiveThreshold, freePorts, otlpReceiver, otlpTo, startCollector, startVictoriaMetrics, type RunningCollector, type RunningVictoriaMetrics,
} from '../../src/harness/index.js';
import { startLoadgen } from '../../src/loadgen/generator.js';
import { detectionReport, formatReport, type DetectionReport } from '../../src/pipeline/report.js';

/** Our processor as configured here: its defaults (the threshold comes from effectiveThreshold). */
const OURS: Record<string, unknown> = {};
export const CONTRIB_THRESHOLD = 0.7; // contrib's default anomaly threshold (contamination_rate drives it)

export interface DetectionResult {
  durationSec: number;
  seed: number;
  pointsSentByLoadgen: number;
  ours: DetectionReport & { pointsReceived: number };
  contrib: DetectionReport & { pointsReceived: number };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runDetection(o: { dir: string; durationSec: number; seed?: number }): Promise<DetectionResult> {
  const seed = o.seed ?? 1;
  const started: (RunningCollector | RunningVictoriaMetrics)[] = [];
  try {
    const vms = { ours: await startVictoriaMetrics({ runDir: join(o.dir, 'vm-ours') }), contrib: await startVictoriaMetrics({ runDir: join(o.dir, 'vm-contrib') }) };
    started.push(vms.ours, vms.contrib);
    const [oursGrpc, contribGrpc, gatewayHttp] = await freePorts(3);
    const scorer = async (name: 'ours' | 'contrib', grpc: number, build: 'mirador' | 'peer', processor: Record<string, unknown>) => {
      const c = await startCollector({
        name: `detect-${name}`, build, dir: o.dir, config: {
          receivers: otlpReceiver({ grpc }), processors: { isolationforest: processor },
          exporters: { otlphttp: { metrics_endpoint: vms[name].otlpMetricsUrl } },
          pipelines: { metrics: { receivers: ['otlp'], processors: ['isolationforest'], exporters: ['otlphttp'] } },
        },
      });
      started.push(c);
      return c;
    };
    const ours = await scorer('ours', oursGrpc, 'mirador', OURS);
    const contrib = await scorer('contrib', contribGrpc, 'peer', { score_attribute: 'anomaly_score', classification_attribute: 'is_anomaly' });
    const gateway = await startCollector({
      name: 'detect-gateway', dir: o.dir, config: {
        receivers: otlpReceiver({ http: gatewayHttp }),
        connectors: { spanmetrics: { namespace: 'traces.span.metrics', metrics_flush_interval: '1s' } },
        exporters: { 'otlp/ours': otlpTo(oursGrpc), 'otlp/contrib': otlpTo(contribGrpc), debug: { verbosity: 'basic', sampling_thereafter: 1_000_000 } },
        pipelines: {
          traces: { receivers: ['otlp'], exporters: ['spanmetrics'] },
          logs: { receivers: ['otlp'], exporters: ['debug'] },
          metrics: { receivers: ['otlp', 'spanmetrics'], exporters: ['otlp/ours', 'otlp/contrib'] },
        },
      },
    });
    started.push(gateway);

    console.log(`detection: loadgen seed ${seed} for ${o.durationSec} s -> gateway -> ours and contrib (same input)`);
    const lg = startLoadgen({ endpoint: `http://127.0.0.1:${gatewayHttp}`, seed, durationSec: o.durationSec, cycleSec: o.durationSec, metricIntervalMs: 1000 });
    const counts = await lg.done;
    await sleep(5_000); // let the last exports land (spanmetrics flushes every second)
    const endMs = Date.now();
    const report = async (name: 'ours' | 'contrib', c: RunningCollector, threshold: number) => {
      const r = await detectionReport({ vmUrl: vms[name].url, loadgenStart: lg.startedAt, endMs, incidents: lg.incidents(), threshold });
      console.log(`\n[${name}]\n${formatReport(r.report)}`);
      return { ...r.report, pointsReceived: await c.metric('otelcol_receiver_accepted_metric_points_total') };
    };
    return {
      durationSec: o.durationSec, seed, pointsSentByLoadgen: counts.metricPoints.sent,
      ours: await report('ours', ours, effectiveThreshold(OURS)), contrib: await report('contrib', contrib, CONTRIB_THRESHOLD),
    };
  } finally {
    for (const s of started.reverse()) await s.stop().catch(() => undefined);
  }
}
