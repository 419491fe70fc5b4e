// OTLP/HTTP JSON requests with exact, unique content, and read-back from the backends, so the
// chart test can compare counts sent with counts stored.
import cassandra from 'cassandra-driver';

let clock = BigInt(Date.now()) * 1_000_000n;
/** Strictly increasing nanosecond timestamps: no two generated records share one. */
const nextNs = () => String((clock += 1_000_000n));

const resource = (service: string) => ({ attributes: [{ key: 'service.name', value: { stringValue: service } }] });

/** Gauge points of one metric, `perService` points for each of `services` resources. */
export function metricsPayload(metric: string, services: string[], perService: number) {
  return {
    resourceMetrics: services.map((s) => ({
      resource: resource(s),
      scopeMetrics: [{
        scope: { name: 'mirador-k8s-test' },
        metrics: [{
          name: metric,
          gauge: { dataPoints: Array.from({ length: perService }, (_, i) => ({ timeUnixNano: nextNs(), asDouble: 10 + Math.sin(i) })) },
        }],
      }],
    })),
  };
}

/** Log records with distinct bodies, `perService` for each service. */
export function logsPayload(tag: string, services: string[], perService: number) {
  return {
    resourceLogs: services.map((s) => ({
      resource: resource(s),
      scopeLogs: [{
        scope: { name: 'mirador-k8s-test' },
        logRecords: Array.from({ length: perService }, (_, i) => ({
          timeUnixNano: nextNs(), severityNumber: 9, severityText: 'INFO', body: { stringValue: `${tag} ${s} #${i}` },
        })),
      }],
    })),
  };
}

export async function postOtlp(base: string, signal: 'metrics' | 'logs' | 'traces', body: unknown): Promise<void> {
  const res = await fetch(`${base}/v1/${signal}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`POST ${base}/v1/${signal}: HTTP ${res.status} ${text}`);
}

export interface StoredPoints {
  series: number;
  /** Raw samples, duplicates included. */
  points: number;
  /** Distinct sample timestamps: every generated point has its own millisecond, so this counts distinct points. */
  distinct: number;
  scored: number;
  anomalous: number;
}

/** Every raw sample of one metric in VictoriaMetrics (all label sets, scored or not). */
export async function vmPoints(vm: string, metric: string): Promise<StoredPoints> {
  const res = await fetch(`${vm}/api/v1/export`, {
    method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ 'match[]': `{__name__="${metric}"}` }),
  });
  if (res.status !== 200) throw new Error(`VictoriaMetrics export: HTTP ${res.status}`);
  const out = { series: 0, points: 0, distinct: 0, scored: 0, anomalous: 0 };
  const stamps = new Set<number>();
  for (const line of (await res.text()).split('\n')) {
    if (!line.trim()) continue;
    const s = JSON.parse(line) as { metric: Record<string, string>; values: number[]; timestamps: number[] };
    out.series++;
    out.points += s.values.length;
    for (const t of s.timestamps) stamps.add(t);
    if ('anomaly_score' in s.metric && 'is_anomaly' in s.metric) out.scored += s.values.length;
    if (s.metric.is_anomaly === 'true') out.anomalous += s.values.length;
  }
  out.distinct = stamps.size;
  return out;
}

/** Spans of one service stored in Jaeger: total and distinct span ids. */
export async function jaegerSpans(jaeger: string, service: string): Promise<{ spans: number; distinct: number }> {
  const res = await fetch(`${jaeger}/api/traces?service=${encodeURIComponent(service)}&limit=100000&lookback=2h`);
  if (res.status !== 200) return { spans: 0, distinct: 0 }; // the service is unknown until its first span lands
  const data = (await res.json()).data as { spans: { spanID: string }[] }[];
  const ids = data.flatMap((t) => t.spans.map((s) => s.spanID));
  return { spans: ids.length, distinct: new Set(ids).size };
}

/** Rows of the cassandra_logs table for the given services. */
export async function cassandraRows(cqlPort: number, keyspace: string, table: string, bodyPrefix: string): Promise<number> {
  const client = new cassandra.Client({ contactPoints: [`127.0.0.1:${cqlPort}`], localDataCenter: 'datacenter1' });
  try {
    await client.connect();
    let n = 0;
    // The result stream is a Readable (the driver's typings say EventEmitter): pages on demand.
    const rows = client.stream(`SELECT body FROM ${keyspace}.${table}`, [], { prepare: true, fetchSize: 5000 }) as unknown as AsyncIterable<{ body: string }>;
    for await (const row of rows) {
      if (String(row.body).startsWith(bodyPrefix)) n++;
    }
    return n;
  } finally {
    await client.shutdown();
  }
}
