/**
 * Streams the NAB corpus through the built collector as users run it, and reads the processor's
 * verdicts back from the store:
 *
 *   OTLP/HTTP (protobuf) -> otelcol-mirador: otlp receiver -> isolationforest -> otlphttp
 *     -> VictoriaMetrics -> /api/v1/export of every companion score series
 *
 * Each file is its own metric (`nab_<category>_<name>`, so each has its own forest, as NAB judges
 * every file on its own), each point carries the file's own timestamp, and request k holds the k-th
 * point of every file that has one: one point per series per batch, in order, as a collector sees
 * live data. The scores and `is_anomaly` flags of the stored companion series become the detector's
 * rows for evaluate().
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { NabFile } from './corpus.js';
import type { DetectorRows } from './evaluate.js';
import {
  encodeGauges, freePorts, otlpReceiver, postMetrics, startCollector, startVictoriaMetrics, vmExport,
  waitForStoredPoints, type RunningCollector, type RunningVictoriaMetrics,
} from '../../harness/index.js';

export interface StreamOptions {
  /** Where VictoriaMetrics and the collector keep their data and logs. */
  runDir: string;
  /** The isolationforest processor's config block ({} = its defaults). */
  processor?: Record<string, unknown>;
  /** Progress lines (one every few seconds). */
  log?: (line: string) => void;
}

export interface StreamResult {
  rows: Map<string, DetectorRows>;
  /** Points sent, and input points the store holds (every one must arrive). */
  sent: number;
  stored: number;
  seconds: number;
  /** The collector's own count of alarm onsets (it must equal the flags read back). */
  onsets: number;
}

/** The metric name of a file: nab_<category>_<name>, in Prometheus' alphabet. */
export function metricName(file: string): string {
  return `nab_${file.replace(/\.csv$/, '').replace(/[^A-Za-z0-9]+/g, '_')}`;
}

/** Streams the corpus through a collector into a fresh VictoriaMetrics; returns each file's rows. */
export async function streamCorpus(corpus: readonly NabFile[], o: StreamOptions): Promise<StreamResult> {
  const log = o.log ?? (() => undefined);
  mkdirSync(o.runDir, { recursive: true });
  let vm: RunningVictoriaMetrics | undefined;
  let collector: RunningCollector | undefined;
  const began = Date.now();
  try {
    vm = await startVictoriaMetrics({ runDir: o.runDir, retentionPeriod: '100y' }); // NAB's timestamps are 2013-2015
    const [http] = await freePorts(1);
    collector = await startCollector({
      name: 'nab', dir: o.runDir, config: {
        receivers: otlpReceiver({ http }),
        processors: { isolationforest: o.processor ?? {} },
        exporters: { otlp_http: { metrics_endpoint: vm.otlpMetricsUrl, sending_queue: { enabled: false } } },
        pipelines: { metrics: { receivers: ['otlp'], processors: ['isolationforest'], exporters: ['otlp_http'] } },
      },
    });
    const endpoint = `http://127.0.0.1:${http}`;
    const longest = Math.max(...corpus.map((f) => f.values.length));
    let sent = 0;
    let lastLog = Date.now();
    for (let k = 0; k < longest; k++) {
      const metrics = corpus.filter((f) => k < f.values.length).map((f) => ({
        name: metricName(f.name),
        points: [{ attributes: {}, timeUnixNano: BigInt(f.times[k]) * 1_000_000n, value: f.values[k] }],
      }));
      const r = await postMetrics(endpoint, encodeGauges([{ resource: { 'service.name': 'nab' }, metrics }]));
      if (r.status !== 200) throw new Error(`collector refused request ${k}: HTTP ${r.status}: ${r.text}`);
      sent += metrics.length;
      if (Date.now() - lastLog > 5_000) {
        log(`nab: streamed ${sent} of ${corpus.reduce((a, f) => a + f.values.length, 0)} points`);
        lastLog = Date.now();
      }
    }
    const onsets = await collector.metric('otelcol_processor_isolationforest_alarms_total', { transition: 'onset' });
    await collector.stop(); // drains its exporter before exiting
    collector = undefined;

    // Read back: the input series (all must be there) and the companion score series.
    const byName = new Map(corpus.map((f) => [metricName(f.name), f]));
    // the newest samples become searchable a moment after they are written
    const selector = '{__name__=~"nab_.*",__name__!~".*_anomaly_score.*"}';
    const distinct = corpus.reduce((a, f) => a + new Set(f.times).size, 0); // a few files repeat a timestamp
    await waitForStoredPoints(vm.url, selector, distinct, { startMs: 0, endMs: Date.now() + 60_000, timeoutMs: 60_000 });
    const inputs = await vmExport(vm.url, selector, 0, Date.now() + 60_000);
    const stored = inputs.reduce((a, s) => a + s.values.length, 0);
    const storedBy = new Map<string, number>();
    for (const s of inputs) storedBy.set(s.metric.__name__, (storedBy.get(s.metric.__name__) ?? 0) + s.values.length);
    const short = corpus.filter((f) => (storedBy.get(metricName(f.name)) ?? 0) !== f.values.length)
      .map((f) => `${f.name}: ${storedBy.get(metricName(f.name)) ?? 0} of ${f.values.length}`);
    if (short.length) log(`nab: stored counts differ from sent: ${short.join('; ')}`);
    const rows = new Map<string, DetectorRows>();
    for (const f of corpus) rows.set(f.name, { scores: f.values.map(() => null), flags: f.values.map(() => false) });
    for (const s of await vmExport(vm.url, '{__name__=~"nab_.*_anomaly_score.*"}', 0, Date.now() + 60_000)) {
      const base = s.metric.__name__.replace(/_anomaly_score.*$/, '');
      const f = byName.get(base);
      if (!f) throw new Error(`a score series of no file: ${s.metric.__name__}`);
      const r = rows.get(f.name)!;
      const index = new Map(f.times.map((t, i) => [t, i]));
      const anomalous = s.metric.is_anomaly === 'true';
      s.timestamps.forEach((t, j) => {
        const i = index.get(t);
        if (i === undefined) throw new Error(`${f.name}: a score at ${new Date(t).toISOString()}, which the file does not have`);
        r.scores[i] = s.values[j];
        if (anomalous) r.flags[i] = true;
      });
    }
    return { rows, sent, stored, seconds: (Date.now() - began) / 1000, onsets };
  } finally {
    await collector?.stop().catch(() => undefined);
    await vm?.stop().catch(() => undefined);
  }
}
