/**
 * The reliability suites' sender: a steady OTLP load that retries every request until it is
 * acknowledged, so "sent" is exact. Everything else they use comes from the harness.
 */
import { encodeGauges, postMetrics } from '../../src/harness/index.js';

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

export { sleep };
