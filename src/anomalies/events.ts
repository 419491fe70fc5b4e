/**
 * Anomaly events as the `cassandra_logs` exporter stores them, and the alarm episodes they make.
 *
 * The isolationforest processor emits two OTLP log records per alarm episode of a series
 * (collector-builder/isolationforestprocessor/README.md, "Anomaly events"): one at the onset
 * (severity WARN) and one at the resolve (INFO), event name `mirador.anomaly`, the series'
 * resource as the record's resource, the series' own attributes copied beside the `anomaly.*`
 * ones. The exporter stores attribute values as strings (numbers in decimal, arrays as JSON).
 * Here a row becomes an AnomalyEvent, and the events of one series pair into episodes: a resolve
 * names its onset's time (`anomaly.onset_time`), so onset and resolve meet on (series, onset time).
 */

/** The event name of every anomaly event (`event.name` and the record's event name). */
export const ANOMALY_EVENT_NAME = 'mirador.anomaly';

/** One stored row of the logs table, as read by store.ts (the columns this module needs). */
export interface EventRow {
  service_name: string;
  /** Record time in epoch ms (the `timestamp` column). */
  timestamp: Date;
  /** The record's exact time in ns (`time_unix_nano`), when stored. */
  time_unix_nano?: bigint | string | number | null;
  event_name?: string | null;
  severity_text?: string | null;
  body?: string | null;
  trace_id?: string | null;
  resource_attributes?: Record<string, string> | null;
  log_attributes?: Record<string, string> | null;
}

/** One anomaly event (an onset or a resolve record). */
export interface AnomalyEvent {
  state: 'onset' | 'resolve';
  /** Event time: the time of the data point that opened (onset) or closed (resolve) the episode, epoch ms. */
  timeMs: number;
  /** resource service.name (the store's partition), `unknown_service` without one. */
  service: string;
  /** The metric's OpenTelemetry name, e.g. `traces.span.metrics.duration`. */
  metric: string;
  /** The series' resource attributes. */
  resource: Record<string, string>;
  /** The series' own (data point) attributes: every log attribute but `event.name` and `anomaly.*`. */
  labels: Record<string, string>;
  /** onset: its score; resolve: the episode's peak (0..1). */
  score: number | null;
  /** What the series' history expected and what it showed, in the metric's unit (at the onset). */
  expected: number | null;
  observed: number | null;
  /** range | shift | seasonality. */
  driver: string | null;
  /** Which signal of the point: value, rate, mean, count, count_rate, quantile. */
  signal: string | null;
  /** resolve only: onset to resolve, ms, and the onset's time, epoch ms. */
  durationMs: number | null;
  onsetTimeMs: number | null;
  /** Trace ids (32 hex digits) from the exemplars of the episode's points. */
  traceIds: string[];
  severity: string | null;
  body: string | null;
}

/** An alarm episode of one series: its onset and, once it resolved, its resolve. */
export interface Episode {
  /** `open` while no resolve record exists yet. */
  state: 'open' | 'resolved';
  service: string;
  metric: string;
  resource: Record<string, string>;
  labels: Record<string, string>;
  /** ISO 8601 times; onset is known from the resolve record when the onset record is not among those read. */
  onset: string;
  resolved: string | null;
  /** Onset to resolve, ms (null while open). */
  durationMs: number | null;
  /** The onset's score and the episode's peak (known at the resolve), 0..1. */
  score: number | null;
  peakScore: number | null;
  driver: string | null;
  signal: string | null;
  expected: number | null;
  observed: number | null;
  /** Trace ids of the episode (the resolve's list, which extends the onset's), first seen first. */
  traceIds: string[];
  /** The onset record's one-line description (the resolve's when the onset was not read). */
  summary: string | null;
  /** Which records were found: onset, resolve or both. */
  records: { onset: boolean; resolve: boolean };
}

const num = (s: string | undefined): number | null => {
  if (s === undefined || s === '') return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
};

/** `anomaly.trace_ids` as stored: a JSON array of hex strings (a lone id is accepted too). */
export function parseTraceIds(v: string | undefined): string[] {
  if (!v) return [];
  let ids: unknown;
  try {
    ids = JSON.parse(v);
  } catch {
    ids = [v];
  }
  if (!Array.isArray(ids)) ids = [ids];
  return (ids as unknown[]).map((x) => String(x).toLowerCase()).filter((x) => /^[0-9a-f]{32}$/.test(x) && !/^0+$/.test(x));
}

