/**
 * What the backends hold: exact counts read back from Jaeger (spans, duplicates), VictoriaMetrics
 * (raw samples through the export API) and Cassandra (log rows), plus small query helpers.
 */
import cassandra from 'cassandra-driver';

// ---------------------------------------------------------------- Jaeger -----------------------

export interface StoredSpans {
  traces: number;
  /** Span records returned (a span stored twice counts twice). */
  spans: number;
  uniqueSpans: number;
  duplicates: number;
  byService: Record<string, number>;
}

/**
 * Every span of the traces that touch `service` with a start in [startMs, endMs], read through
 * Jaeger's api_v3 with raw_traces (no adjusters, so a duplicate is not silently merged), one
 * time slice at a time so a long run never arrives as one huge response. A trace that spans two
 * slices is counted once (by trace id).
 */
export async function jaegerStoredSpans(queryUrl: string, service: string, startMs: number, endMs: number, sliceMs = 60_000): Promise<StoredSpans> {
  const out: StoredSpans = { traces: 0, spans: 0, uniqueSpans: 0, duplicates: 0, byService: {} };
  const seenTraces = new Set<string>();
  for (let from = startMs; from < endMs; from += sliceMs) {
    const rs = await jaegerFindTraces(queryUrl, service, from, Math.min(endMs, from + sliceMs));
    const spansOf = new Map<string, { svc: string; spanId: string }[]>();
    for (const r of rs) {
      const svc = r.resource?.attributes?.find((a) => a.key === 'service.name')?.value?.stringValue ?? '?';
      for (const ss of r.scopeSpans ?? []) {
        for (const sp of ss.spans ?? []) {
          if (!spansOf.has(sp.traceId)) spansOf.set(sp.traceId, []);
          spansOf.get(sp.traceId)!.push({ svc, spanId: sp.spanId });
        }
      }
    }
    for (const [traceId, spans] of spansOf) {
      if (seenTraces.has(traceId)) continue;
      seenTraces.add(traceId);
      const ids = new Set(spans.map((x) => x.spanId));
      out.spans += spans.length;
      out.uniqueSpans += ids.size;
      for (const x of spans) out.byService[x.svc] = (out.byService[x.svc] ?? 0) + 1;
    }
  }
  out.traces = seenTraces.size;
  out.duplicates = out.spans - out.uniqueSpans;
  return out;
}

async function jaegerFindTraces(queryUrl: string, service: string, startMs: number, endMs: number): Promise<ResourceSpans[]> {
  const q = new URLSearchParams({
    'query.service_name': service,
    'query.start_time_min': new Date(startMs).toISOString(),
    'query.start_time_max': new Date(endMs).toISOString(),
    'query.num_traces': '1000000',
    'query.raw_traces': 'true',
  });
  const res = await fetch(`${queryUrl}/api/v3/traces?${q}`);
  const body = await res.text();
  // Jaeger answers 404 "trace not found" when nothing matches.
  if (res.status === 404) return [];
  if (!res.ok) throw new Error(`Jaeger ${queryUrl}/api/v3/traces: HTTP ${res.status}: ${body.slice(0, 300)}`);
  return (JSON.parse(body) as { result?: { resourceSpans?: ResourceSpans[] } }).result?.resourceSpans ?? [];
}

interface ResourceSpans {
  resource?: { attributes?: { key: string; value?: { stringValue?: string } }[] };
  scopeSpans?: { spans?: { traceId: string; spanId: string }[] }[];
}

// ---------------------------------------------------------------- VictoriaMetrics --------------

export interface ExportedSeries {
  metric: Record<string, string>;
  values: number[];
  timestamps: number[];
}

/** Raw samples of every series matching `selector` in [startMs, endMs] (/api/v1/export, JSON lines). */
export async function vmExport(vmUrl: string, selector: string, startMs: number, endMs: number): Promise<ExportedSeries[]> {
  const q = new URLSearchParams({ 'match[]': selector, start: String(Math.floor(startMs / 1000)), end: String(Math.ceil(endMs / 1000)) });
  const res = await fetch(`${vmUrl}/api/v1/export?${q}`);
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

// ---------------------------------------------------------------- Cassandra --------------------

/** Rows in keyspace.table, counted by paging through the partition keys (no single huge COUNT). */
export async function cassandraRowCount(host: string, port: number, keyspace: string, table: string): Promise<number> {
  const client = new cassandra.Client({
    contactPoints: [`${host}:${port}`], localDataCenter: 'datacenter1',
    socketOptions: { readTimeout: 60_000, connectTimeout: 10_000 },
  });
  try {
    await client.connect();
    const exists = await client.execute('SELECT table_name FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?', [keyspace, table], { prepare: true });
    if (exists.rowLength === 0) return 0;
    let n = 0;
    let pageState: string | undefined;
    do {
      const r = await client.execute(`SELECT service_name FROM ${keyspace}.${table}`, [], { fetchSize: 5000, pageState, prepare: true });
      n += r.rowLength;
      pageState = r.pageState ?? undefined;
    } while (pageState);
    return n;
  } finally {
    await client.shutdown();
  }
}

// ---------------------------------------------------------------- collector telemetry ----------

/** Sums of every series of each metric family in a Prometheus text exposition. */
export function parsePromText(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([A-Za-z_:][A-Za-z0-9_:]*)(\{.*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const v = Number(m[3]);
    if (Number.isFinite(v)) out.set(m[1], (out.get(m[1]) ?? 0) + v);
  }
  return out;
}

export async function scrape(url: string): Promise<Map<string, number>> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return parsePromText(await res.text());
}
