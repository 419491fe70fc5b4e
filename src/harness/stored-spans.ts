/**
 * Spans stored in Jaeger, counted exactly: every span record of the traces that touch a service
 * (a span stored twice counts twice), distinct span ids and duplicates, per service.
 */

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
    // A full answer may have left traces out: say so rather than count too few.
    if (spansOf.size >= TRACES_PER_QUERY) {
      throw new Error(`Jaeger returned ${spansOf.size} traces for one ${sliceMs} ms slice, its limit per query: counts would be short; use a smaller slice`);
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

// Jaeger refuses a search depth that is not below its store's max_traces (100,000 in its default
// in-memory config, as in the Kubernetes backends; the local launcher sets 1,000,000).
const TRACES_PER_QUERY = 50_000;

async function jaegerFindTraces(queryUrl: string, service: string, startMs: number, endMs: number): Promise<ResourceSpans[]> {
  const q = new URLSearchParams({
    'query.service_name': service,
    'query.start_time_min': new Date(startMs).toISOString(),
    'query.start_time_max': new Date(endMs).toISOString(),
    'query.num_traces': String(TRACES_PER_QUERY),
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
