// The whole local pipeline (mirador up) for a short run: real VictoriaMetrics, Jaeger v2 and
// Cassandra, the chart's four collectors (two isolationforest processes), the load generator.
// Asserts: nothing lost or duplicated, trace-derived metrics scored, the key incidents flagged.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPipeline, type Pipeline, type RunReport } from '../../src/pipeline/pipeline.js';
import { vmExport } from '../../src/harness/index.js';

const DURATION_SEC = Number(process.env.MIRADOR_PIPELINE_TEST_SEC ?? 120);

let p: Pipeline;
let report: RunReport;
let runDir: string;

beforeAll(async () => {
  runDir = mkdtempSync(join(tmpdir(), 'mirador-pipeline-'));
  p = await startPipeline({ ports: 'free', runDir, durationSec: DURATION_SEC, seed: 7 });
  await p.loadgen.done;
  report = await p.report(); // the processes stay up for the queries below; afterAll stops them
  // The run's report in the test output: the run directory is removed afterwards (MIRADOR_KEEP_RUN=1 keeps it).
  console.log(readFileSync(report.files.table, 'utf8'));
}, (DURATION_SEC + 240) * 1000);

afterAll(async () => {
  await p?.kill();
  if (runDir && !process.env.MIRADOR_KEEP_RUN) rmSync(runDir, { recursive: true, force: true });
});

describe(`mirador up, ${DURATION_SEC} s run`, () => {
  it('the load generator sent every signal without a failed export', () => {
    expect(report.sent.spans.failed).toBe(0);
    expect(report.sent.metricPoints.failed).toBe(0);
    expect(report.sent.logs.failed).toBe(0);
    expect(report.sent.spans.sent).toBe(report.sent.spans.generated);
    expect(report.sent.logs.sent).toBe(report.sent.logs.generated);
    expect(report.sent.spans.sent).toBeGreaterThan(1000);
  });

  it('stores every span sent in Jaeger exactly once', () => {
    expect(report.stored.spans.duplicates).toBe(0);
    expect(report.stored.spans.spans).toBe(report.sent.spans.sent);
  });

  it('stores every application metric point sent in VictoriaMetrics', () => {
    expect(report.stored.metricPoints.byMetric).toEqual(report.sent.metricPoints.byMetric);
    expect(report.stored.metricPoints.total).toBe(report.sent.metricPoints.sent);
  });

  it('stores every log record sent in Cassandra', () => {
    expect(report.stored.logs).toBe(report.sent.logs.sent);
  });

  it('has RED metrics from spanmetrics and topology metrics from servicegraph, scored by isolationforest', async () => {
    const from = p.loadgen.startedAt.getTime(), to = Date.parse(report.detection.to);
    // the input series stay as they came; each is scored on a companion <metric>_anomaly_score series
    // (stored as ..._anomaly_score_ratio, unit 1) with the same labels plus is_anomaly
    for (const [name, companion] of [['traces_span_metrics_calls_total', 'traces_span_metrics_calls_anomaly_score_ratio'],
      ['traces_span_metrics_duration_milliseconds_count', 'traces_span_metrics_duration_anomaly_score_ratio'],
      ['traces_service_graph_request_total', 'traces_service_graph_request_anomaly_score_ratio']]) {
      const series = await vmExport(p.vm.url, `{__name__="${name}"}`, from, to);
      expect(series.length, name).toBeGreaterThan(0);
      expect(series.filter((s) => 'anomaly_score' in s.metric || 'is_anomaly' in s.metric), `${name} untouched`).toEqual([]);
      const scored = await vmExport(p.vm.url, `{__name__="${companion}"}`, from, to);
      expect(scored.filter((s) => s.metric.is_anomaly !== undefined).length, `${companion} with is_anomaly`).toBeGreaterThan(0);
    }
    const edges = await vmExport(p.vm.url, '{__name__="traces_service_graph_request_total",client="checkout",server="payments"}', from, to);
    expect(edges.length, 'checkout -> payments edge').toBeGreaterThan(0);
  });

  it('flags the latency spike and the error burst; unaffected series stay mostly unflagged', () => {
    const byKind = Object.fromEntries(report.detection.incidents.map((i) => [i.kind, i]));
    expect(byKind.latency_spike.flagged, JSON.stringify(byKind.latency_spike)).toBe(true);
    expect(byKind.error_burst.flagged, JSON.stringify(byKind.error_burst)).toBe(true);
    const fa = report.detection.falseAlarms;
    expect(fa.scoredPoints).toBeGreaterThan(500);
    expect(fa.flaggedFraction, JSON.stringify(fa)).toBeLessThan(0.05);
  });

  it('writes the report as JSON, a table and an HTML plot', async () => {
    expect(JSON.parse(readFileSync(report.files.json, 'utf8')).runId).toBe(report.runId);
    expect(readFileSync(report.files.table, 'utf8')).toContain('latency_spike');
    const html = readFileSync(report.files.html, 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('error_burst');
  });
});
