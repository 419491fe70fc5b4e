// The whole local pipeline (mirador up) for a short run: real VictoriaMetrics, Jaeger v2 and
// Cassandra, the chart's four collectors (two isolationforest processes), the load generator.
// Asserts: nothing lost or duplicated, trace-derived metrics scored, the key incidents flagged,
// and the anomaly events: one onset and one resolve for the latency spike's series, with a stored
// trace of the slow call, and one onset event per alarm episode of the run (also as
// `mirador anomalies` lists them).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPipeline, type Pipeline, type RunReport } from '../../src/pipeline/pipeline.js';
import { vmExport } from '../../src/harness/index.js';
import type { EpisodeListing, LinkedEpisode } from '../../src/anomalies/index.js';
import { EFFECT } from '../../src/loadgen/scenario.js';
import { CHARGE } from '../../src/loadgen/shop.js';

// One 150 s incident cycle (the latency spike at +53..+68 s), then 30 s of quiet: the spike's
// episode resolves after 50 calm points, 83-84 s after its onset in the runs of 2026-11-30
// (about +136 s here). A 120 s cycle left it 22 s of margin, and one run ended with the episode
// still open.
const CYCLE_SEC = 150;
const DURATION_SEC = Number(process.env.MIRADOR_PIPELINE_TEST_SEC ?? CYCLE_SEC + 30);

let p: Pipeline;
let report: RunReport;
let runDir: string;

