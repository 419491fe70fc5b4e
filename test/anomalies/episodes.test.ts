// Anomaly events as stored rows -> episodes -> links, and the CLI's input checks; no process started
// (the whole path, from a real latency spike to Cassandra and Jaeger, is checked in test/pipeline).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  formatEpisodes, metricMatches, pairEpisodes, parseEventRow, parseTraceIds, scoreSeriesName, scoreSeriesQuery, traceUrl, vmuiUrl, withLinks,
  type AnomalyEvent, type EventRow,
} from '../../src/anomalies/index.js';
import { eventOfSeries, matchFlagsToEvents } from '../../src/pipeline/anomalies.js';
import { logicalSeries } from '../../src/pipeline/series.js';
import { parseWhen } from '../../src/cli/commands/anomalies.js';

const T0 = Date.parse('2026-11-30T10:00:00.000Z');
const TRACE_A = '0af7651916cd43dd8448eb211c80319c';
const TRACE_B = '4bf92f3577b34da6a3ce929d0e0e4736';
const RESOURCE = { 'service.name': 'payments', 'service.instance.id': 'payments-1', 'mirador.run_id': 'r1' };
const LABELS = { 'span.name': 'POST /charge', 'span.kind': 'SPAN_KIND_SERVER', 'status.code': 'STATUS_CODE_UNSET' };

/** A row as the cassandra_logs exporter stores an event record (attribute values as strings). */
function row(state: 'onset' | 'resolve', atMs: number, o: { onsetMs?: number; traces?: string[]; labels?: Record<string, string>; score?: number } = {}): EventRow {
  const a: Record<string, string> = {
    ...(o.labels ?? LABELS), 'event.name': 'mirador.anomaly', 'anomaly.state': state, 'anomaly.metric': 'traces.span.metrics.duration',
    'anomaly.score': String(o.score ?? 0.72), 'anomaly.expected': '41.5', 'anomaly.observed': '612', 'anomaly.driver': 'range', 'anomaly.signal': 'mean',
  };
  if (o.traces) a['anomaly.trace_ids'] = JSON.stringify(o.traces);
  if (state === 'resolve') {
    a['anomaly.onset_time'] = new Date(o.onsetMs!).toISOString();
    a['anomaly.duration_ms'] = String(atMs - o.onsetMs!);
  }
  return {
    service_name: 'payments', timestamp: new Date(atMs), time_unix_nano: (BigInt(atMs) * 1_000_000n + 123_456n).toString(), event_name: 'mirador.anomaly',
    severity_text: state === 'onset' ? 'WARN' : 'INFO', body: `traces.span.metrics.duration left its usual range (${state})`, trace_id: o.traces?.[0] ?? null,
    resource_attributes: RESOURCE, log_attributes: a,
  };
}

const events = (...rows: EventRow[]) => rows.map(parseEventRow).filter((e): e is AnomalyEvent => e !== null);

describe('stored rows as anomaly events', () => {
  it('reads state, metric, labels, numbers, trace ids and the exact time', () => {
    const e = parseEventRow(row('onset', T0, { traces: [TRACE_A, TRACE_B] }))!;
    expect(e).toMatchObject({
      state: 'onset', timeMs: T0, service: 'payments', metric: 'traces.span.metrics.duration', labels: LABELS, resource: RESOURCE,
      score: 0.72, expected: 41.5, observed: 612, driver: 'range', signal: 'mean', traceIds: [TRACE_A, TRACE_B], severity: 'WARN', durationMs: null,
    });
  });

  it('is null for an application log row or an event without a state', () => {
    expect(parseEventRow({ service_name: 'cart', timestamp: new Date(T0), event_name: null, log_attributes: { 'http.route': '/cart' } })).toBeNull();
    const r = row('onset', T0);
    delete r.log_attributes!['anomaly.state'];
    expect(parseEventRow(r)).toBeNull();
  });

  it('keeps only well-formed, non-zero trace ids', () => {
    expect(parseTraceIds(JSON.stringify([TRACE_A, 'xyz', '0'.repeat(32), TRACE_B.toUpperCase()]))).toEqual([TRACE_A, TRACE_B]);
    expect(parseTraceIds(TRACE_A)).toEqual([TRACE_A]);
    expect(parseTraceIds(undefined)).toEqual([]);
  });
});

