/**
 * The reliability suites' sender: a steady OTLP load that retries every request until it is
 * acknowledged, so "sent" is exact. Everything else they use comes from the harness.
 */
import { attr, encodeGauges, postMetrics, type JsonSink, type SinkPoint } from '../../src/harness/index.js';

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
 * unique to the step; a failed request is re-sent (same body) until it is acknowledged. With
 * `services`, series i belongs to the resource `service.name=<services[i % services.length]>` (a
 * gateway routing by resource then spreads them over its targets); default one resource,
 * `reliability`.
 */
export function steadySender(o: { endpoint: string; metric: string; series: number; intervalMs: number; t0Ms?: number; services?: string[] }): SteadySender {
  const t0 = o.t0Ms ?? Date.now();
  let stopping = false, sent = 0, retries = 0;
  const loop = (async () => {
    for (let step = 0; !stopping; step++) {
      const due = t0 + step * o.intervalMs;
      const t = BigInt(due) * 1_000_000n;
      const services = o.services ?? ['reliability'];
      const body = encodeGauges(services.map((service, k) => ({
        resource: { 'service.name': service },
        metrics: [{
          name: o.metric,
          points: Array.from({ length: o.series }, (_, i) => i).filter((i) => i % services.length === k)
            .map((i) => ({ attributes: { series: `s${i}` }, timeUnixNano: t, value: 50 + i + Math.sin(step / 7) })),
        }],
      })));
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

export { sleep };

/**
 * The anomaly score the processor gave point p, from its companion point (the default output
 * mode): the point of `<metric>_anomaly_score` with p's timestamp and attributes (plus is_anomaly);
 * undefined when p was not scored.
 */
export function scoreOf(sink: JsonSink, p: SinkPoint): number | undefined {
  const c = sink.byMetric(`${p.metric}_anomaly_score`).find((q) => q.timeUnixNano === p.timeUnixNano &&
    p.attributes.every((a) => JSON.stringify(attr(q, a.key)) === JSON.stringify(a.value)));
  return c === undefined ? undefined : Number(c.asDouble);
}
