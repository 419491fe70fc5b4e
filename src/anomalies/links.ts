/**
 * Links from an anomaly episode to where an engineer looks next: its series' anomaly score in
 * vmui (a MetricsQL query of the companion score series) and its traces in the trace UI.
 *
 * The processor writes each scored point's score on the companion gauge `<metric>_anomaly_score`
 * (unit 1) with the point's attributes plus `is_anomaly`. VictoriaMetrics, run with
 * `-opentelemetry.usePrometheusNaming` (as `mirador up` and the chart's backends do), stores it as
 * `<metric, dots as underscores>_anomaly_score_ratio` (the unit 1 of a gauge becomes `_ratio`), with
 * every resource and point attribute as a label (dots as underscores) plus `scope_name` and
 * `scope_version`: e.g. `traces_span_metrics_duration_anomaly_score_ratio{service_name="payments",
 * span_name="POST /charge",...}`. The event carries the same resource and attributes, so its
 * selector picks exactly that series (the scope labels, which the event does not carry, are left out).
 */
import { promSampleName } from '../harness/stored-metrics.js';
import type { Episode } from './events.js';

/** The stored name of a metric's companion score series, e.g. `http.server.request.duration` -> `http_server_request_duration_anomaly_score_ratio`. */
export const scoreSeriesName = (otelMetric: string) => promSampleName(`${otelMetric}_anomaly_score`, '1', 'gauge');

/** A label name as VictoriaMetrics' Prometheus naming stores an attribute key (every character outside [A-Za-z0-9_] becomes `_`). */
export const labelName = (attributeKey: string) => {
  const n = attributeKey.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[0-9]/.test(n) ? `key_${n}` : n;
};

const quote = (v: string) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;

/**
 * The MetricsQL selector of an episode's score series: its name and every resource attribute and
 * label of the event (a label with an empty value is left out: VictoriaMetrics stores no empty label).
 */
export function scoreSeriesQuery(e: Pick<Episode, 'metric' | 'resource' | 'labels'>): string {
  const labels = new Map<string, string>();
  for (const [k, v] of [...Object.entries(e.resource), ...Object.entries(e.labels)]) if (v !== '') labels.set(labelName(k), v);
  const body = [...labels.keys()].sort().map((k) => `${k}=${quote(labels.get(k)!)}`).join(',');
  return `${scoreSeriesName(e.metric)}{${body}}`;
}

/** Window shown around an episode: 5 minutes before its onset to 5 minutes after its resolve (or onset while open). */
export const LINK_MARGIN_MS = 5 * 60_000;

const vmuiTime = (ms: number) => new Date(ms).toISOString().slice(0, 19); // vmui's g0.end_input: UTC, YYYY-MM-DDTHH:mm:ss

/** A vmui duration such as `12m` or `1h5m` (vmui reads d, h, m, s). */
function vmuiDuration(ms: number): string {
  let s = Math.max(60, Math.ceil(ms / 1000));
  const parts: string[] = [];
  for (const [unit, n] of [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (s >= n) { parts.push(`${Math.floor(s / n)}${unit}`); s %= n; }
  }
  return parts.join('');
}

/** vmui's graph of `query` over [fromMs, toMs]: `<vmui>#/?g0.expr=...&g0.range_input=...&g0.end_input=...`. */
export function vmuiUrl(vmuiBase: string, query: string, fromMs: number, toMs: number): string {
  const base = vmuiBase.endsWith('/') ? vmuiBase : `${vmuiBase}/`;
  const q = new URLSearchParams({
    'g0.expr': query, 'g0.range_input': vmuiDuration(toMs - fromMs), 'g0.end_input': vmuiTime(toMs), 'g0.relative_time': 'none', 'g0.tab': '0',
  });
  return `${base}#/?${q.toString().replace(/\+/g, '%20')}`;
}

/** A trace in the trace UI: Jaeger's (and VictoriaTraces' Jaeger-compatible UI's) `/trace/<id>`. */
export function traceUrl(traceUiBase: string, traceId: string): string {
  return `${traceUiBase.replace(/\/+$/, '')}/trace/${traceId}`;
}

export interface EpisodeLinks {
  /** MetricsQL of the series' score. */
  query: string;
  /** vmui showing it around the episode. */
  series: string;
  traces: { traceId: string; url: string }[];
}

export interface LinkBases {
  /** vmui, e.g. http://127.0.0.1:8428/vmui/ */
  vmui: string;
  /** trace UI root, e.g. http://127.0.0.1:16686/ */
  traceUi: string;
}

export function episodeLinks(e: Episode, bases: LinkBases): EpisodeLinks {
  const query = scoreSeriesQuery(e);
  const onset = Date.parse(e.onset);
  const end = e.resolved ? Date.parse(e.resolved) : onset;
  return {
    query,
    series: vmuiUrl(bases.vmui, query, onset - LINK_MARGIN_MS, end + LINK_MARGIN_MS),
    traces: e.traceIds.map((traceId) => ({ traceId, url: traceUrl(bases.traceUi, traceId) })),
  };
}
