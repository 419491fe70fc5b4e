/**
 * Rebuilds logical series from VictoriaMetrics samples: per timestamp, a value, the anomaly score
 * and whether the point opened an alarm (is_anomaly="true"). The isolationforest processor writes
 * its score either on a companion gauge `<metric>_anomaly_score` with the point's labels plus
 * `is_anomaly` (the default; VictoriaMetrics' Prometheus naming stores it as
 * `<metric>_anomaly_score_ratio`, unit 1), or as `anomaly_score`/`is_anomaly` labels on the point
 * itself (attributes mode: one logical series is then stored as several, one per score value). A
 * histogram is stored as _bucket/_sum/_count. Here each becomes one logical series.
 */
import type { ExportedSeries } from '../harness/stored-metrics.js';

export interface Point {
  t: number; // epoch ms
  value: number | null; // gauge value, counter rate (/s), or histogram mean per interval
  score: number | null; // null = not scored (warm-up)
  flagged: boolean;
}

export type SeriesKind = 'gauge' | 'counter' | 'histogram';

export interface LogicalSeries {
  key: string;
  name: string; // histogram/counter base name, e.g. http_server_request_duration_seconds
  kind: SeriesKind;
  labels: Record<string, string>; // including __name__ = name
  points: Point[];
}

const ANOMALY_LABELS = new Set(['anomaly_score', 'is_anomaly']);

function classify(name: string, labels: Record<string, string>): { base: string; part: 'bucket' | 'sum' | 'count' | 'total' | 'value' } {
  if (name.endsWith('_bucket') && 'le' in labels) return { base: name.slice(0, -7), part: 'bucket' };
  if (name.endsWith('_sum')) return { base: name.slice(0, -4), part: 'sum' };
  if (name.endsWith('_count')) return { base: name.slice(0, -6), part: 'count' };
  if (name.endsWith('_total')) return { base: name, part: 'total' };
  return { base: name, part: 'value' };
}

const keyOf = (labels: Record<string, string>) =>
  Object.keys(labels).sort().map((k) => `${k}=${JSON.stringify(labels[k])}`).join(',');

interface Acc {
  name: string;
  labels: Record<string, string>;
  parts: Map<string, Map<number, number>>; // part -> t -> raw value
  score: Map<number, number>;
  flagged: Set<number>;
}

/** A companion score series' name, and the stem of the metric it scores (before unit suffixes). */
const COMPANION = /^(.*)_anomaly_score(?:_ratio)?$/;

export function logicalSeries(exported: ExportedSeries[]): LogicalSeries[] {
  const accs = new Map<string, Acc>();
  const companions = exported.filter((s) => COMPANION.test(s.metric.__name__ ?? ''));
  exported = exported.filter((s) => !COMPANION.test(s.metric.__name__ ?? ''));
  // A histogram's _sum and _count need a _bucket sibling to be recognised as one; collect names first.
  const bucketBases = new Set(exported.filter((s) => s.metric.__name__?.endsWith('_bucket') && 'le' in s.metric).map((s) => s.metric.__name__.slice(0, -7)));
  for (const s of exported) {
    const name = s.metric.__name__ ?? '';
    let { base, part } = classify(name, s.metric);
    if ((part === 'sum' || part === 'count') && !bucketBases.has(base)) ({ base, part } = { base: name, part: 'value' });
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(s.metric)) if (!ANOMALY_LABELS.has(k) && k !== 'le') labels[k] = v;
    labels.__name__ = base;
    const key = keyOf(labels);
    let a = accs.get(key);
    if (!a) accs.set(key, (a = { name: base, labels, parts: new Map(), score: new Map(), flagged: new Set() }));
    const score = s.metric.anomaly_score !== undefined ? Number(s.metric.anomaly_score) : undefined;
    const flagged = s.metric.is_anomaly === 'true';
    if (part !== 'bucket') {
      let m = a.parts.get(part);
      if (!m) a.parts.set(part, (m = new Map()));
      s.timestamps.forEach((t, i) => m!.set(t, s.values[i]));
    }
    s.timestamps.forEach((t) => {
      if (score !== undefined && Number.isFinite(score)) a!.score.set(t, Math.max(a!.score.get(t) ?? 0, score));
      if (flagged) a!.flagged.add(t);
    });
  }
  attachCompanions(accs, companions);
  const out: LogicalSeries[] = [];
  for (const [key, a] of accs) {
    const kind: SeriesKind = a.parts.has('count') ? 'histogram' : a.parts.has('total') ? 'counter' : 'gauge';
    const main = a.parts.get(kind === 'histogram' ? 'count' : kind === 'counter' ? 'total' : 'value');
    if (!main) continue;
    const ts = [...new Set([...main.keys(), ...a.score.keys()])].sort((x, y) => x - y);
    const sums = a.parts.get('sum');
    const points: Point[] = ts.map((t, i) => {
      let value: number | null = main.get(t) ?? null;
      if (kind !== 'gauge') {
        const prevT = ts[i - 1];
        const c = main.get(t), pc = prevT !== undefined ? main.get(prevT) : undefined;
        if (c === undefined || pc === undefined || prevT === undefined) value = null;
        else if (kind === 'counter') value = Math.max(0, c - pc) / ((t - prevT) / 1000);
        else {
          const s = sums?.get(t), ps = sums?.get(prevT);
          value = c > pc && s !== undefined && ps !== undefined ? (s - ps) / (c - pc) : null;
        }
      }
      return { t, value, score: a.score.get(t) ?? null, flagged: a.flagged.has(t) };
    });
    out.push({ key, name: a.name, kind, labels: a.labels, points });
  }
  return out.sort((x, y) => x.key.localeCompare(y.key));
}

/**
 * Joins each companion score series to the logical series it scores: the same labels (but
 * is_anomaly), and a name that starts with the companion's stem (VictoriaMetrics may have added a
 * unit suffix to the metric, e.g. _milliseconds, _total); the longest stem wins.
 */
function attachCompanions(accs: Map<string, Acc>, companions: ExportedSeries[]): void {
  const byLabels = new Map<string, Acc[]>();
  for (const a of accs.values()) {
    const { __name__: _, ...rest } = a.labels;
    const k = keyOf(rest);
    byLabels.set(k, [...(byLabels.get(k) ?? []), a]);
  }
  for (const c of companions) {
    const stem = COMPANION.exec(c.metric.__name__)![1];
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(c.metric)) if (k !== '__name__' && k !== 'is_anomaly') labels[k] = v;
    const a = (byLabels.get(keyOf(labels)) ?? []).filter((x) => x.name === stem || x.name.startsWith(`${stem}_`))
      .sort((x, y) => y.name.length - x.name.length)[0];
    if (!a) continue;
    const flagged = c.metric.is_anomaly === 'true';
    c.timestamps.forEach((t, i) => {
      a.score.set(t, Math.max(a.score.get(t) ?? 0, c.values[i]));
      if (flagged) a.flagged.add(t);
    });
  }
}

/** A short human name: metric{service, route/span/queue/...} without the resource noise. */
export function shortName(s: LogicalSeries): string {
  const skip = /^(__name__|deployment_environment_name|mirador_run_id|scope_name|scope_version|service_instance_id|service_namespace|service_version|otel_scope_.*|job|instance|telemetry_sdk_.*|http_request_method)$/;
  const parts = Object.entries(s.labels).filter(([k]) => !skip.test(k)).map(([k, v]) => `${k.replace(/^service_name$/, 'service')}=${v}`);
  return `${s.name}{${parts.join(',')}}`;
}