describe('episodes', () => {
  it('pairs a resolve with the onset it names; the trace ids of both, first seen first', () => {
    const [ep] = pairEpisodes(events(row('onset', T0, { traces: [TRACE_A] }), row('resolve', T0 + 52_000, { onsetMs: T0, traces: [TRACE_A, TRACE_B], score: 0.91 })));
    expect(ep).toMatchObject({
      state: 'resolved', onset: new Date(T0).toISOString(), resolved: new Date(T0 + 52_000).toISOString(), durationMs: 52_000,
      score: 0.72, peakScore: 0.91, traceIds: [TRACE_A, TRACE_B], records: { onset: true, resolve: true },
    });
  });

  it('an onset without a resolve is open; a later episode of the same series is its own; newest first', () => {
    const eps = pairEpisodes(events(
      row('onset', T0), row('resolve', T0 + 60_000, { onsetMs: T0 }), row('onset', T0 + 100_000),
      // the same time on another series is another episode
      row('onset', T0, { labels: { ...LABELS, 'span.name': 'POST /orders' } }),
    ));
    expect(eps.map((e) => [e.state, e.onset.slice(11, 19), e.labels['span.name']])).toEqual([
      ['open', '10:01:40', 'POST /charge'], ['resolved', '10:00:00', 'POST /charge'], ['open', '10:00:00', 'POST /orders'],
    ]);
  });

  it('a resolve whose onset was not read is a resolved episode known from the resolve; a row read twice counts once', () => {
    const r = row('resolve', T0 + 30_000, { onsetMs: T0 - 10_000 });
    const eps = pairEpisodes(events(r, r));
    expect(eps).toHaveLength(1);
    expect(eps[0]).toMatchObject({ state: 'resolved', onset: new Date(T0 - 10_000).toISOString(), durationMs: 40_000, score: null, records: { onset: false, resolve: true } });
  });
});

