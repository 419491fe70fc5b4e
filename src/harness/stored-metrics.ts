/**
 * Metric points stored in VictoriaMetrics, read back exactly: raw samples through the export API,
 * instant queries, and counts of points stored, distinct points and duplicates.
 */

export interface ExportedSeries {
  metric: Record<string, string>;
  values: number[];
  timestamps: number[];
}

/**
 * Raw samples of every series matching `selector` (/api/v1/export, JSON lines), within
 * [startMs, endMs] when given, else all that VictoriaMetrics holds.
 */
export async function vmExport(vmUrl: string, selector: string, startMs?: number, endMs?: number): Promise<ExportedSeries[]> {
  const q = new URLSearchParams({ 'match[]': selector });
  if (startMs !== undefined) q.set('start', String(Math.floor(startMs / 1000)));
  if (endMs !== undefined) q.set('end', String(Math.ceil(endMs / 1000)));
  // POST: a long selector would not fit a URL.
  const res = await fetch(`${vmUrl}/api/v1/export`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: q });
  const body = await res.text();
  if (!res.ok) throw new Error(`VictoriaMetrics export ${selector}: HTTP ${res.status}: ${body.slice(0, 300)}`);
  return body.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as ExportedSeries);
}

/** Instant PromQL/MetricsQL query; the sum of the result's values (0 when empty). */
export async function vmQueryScalar(vmUrl: string, query: string): Promise<number> {
  const res = await fetch(`${vmUrl}/api/v1/query?${new URLSearchParams({ query })}`);
  const body = await res.text();
  if (!res.ok) throw new Error(`VictoriaMetrics query ${query}: HTTP ${res.status}: ${body.slice(0, 300)}`);
  const r = JSON.parse(body) as { data: { result: { value: [number, string] }[] } };
  return r.data.result.reduce((a, x) => a + Number(x.value[1]), 0);
}

/**
 * The Prometheus series name VictoriaMetrics gives an OTLP metric under -opentelemetry.usePrometheusNaming
 * (unit suffix, _total for monotonic sums; a histogram point is counted by its _count sample).
 */
export function promSampleName(otelName: string, unit: string, kind: 'histogram' | 'gauge' | 'counter'): string {
  const units: Record<string, string> = { s: 'seconds', ms: 'milliseconds', By: 'bytes', '1': 'ratio' };
  let n = otelName.replace(/[^A-Za-z0-9_]/g, '_');
  const u = unit.startsWith('{') ? '' : units[unit] ?? unit;
  if (u && !n.endsWith(`_${u}`)) n += `_${u}`;
  if (kind === 'counter') n += '_total';
  if (kind === 'histogram') n += '_count';
  return n;
}

/** The labels the isolationforest processor adds to every scored point. */
export const ANOMALY_LABELS = ['anomaly_score', 'is_anomaly'] as const;

export interface StoredPoints {
  series: number;
  /** Raw samples, duplicates included. */
  raw: number;
  /**
   * Distinct points: (series without the processor's labels, timestamp) pairs. A point re-sent
   * after a retry and scored again may carry another score, so it is one point stored twice.
   */
  distinct: number;
  /**
   * Samples with anomaly_score and is_anomaly labels: the processor's attributes output mode. In
   * the default metrics mode the input keeps its labels and the scores are the companion series
   * `<metric>_anomaly_score`: count those with their own selector.
   */
  scored: number;
  /** Samples with is_anomaly="true" (a companion score point's label in the metrics mode). */
  anomalous: number;
}

/** Counts the points stored for a selector (see StoredPoints), over [startMs, endMs] when given. */
export async function countStoredPoints(vmUrl: string, selector: string, startMs?: number, endMs?: number): Promise<StoredPoints> {
  const out: StoredPoints = { series: 0, raw: 0, distinct: 0, scored: 0, anomalous: 0 };
  const seen = new Set<string>();
  for (const s of await vmExport(vmUrl, selector, startMs, endMs)) {
    const key = JSON.stringify(Object.entries(s.metric).filter(([k]) => !(ANOMALY_LABELS as readonly string[]).includes(k)).sort(([a], [b]) => a.localeCompare(b)));
    out.series++;
    out.raw += s.timestamps.length;
    if (s.metric.anomaly_score !== undefined && s.metric.is_anomaly !== undefined) out.scored += s.timestamps.length;
    if (s.metric.is_anomaly === 'true') out.anomalous += s.timestamps.length;
    for (const t of s.timestamps) seen.add(`${key}@${t}`);
  }
  out.distinct = seen.size;
  return out;
}

/**
 * Polls countStoredPoints until `want` distinct points are stored or timeoutMs has passed, and
 * resolves with the last count either way: the caller asserts on it, so a shortfall is reported
 * as counts rather than a timeout.
 */
export async function waitForStoredPoints(vmUrl: string, selector: string, want: number,
  o: { startMs?: number; endMs?: number; timeoutMs?: number; everyMs?: number } = {}): Promise<StoredPoints> {
  const deadline = Date.now() + (o.timeoutMs ?? 120_000);
  for (;;) {
    const stored = await countStoredPoints(vmUrl, selector, o.startMs, o.endMs);
    if (stored.distinct >= want || Date.now() > deadline) return stored;
    await new Promise((r) => setTimeout(r, o.everyMs ?? 2_000));
  }
}
