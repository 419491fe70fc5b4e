// OTLP/HTTP JSON requests with exact, unique content, so the chart test can compare counts sent
// with counts stored (read back with src/harness).

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
