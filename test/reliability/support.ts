/**
 * Shared pieces of the reliability suites: a steady OTLP sender that retries until acknowledged
 * (so "sent" is exact), a JSON OTLP sink that keeps every data point, and stored-point counts
 * read back from VictoriaMetrics.
 */
import { createServer, type Server } from 'node:http';
import { encodeGauges, postMetrics } from '../../bench/pipeline/lib/otlp-proto.js';
import { vmExport } from '../../src/pipeline/stored.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface SteadySender {
  /** Points acknowledged (HTTP 200) so far. */
  sent(): number;
  /** Requests answered with something else than 200, or that failed to connect (each was retried). */
  retries(): number;
  /** Finishes the step in flight (retrying it until acknowledged) and stops. */
  stop(): Promise<number>;
}

/**
 * Every intervalMs, one request of `series` gauge points `metric{series="s<i>"}` at a timestamp
 * unique to the step; a failed request is re-sent (same body) until it is acknowledged.
 */
export function steadySender(o: { endpoint: string; metric: string; series: number; intervalMs: number; t0Ms?: number }): SteadySender {
  const t0 = o.t0Ms ?? Date.now();
  let stopping = false, sent = 0, retries = 0;
  const loop = (async () => {
    for (let step = 0; !stopping; step++) {
      const due = t0 + step * o.intervalMs;
      const t = BigInt(due) * 1_000_000n;
      const points = Array.from({ length: o.series }, (_, i) => ({ attributes: { series: `s${i}` }, timeUnixNano: t, value: 50 + i + Math.sin(step / 7) }));
      const body = encodeGauges([{ resource: { 'service.name': 'reliability' }, metrics: [{ name: o.metric, points }] }]);
      const deadline = Date.now() + 120_000;
      for (;;) {
        const status = await postMetrics(o.endpoint, body).then((r) => r.status, () => 0);
        if (status === 200) break;
        retries++;
        if (Date.now() > deadline) throw new Error(`sender: step ${step} not acknowledged for 120 s (last status ${status})`);
        await sleep(200);
      }
      sent += o.series;
      await sleep(Math.max(0, t0 + (step + 1) * o.intervalMs - Date.now()));
    }
  })();
  return { sent: () => sent, retries: () => retries, stop: async () => { stopping = true; await loop; return sent; } };
}

const ANOMALY_LABELS = new Set(['anomaly_score', 'is_anomaly']);

/**
 * Points stored for a selector: raw samples, and distinct (series without the processor's
 * anomaly labels, timestamp) pairs — a point re-sent after a retry and scored again may carry
 * another score label, so it is one point stored twice rather than a new one.
 */
export async function storedPoints(vmUrl: string, selector: string, startMs: number, endMs: number): Promise<{ raw: number; distinct: number; scored: number }> {
  const series = await vmExport(vmUrl, selector, startMs, endMs);
  const seen = new Set<string>();
  let raw = 0, scored = 0;
  for (const s of series) {
    const labels = Object.entries(s.metric).filter(([k]) => !ANOMALY_LABELS.has(k)).sort(([a], [b]) => a.localeCompare(b));
    const key = JSON.stringify(labels);
    raw += s.timestamps.length;
    if (s.metric.anomaly_score !== undefined) scored += s.timestamps.length;
    for (const t of s.timestamps) seen.add(`${key}@${t}`);
  }
  return { raw, distinct: seen.size, scored };
}

// ---- JSON OTLP sink -------------------------------------------------------------------------------
export interface KeyValue { key: string; value: { stringValue?: string; doubleValue?: number; boolValue?: boolean; intValue?: string } }
export interface SinkPoint { metric: string; attributes: KeyValue[]; asDouble?: number | string; asInt?: string; timeUnixNano: string }

export interface JsonSink {
  url: string;
  points: SinkPoint[];
  byMetric(name: string): SinkPoint[];
  close(): Promise<void>;
}

/** Accepts OTLP/HTTP JSON metrics (otlphttp exporter with encoding: json) and keeps every point. */
export async function startJsonSink(port: number): Promise<JsonSink> {
  const points: SinkPoint[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        for (const rm of body.resourceMetrics ?? []) for (const sm of rm.scopeMetrics ?? []) for (const m of sm.metrics ?? []) {
          for (const p of m.gauge?.dataPoints ?? m.sum?.dataPoints ?? []) points.push({ metric: m.name, attributes: p.attributes ?? [], asDouble: p.asDouble, asInt: p.asInt, timeUnixNano: p.timeUnixNano });
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } catch (e) {
        res.writeHead(400).end(String(e));
      }
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${port}`, points,
    byMetric: (name) => points.filter((p) => p.metric === name),
    close: () => new Promise((r) => server.close(() => r())),
  };
}

export const attr = (p: SinkPoint, key: string) => p.attributes.find((a) => a.key === key)?.value;
export { sleep };