beforeAll(async () => {
  runDir = mkdtempSync(join(tmpdir(), 'mirador-pipeline-'));
  p = await startPipeline({ ports: 'free', runDir, durationSec: DURATION_SEC, cycleSec: CYCLE_SEC, seed: 7 });
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
    // The input series stay as they came; each is scored on a companion `<metric>_anomaly_score`
    // (stored as ..._anomaly_score_ratio, unit 1) with the same labels plus is_anomaly. The service
    // graph's counter is named traces_service_graph_request_total already in OTLP, so its companion keeps the _total.
    const scoredBy: Record<string, string> = {
      traces_span_metrics_calls_total: 'traces_span_metrics_calls_anomaly_score_ratio',
      traces_span_metrics_duration_milliseconds_count: 'traces_span_metrics_duration_anomaly_score_ratio',
      traces_service_graph_request_total: 'traces_service_graph_request_total_anomaly_score_ratio',
    };
    for (const [name, companion] of Object.entries(scoredBy)) {
      const series = await vmExport(p.vm.url, `{__name__="${name}"}`, from, to);
      expect(series.length, name).toBeGreaterThan(0);
      expect(series.filter((s) => 'anomaly_score' in s.metric || 'is_anomaly' in s.metric), `${name} untouched`).toEqual([]);
      const scores = await vmExport(p.vm.url, `{__name__="${companion}"}`, from, to);
      expect(scores.filter((s) => s.metric.is_anomaly !== undefined).length, `${companion} with is_anomaly`).toBeGreaterThan(0);
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

/** The spanmetrics duration of payments' own POST /charge (the call the latency spike slows down). */
const isChargeLatency = (e: LinkedEpisode) => e.metric === 'traces.span.metrics.duration' && e.service === 'payments' &&
  e.labels['span.name'] === 'POST /charge' && e.labels['span.kind'] === 'SPAN_KIND_SERVER';

interface JaegerSpan { name: string; startTimeUnixNano: string; endTimeUnixNano: string }
interface JaegerResourceSpans { resource?: { attributes?: { key: string; value?: { stringValue?: string } }[] }; scopeSpans?: { spans?: JaegerSpan[] }[] }

/** Durations (ms) of the spans `service`/`name` of one stored trace ([] when Jaeger has no such trace). */
async function spanDurations(traceId: string, service: string, name: string): Promise<number[]> {
  const res = await fetch(`${p.jaeger.queryUrl}/api/v3/traces/${traceId}`);
  if (res.status === 404) return [];
  expect(res.status, `Jaeger /api/v3/traces/${traceId}`).toBe(200);
  const body = (await res.json()) as { result?: { resourceSpans?: JaegerResourceSpans[] } };
  return (body.result?.resourceSpans ?? [])
    .filter((rs) => rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value?.stringValue === service)
    .flatMap((rs) => (rs.scopeSpans ?? []).flatMap((ss) => ss.spans ?? []))
    .filter((sp) => sp.name === name)
    .map((sp) => Number(BigInt(sp.endTimeUnixNano) - BigInt(sp.startTimeUnixNano)) / 1e6);
}

describe('anomaly events of the run', () => {
  it('one onset event per alarm episode the report counts, each flagged point matched to its event', () => {
    const a = report.anomalies;
    expect(report.detection.alarmEpisodes).toBeGreaterThan(0);
    expect(a.events.onset, JSON.stringify(a.unmatched)).toBe(report.detection.alarmEpisodes);
    expect(a.alarmEpisodes).toBe(report.detection.alarmEpisodes);
    expect(a.complete, JSON.stringify(a.unmatched)).toBe(true);
    expect(a.episodeCounts.total).toBe(report.detection.alarmEpisodes);
    expect(a.events.resolve).toBe(a.episodeCounts.resolved);
    expect(a.processor.dropped.queue_full ?? 0).toBe(0);
    // The processor kept running after the report's end, so it may have handed over more since.
    expect(a.processor.events.onset).toBeGreaterThanOrEqual(a.events.onset);
  });

  it('the latency spike gives its series exactly one onset and one resolve event, with a trace of the slow call in Jaeger', async () => {
    const spike = report.detection.incidents.find((i) => i.kind === 'latency_spike')!;
    // The spike is one episode: one onset from its start to 10 s after its end, resolved before
    // any later episode of the series (an unrelated later alarm is counted among the false ones).
    const all = report.anomalies.episodes.filter(isChargeLatency);
    const inSpike = all.filter((e) => Date.parse(e.onset) >= Date.parse(spike.start) && Date.parse(e.onset) <= Date.parse(spike.end) + 10_000);
    expect(inSpike.map((e) => [e.onset, e.resolved]),
      `episodes of payments POST /charge latency (spanmetrics) opened in the spike ${spike.start} - ${spike.end}; all: ${JSON.stringify(all.map((e) => [e.onset, e.resolved]))}`).toHaveLength(1);
    const [ep] = inSpike;
    expect(ep.records).toEqual({ onset: true, resolve: true });
    const onset = Date.parse(ep.onset);
    for (const later of all.filter((e) => Date.parse(e.onset) > onset)) expect(Date.parse(later.onset)).toBeGreaterThan(Date.parse(ep.resolved!));
    // anomaly.duration_ms is whole ms of the exact (ns) times; onset and resolve are each truncated to ms.
    expect(Math.abs(ep.durationMs! - (Date.parse(ep.resolved!) - onset))).toBeLessThanOrEqual(1);
    expect(ep.traceIds.length).toBeGreaterThan(0);
    // Slow: at least a third of the spike's factor times the call's usual self time.
    const slowMs = (CHARGE.selfMs * EFFECT.latencySpikeFactor) / 3;
    const found: Record<string, number[]> = {};
    for (const id of ep.traceIds) found[id] = await spanDurations(id, 'payments', 'POST /charge');
    expect(Object.values(found).some((d) => d.some((ms) => ms >= slowMs)), `POST /charge spans (ms) per trace id: ${JSON.stringify(found)}`).toBe(true);
    expect(ep.links.traces[0].url).toBe(`${p.urls.jaegerUi}trace/${ep.traceIds[0]}`);
  });

  it('the table and the HTML page list the episodes with their links', () => {
    const ep = report.anomalies.episodes.find(isChargeLatency)!;
    const table = readFileSync(report.files.table, 'utf8');
    expect(table).toContain(`Anomaly events: ${report.anomalies.events.onset} onset + ${report.anomalies.events.resolve} resolve in Cassandra for ${report.detection.alarmEpisodes} alarm episodes`);
    expect(table).toContain(ep.links.series);
    const html = readFileSync(report.files.html, 'utf8');
    expect(html).toContain(`Anomaly episodes: ${report.anomalies.episodeCounts.total}`);
    expect(html).toContain(`href="${ep.links.traces[0].url}"`);
    expect(html).toContain(ep.links.series.replace(/&/g, '&amp;'));
  });

  it("an episode's vmui link queries its score series, flagged at the onset", async () => {
    const ep = report.anomalies.episodes.find(isChargeLatency)!;
    const link = new URL(ep.links.series);
    expect(`${link.origin}${link.pathname}`).toBe(p.urls.vmui);
    expect(new URLSearchParams(link.hash.replace(/^#\/\?/, '')).get('g0.expr')).toBe(ep.links.query);
    const series = await vmExport(p.vm.url, ep.links.query, Date.parse(ep.onset) - 1000, Date.parse(ep.onset) + 1000);
    const flagged = series.filter((s) => s.metric.is_anomaly === 'true');
    expect(flagged.map((s) => s.metric.__name__), ep.links.query).toEqual(['traces_span_metrics_duration_anomaly_score_ratio']);
    expect(flagged[0].timestamps).toContain(Date.parse(ep.onset));
  });

  it('mirador anomalies lists the same episodes from Cassandra, and filters them', () => {
    const cli = resolve(import.meta.dirname, '../../dist/mirador.js');
    const run = (...args: string[]) => {
      const r = spawnSync(process.execPath, [cli, 'anomalies', '--cassandra', p.urls.cassandra, '--vmui', p.urls.vmui, '--trace-ui', p.urls.jaegerUi,
        '--since', report.detection.from, '--until', report.detection.to, ...args], { encoding: 'utf8', timeout: 120_000 });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout;
    };
    const all = JSON.parse(run('--json')) as EpisodeListing;
    expect(all.source).toMatchObject({ keyspace: p.keyspace, table: p.table });
    const key = (e: LinkedEpisode) => `${e.onset} ${e.links.query}`;
    expect(all.episodes.map(key)).toEqual(report.anomalies.episodes.map(key));
    // (a resolve stamped just before the report's end may have been stored after the report read the table)
    expect(all.episodes.find(isChargeLatency)!.links).toEqual(report.anomalies.episodes.find(isChargeLatency)!.links);
    const charge = JSON.parse(run('--json', '--service', 'payments', '--metric', 'traces_span_metrics_duration_milliseconds')) as EpisodeListing;
    expect(charge.episodes.length).toBeGreaterThan(0);
    expect(charge.episodes.every((e) => e.service === 'payments' && e.metric === 'traces.span.metrics.duration')).toBe(true);
    expect(charge.episodes.filter(isChargeLatency).map(key)).toEqual(report.anomalies.episodes.filter(isChargeLatency).map(key));
    const table = run('--service', 'payments');
    expect(table).toMatch(/^Anomaly episodes .* \d+ \(\d+ open, \d+ resolved\)/);
    expect(table).toContain(report.anomalies.episodes.find(isChargeLatency)!.links.series);
  });
});
