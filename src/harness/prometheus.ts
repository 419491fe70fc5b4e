/**
 * A collector's own telemetry (or Jaeger's, or any Prometheus text exposition) as samples one can
 * sum, by family and labels. Parsing is parse-prometheus-text-format's (a port of Prometheus' own
 * text parser); this module only flattens its families back into the sample names one sees on the
 * wire (`x_total`, `h_bucket{le=..}`, `h_sum`, `h_count`), which is how tests and reports name them.
 */
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export type LabelFilter = Record<string, string>;

const matches = (s: Sample, where?: LabelFilter) => !where || Object.entries(where).every(([k, v]) => s.labels[k] === v);

/** A parsed exposition: every sample, and sums over them. */
export class Exposition {
  constructor(readonly samples: Sample[]) {}

  /** Sum of every sample named `name` whose labels include `where` (0 when there is none). */
  sum(name: string, where?: LabelFilter): number {
    let total = 0;
    for (const s of this.samples) if (s.name === name && matches(s, where)) total += s.value;
    return total;
  }

  /** Sums of the samples named `name`, grouped by the value of label `by`. */
  sumBy(name: string, by: string, where?: LabelFilter): Map<string, number> {
    const out = new Map<string, number>();
    for (const s of this.samples) {
      if (s.name !== name || !matches(s, where)) continue;
      const key = s.labels[by] ?? '';
      out.set(key, (out.get(key) ?? 0) + s.value);
    }
    return out;
  }

  /** Whether any sample has this name. */
  has(name: string): boolean {
    return this.samples.some((s) => s.name === name);
  }

  /** Sample names starting with `prefix` (for families whose exact name carries a unit suffix). */
  names(prefix = ''): string[] {
    return [...new Set(this.samples.map((s) => s.name).filter((n) => n.startsWith(prefix)))];
  }
}

/** Parses a Prometheus text exposition; malformed text is an error naming what failed. */
export function parsePrometheusText(text: string): Exposition {
  let families: ReturnType<typeof parsePrometheusTextFormat>;
  try {
    families = parsePrometheusTextFormat(text);
  } catch (e) {
    throw new Error(`not a Prometheus text exposition (${(e as Error).message}): ${text.slice(0, 200)}`);
  }
  const samples: Sample[] = [];
  for (const f of families) {
    for (const m of f.metrics) {
      const labels = m.labels ?? {};
      const push = (name: string, value: string, extra?: LabelFilter) =>
        samples.push({ name, labels: extra ? { ...labels, ...extra } : labels, value: Number(value) });
      if ('buckets' in m && m.buckets) for (const [le, v] of Object.entries(m.buckets)) push(`${f.name}_bucket`, v, { le });
      if ('quantiles' in m && m.quantiles) for (const [q, v] of Object.entries(m.quantiles)) push(f.name, v, { quantile: q });
      if ('value' in m && m.value !== undefined) push(f.name, m.value);
      if ('sum' in m && m.sum !== undefined) push(`${f.name}_sum`, m.sum);
      if ('count' in m && m.count !== undefined) push(`${f.name}_count`, m.count);
    }
  }
  return new Exposition(samples);
}

/** GETs a /metrics endpoint and parses it. */
export async function scrape(url: string): Promise<Exposition> {
  const res = await fetch(url);
  const body = await res.text();
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}: ${body.slice(0, 200)}`);
  return parsePrometheusText(body);
}
