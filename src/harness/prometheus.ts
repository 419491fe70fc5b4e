/**
 * A collector's own telemetry (or Jaeger's, or any Prometheus text exposition) as samples one can
 * sum, by name and labels. Samples keep the names they have on the wire (`x_total`,
 * `h_bucket{le=..}`, `h_sum`, `h_count`), which is how tests and reports name them.
 *
 * Own parser, not parse-prometheus-text-format (1.1.1): on otelcol's output that library drops
 * the labels and the _sum/_count lines of labelled histograms without an error.
 */

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

// name{label="value",...} value [timestamp]; label values escape \\, \" and \n.
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?\s*$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)/y;
const unescape = (v: string) => v.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const m = LABEL.exec(text);
    if (!m) throw new Error(`not a Prometheus text exposition: bad labels in "${line.slice(0, 200)}"`);
    labels[m[1]] = unescape(m[2]);
  }
  return labels;
}

/** Parses a Prometheus text exposition (format 0.0.4); a line it cannot read is an error quoting it. */
export function parsePrometheusText(text: string): Exposition {
  const samples: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    const value = m ? Number(m[3].replace(/^\+?Inf$/, 'Infinity').replace(/^-Inf$/, '-Infinity')) : NaN;
    if (!m || (Number.isNaN(value) && m[3] !== 'NaN')) throw new Error(`not a Prometheus text exposition: cannot read "${line.slice(0, 200)}"`);
    samples.push({ name: m[1], labels: m[2] ? parseLabels(m[2], line) : {}, value });
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
