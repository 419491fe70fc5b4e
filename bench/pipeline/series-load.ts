/**
 * Sends rounds of gauge points over many distinct series (OTLP/HTTP protobuf): series i is
 * metric `bench_gauge_<i % metrics>` with attribute series="s<i>", one point per series per round,
 * timestamps advancing by one second per round. Requests carry `perRequest` points and up to
 * `concurrency` are in flight; a non-200 answer is an error naming the status and body.
 */
import { encodeGauges, postMetrics, type GaugeMetric } from '../../src/harness/otlp-proto.js';

export interface SeriesLoad {
  endpoint: string; // http://127.0.0.1:port
  series: number;
  metrics?: number;
  perRequest?: number;
  concurrency?: number;
  /** Nanosecond timestamp of round 0. */
  t0?: bigint;
}

function request(l: Required<SeriesLoad>, round: number, from: number, to: number): Buffer {
  const byMetric = new Map<number, GaugeMetric>();
  const t = l.t0 + BigInt(round) * 1_000_000_000n;
  for (let i = from; i < to; i++) {
    const m = i % l.metrics;
    let g = byMetric.get(m);
    if (!g) byMetric.set(m, (g = { name: `bench_gauge_${m}`, points: [] }));
    // A steady level per series with a little deterministic wobble.
    g.points.push({ attributes: { series: `s${i}` }, timeUnixNano: t, value: 100 + (i % 97) + ((i * 31 + round * 17) % 13) / 10 });
  }
  return encodeGauges([{ resource: { 'service.name': 'bench' }, metrics: [...byMetric.values()] }]);
}

/** One round over every series; resolves with the points sent. */
export async function sendRound(load: SeriesLoad, round: number): Promise<number> {
  const l: Required<SeriesLoad> = { metrics: 10, perRequest: 1000, concurrency: 4, t0: BigInt(Date.now() - 3_600_000) * 1_000_000n, ...load };
  let next = 0;
  const worker = async () => {
    while (next < l.series) {
      const from = next;
      next = Math.min(l.series, next + l.perRequest);
      const r = await postMetrics(l.endpoint, request(l, round, from, next));
      if (r.status !== 200) throw new Error(`POST ${l.endpoint}/v1/metrics: HTTP ${r.status}: ${r.text.slice(0, 300)}`);
    }
  };
  await Promise.all(Array.from({ length: l.concurrency }, worker));
  return l.series;
}