describe('links', () => {
  it('names the companion score series as VictoriaMetrics stores it', () => {
    expect(scoreSeriesName('http.server.request.duration')).toBe('http_server_request_duration_anomaly_score_ratio');
    expect(scoreSeriesName('traces.span.metrics.duration')).toBe('traces_span_metrics_duration_anomaly_score_ratio');
    expect(scoreSeriesName('traces_service_graph_request_total')).toBe('traces_service_graph_request_total_anomaly_score_ratio');
  });

  it('selects the series by every resource attribute and label, names as labels, values quoted', () => {
    const q = scoreSeriesQuery({ metric: 'shop.queue.depth', resource: { 'service.name': 'checkout', empty: '' }, labels: { queue: 'say "hi"\\' } });
    expect(q).toBe('shop_queue_depth_anomaly_score_ratio{queue="say \\"hi\\"\\\\",service_name="checkout"}');
  });

  it('vmui opens the query around the episode; the trace UI at /trace/<id>', () => {
    const u = new URL(vmuiUrl('http://127.0.0.1:8428/vmui/', 'x{a="b c"}', T0 - 300_000, T0 + 420_000));
    expect(u.pathname).toBe('/vmui/');
    const q = new URLSearchParams(u.hash.replace(/^#\/\?/, ''));
    expect(q.get('g0.expr')).toBe('x{a="b c"}');
    expect(q.get('g0.range_input')).toBe('12m');
    expect(q.get('g0.end_input')).toBe('2026-11-30T10:07:00');
    expect(q.get('g0.relative_time')).toBe('none');
    expect(u.hash).not.toContain('+');
    expect(traceUrl('http://127.0.0.1:16686/', TRACE_A)).toBe(`http://127.0.0.1:16686/trace/${TRACE_A}`);
  });

  it('the table shows each episode with its vmui and trace links', () => {
    const eps = withLinks(pairEpisodes(events(row('onset', T0, { traces: [TRACE_A] }))), { vmui: 'http://vm:8428/vmui', traceUi: 'http://jaeger:16686' });
    const text = formatEpisodes(eps).join('\n');
    expect(text).toContain('open');
    expect(text).toContain('traces.span.metrics.duration');
    expect(text).toContain('span.name=POST /charge');
    expect(text).toContain('612 / 41.5');
    expect(text).toContain('http://vm:8428/vmui/#/?g0.expr=traces_span_metrics_duration_anomaly_score_ratio');
    expect(text).toContain(`http://jaeger:16686/trace/${TRACE_A}`);
  });
});

describe('filters and times', () => {
  it('a metric is named by its OpenTelemetry name, its stored name (with a suffix) or a pattern', () => {
    const m = 'http.server.request.duration';
    for (const p of [m, 'http_server_request_duration', 'http_server_request_duration_seconds', 'http_server_request_duration_anomaly_score_ratio', 'http.server.*', '*duration'])
      expect(metricMatches(p, m), p).toBe(true);
    for (const p of ['http.server', 'http_server_request', 'traces.*', 'http_server_request_duration_x']) expect(metricMatches(p, m), p).toBe(false);
  });

  it('--since and --until take a duration before now or an ISO time; anything else is a usage error', () => {
    const now = T0;
    expect(parseWhen('15m', now, '--since')).toBe(T0 - 900_000);
    expect(parseWhen('1h30m', now, '--since')).toBe(T0 - 5_400_000);
    expect(parseWhen('2026-11-30T09:00:00Z', now, '--since')).toBe(T0 - 3_600_000);
    expect(parseWhen('2026-11-30T09:00:00', now, '--since')).toBe(T0 - 3_600_000);
    expect(() => parseWhen('yesterday', now, '--since')).toThrow(/--since: expected a duration/);
  });
});

describe('the run report matches flagged points to onset events', () => {
  const series = logicalSeries([
    { metric: { __name__: 'traces_span_metrics_duration_milliseconds_count', service_name: 'payments', service_instance_id: 'payments-1', mirador_run_id: 'r1', span_name: 'POST /charge', span_kind: 'SPAN_KIND_SERVER', status_code: 'STATUS_CODE_UNSET', scope_name: 'spanmetricsconnector' }, values: [1, 2], timestamps: [T0 - 1000, T0] },
    { metric: { __name__: 'traces_span_metrics_duration_milliseconds_bucket', le: '+Inf', service_name: 'payments', service_instance_id: 'payments-1', mirador_run_id: 'r1', span_name: 'POST /charge', span_kind: 'SPAN_KIND_SERVER', status_code: 'STATUS_CODE_UNSET', scope_name: 'spanmetricsconnector' }, values: [1, 2], timestamps: [T0 - 1000, T0] },
    { metric: { __name__: 'traces_span_metrics_duration_milliseconds_sum', service_name: 'payments', service_instance_id: 'payments-1', mirador_run_id: 'r1', span_name: 'POST /charge', span_kind: 'SPAN_KIND_SERVER', status_code: 'STATUS_CODE_UNSET', scope_name: 'spanmetricsconnector' }, values: [30, 700], timestamps: [T0 - 1000, T0] },
  ])[0];

  it('an onset event belongs to the series whose labels carry its resource and attributes', () => {
    const [e] = events(row('onset', T0));
    expect(eventOfSeries(e, series)).toBe(true);
    const [other] = events(row('onset', T0, { labels: { ...LABELS, 'span.name': 'POST /orders' } }));
    expect(eventOfSeries(other, series)).toBe(false);
  });

  it('one to one: a flagged point without its event, and an event without its point, are named', () => {
    const [e] = events(row('onset', T0));
    expect(matchFlagsToEvents([{ series, t: T0 }], [e])).toMatchObject({ matched: 1, flaggedWithoutEvent: [], eventsWithoutFlag: [] });
    const m = matchFlagsToEvents([{ series, t: T0 }, { series, t: T0 - 1000 }], events(row('onset', T0), row('onset', T0 + 5000)));
    expect(m.matched).toBe(1);
    expect(m.flaggedWithoutEvent).toHaveLength(1);
    expect(m.eventsWithoutFlag).toHaveLength(1);
  });
});

describe('mirador anomalies: input errors are one line', () => {
  const root = resolve(import.meta.dirname, '../..');
  const cli = join(root, 'dist/mirador.js');
  beforeAll(() => {
    if (!existsSync(cli)) spawnSync(process.execPath, [join(root, 'scripts/build-cli.mjs')], { stdio: 'inherit' });
  });
  const mirador = (...args: string[]) => {
    const r = spawnSync(process.execPath, [cli, 'anomalies', ...args], { encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it('a bad --since exits 2 with one line naming it', () => {
    const r = mirador('--since', 'yesterday', '--keyspace', 'mirador', '--table', 'logs');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^mirador anomalies: error: --since: expected a duration/);
  });

  it('an unreachable Cassandra exits 1 with one line naming host and port', () => {
    const r = mirador('--cassandra', '127.0.0.1:1', '--keyspace', 'mirador', '--table', 'logs');
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^mirador anomalies: error: cannot connect to Cassandra at 127\.0\.0\.1:1: .*is `mirador up` running/);
  });

  it('a bad --trace-ui exits 2', () => {
    const r = mirador('--trace-ui', 'jaeger', '--keyspace', 'mirador', '--table', 'logs');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--trace-ui');
  });
});