/** Epoch ms of a row: its exact ns time when stored, else the ms timestamp column. */
function rowTimeMs(r: EventRow): number {
  if (r.time_unix_nano !== undefined && r.time_unix_nano !== null && String(r.time_unix_nano) !== '0') {
    return Number(BigInt(String(r.time_unix_nano)) / 1_000_000n);
  }
  return r.timestamp.getTime();
}

/**
 * A stored row as an anomaly event, or null when the row is not one (another log record, or an
 * event without `anomaly.state`/`anomaly.metric`).
 */
export function parseEventRow(r: EventRow): AnomalyEvent | null {
  const a = r.log_attributes ?? {};
  if ((r.event_name ?? a['event.name']) !== ANOMALY_EVENT_NAME) return null;
  const state = a['anomaly.state'];
  const metric = a['anomaly.metric'];
  if ((state !== 'onset' && state !== 'resolve') || !metric) return null;
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(a)) if (k !== 'event.name' && !k.startsWith('anomaly.')) labels[k] = v;
  const onsetTime = a['anomaly.onset_time'] ? Date.parse(a['anomaly.onset_time']) : NaN;
  const traceIds = parseTraceIds(a['anomaly.trace_ids']);
  if (!traceIds.length && r.trace_id && /^[0-9a-f]{32}$/.test(r.trace_id)) traceIds.push(r.trace_id);
  return {
    state, timeMs: rowTimeMs(r), service: r.service_name, metric,
    resource: { ...(r.resource_attributes ?? {}) }, labels,
    score: num(a['anomaly.score']), expected: num(a['anomaly.expected']), observed: num(a['anomaly.observed']),
    driver: a['anomaly.driver'] ?? null, signal: a['anomaly.signal'] ?? null,
    durationMs: num(a['anomaly.duration_ms']), onsetTimeMs: Number.isFinite(onsetTime) ? onsetTime : null,
    traceIds, severity: r.severity_text ?? null, body: r.body ?? null,
  };
}

const sortedJson = (o: Record<string, string>) => JSON.stringify(Object.keys(o).sort().map((k) => [k, o[k]]));

/** The identity of an event's series: metric, resource and labels (what the processor keys a series by, but its scope and type). */
export const seriesKey = (e: Pick<AnomalyEvent, 'metric' | 'resource' | 'labels'>) => `${e.metric}|${sortedJson(e.resource)}|${sortedJson(e.labels)}`;

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Pairs events into episodes, newest onset first: a resolve joins the onset of the same series
 * whose time is its `anomaly.onset_time` (ms precision); an onset without a resolve is open; a
 * resolve whose onset is not among the events (read from before the range, or never emitted)
 * is a resolved episode known from the resolve alone. The same record read twice counts once.
 */
export function pairEpisodes(events: AnomalyEvent[]): Episode[] {
  const onsets = new Map<string, AnomalyEvent>();
  const resolves = new Map<string, AnomalyEvent>();
  for (const e of events) {
    const key = seriesKey(e);
    if (e.state === 'onset') onsets.set(`${key}@${e.timeMs}`, e);
    else resolves.set(`${key}@${e.onsetTimeMs ?? e.timeMs - (e.durationMs ?? 0)}`, e);
  }
  const out: Episode[] = [];
  const union = (a: string[], b: string[]) => [...new Set([...a, ...b])];
  for (const [k, on] of onsets) {
    const res = resolves.get(k);
    resolves.delete(k);
    out.push({
      state: res ? 'resolved' : 'open', service: on.service, metric: on.metric, resource: on.resource, labels: on.labels,
      onset: iso(on.timeMs), resolved: res ? iso(res.timeMs) : null, durationMs: res ? (res.durationMs ?? res.timeMs - on.timeMs) : null,
      score: on.score, peakScore: res ? res.score : null, driver: on.driver, signal: on.signal, expected: on.expected, observed: on.observed,
      traceIds: union(on.traceIds, res?.traceIds ?? []), summary: on.body, records: { onset: true, resolve: Boolean(res) },
    });
  }
  for (const res of resolves.values()) {
    const onsetMs = res.onsetTimeMs ?? res.timeMs - (res.durationMs ?? 0);
    out.push({
      state: 'resolved', service: res.service, metric: res.metric, resource: res.resource, labels: res.labels,
      onset: iso(onsetMs), resolved: iso(res.timeMs), durationMs: res.durationMs ?? res.timeMs - onsetMs,
      score: null, peakScore: res.score, driver: res.driver, signal: res.signal, expected: res.expected, observed: res.observed,
      traceIds: res.traceIds, summary: res.body, records: { onset: false, resolve: true },
    });
  }
  return out.sort((x, y) => Date.parse(y.onset) - Date.parse(x.onset) || seriesKey(x).localeCompare(seriesKey(y)));
}
