/**
 * Our processor (its defaults: output_mode metrics) at many active series: throughput and memory
 * per series, and eviction past max_series. OTLP/HTTP protobuf (series-load.ts) -> otelcol-mirador [isolationforest] ->
 * counting sink. Memory: RSS growth over the empty collector divided by the series (the brief's
 * figure, which includes Go's GC headroom), and the live Go heap growth after a forced GC
 * (pprof heap?gc=1), which is what the series really hold.
 */
import {
  cpuSeconds, freePorts, otlpReceiver, otlpTo, peakRss, rss, sinkConfig, startCollector, type RunningCollector,
} from '../../src/harness/index.js';
import { sendRound } from './series-load.js';
import { heapTop } from './profile.js';

export interface ScaleRow {
  series: number;
  maxSeries: number;
  rounds: number;
  /** Points/s and CPU-s per million points over the scored rounds (after warm-up). */
  pointsPerSec: number;
  cpuSecPerMillion: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  peakRssBytes: number;
  rssBytesPerSeries: number;
  heapBytesPerSeries: number;
  activeSeries: number;
  evictions: number;
  pointsScored: number;
  /** `go tool pprof -top` of the in-use heap at the end (largest run only). */
  heapProfile?: string;
}

export interface ScaleResult {
  warmupPoints: number;
  rows: ScaleRow[];
  /** RSS and heap growth per series between the two largest runs (cancels fixed costs). */
  marginal?: { fromSeries: number; toSeries: number; rssBytesPerSeries: number; heapBytesPerSeries: number };
  eviction: ScaleRow;
}

const WARMUP = 2; // the smallest warm-up the processor accepts, so few rounds reach scoring

/** Live Go heap after a forced GC: pprof's heap endpoint with gc=1 and debug=1 prints runtime.MemStats. */
async function liveHeap(c: RunningCollector): Promise<number> {
  const text = await (await fetch(`${c.pprofUrl!}/heap?gc=1&debug=1`)).text();
  const m = /^# HeapAlloc = (\d+)$/m.exec(text);
  if (!m) throw new Error(`${c.name}: no HeapAlloc in ${c.pprofUrl}/heap?debug=1`);
  return Number(m[1]);
}

async function runOne(dir: string, series: number, maxSeries: number, rounds: number, profile = false): Promise<ScaleRow> {
  const [http, sinkGrpc] = await freePorts(2);
  const sink = await startCollector({ name: `scale-sink-${series}-${maxSeries}`, dir, config: sinkConfig({ grpc: sinkGrpc }) });
  const col = await startCollector({
    name: `scale-${series}-${maxSeries}`, dir, config: {
      receivers: otlpReceiver({ http }),
      processors: { isolationforest: { max_series: maxSeries, warmup_points: WARMUP } },
      exporters: { otlp: otlpTo(sinkGrpc, { compression: 'none', sending_queue: { enabled: false } }) },
      pipelines: { metrics: { receivers: ['otlp'], processors: ['isolationforest'], exporters: ['otlp'] } },
    },
  });
  try {
    const endpoint = `http://127.0.0.1:${http}`;
    // Warm the forests (one per metric name) with a few series, so the baseline holds the fixed costs.
    for (let r = 0; r < WARMUP + 3; r++) await sendRound({ endpoint, series: 100, t0: 0n + BigInt(Date.now() - 7_200_000) * 1_000_000n }, r);
    const heap0 = await liveHeap(col);
    const rss0 = rss(col.pid);
    let scoredPoints = 0, scoredMs = 0, scoredCpu = 0;
    for (let r = 0; r < rounds; r++) {
      const c0 = cpuSeconds(col.pid), w0 = performance.now();
      const n = await sendRound({ endpoint, series }, r);
      if (r >= WARMUP) { scoredPoints += n; scoredMs += performance.now() - w0; scoredCpu += cpuSeconds(col.pid) - c0; }
      process.stdout.write(`  scale ${series.toLocaleString('en-US')} series (max_series ${maxSeries.toLocaleString('en-US')}): round ${r + 1}/${rounds} ${((performance.now() - w0) / 1000).toFixed(1)} s\n`);
    }
    const rss1 = rss(col.pid);
    const heap1 = await liveHeap(col);
    const t = await col.telemetry();
    const heapProfile = profile ? await heapTop(col.pprofUrl!, dir, `scale-${series}`) : undefined;
    const held = Math.min(series, maxSeries);
    return {
      series, maxSeries, rounds,
      pointsPerSec: scoredPoints / (scoredMs / 1000), cpuSecPerMillion: (scoredCpu / scoredPoints) * 1e6,
      rssBeforeBytes: rss0, rssAfterBytes: rss1, peakRssBytes: peakRss(col.pid),
      rssBytesPerSeries: (rss1 - rss0) / held, heapBytesPerSeries: (heap1 - heap0) / held,
      activeSeries: t.sum('otelcol_processor_isolationforest_active_series'),
      evictions: t.sum('otelcol_processor_isolationforest_evictions_total'),
      pointsScored: t.sum('otelcol_processor_isolationforest_points_scored_total'),
      heapProfile,
    };
  } finally {
    await col.stop();
    await sink.stop();
  }
}

export async function runScale(o: { dir: string; series: number[] }): Promise<ScaleResult> {
  const rows: ScaleRow[] = [];
  const largest = Math.max(...o.series);
  // max_series exactly the active series: the shards draw on one budget, so however unevenly the
  // series hash, nothing is evicted (the table's evictions column shows it)
  for (const n of o.series) rows.push(await runOne(o.dir, n, Math.max(n, 100_000), WARMUP + 2, n === largest));
  // Past max_series: 10x the budget of distinct series, several rounds; the state must stay at the budget.
  const eviction = await runOne(o.dir, largest, Math.max(1000, Math.round(largest / 10)), WARMUP + 1);
  const [a, b] = [...rows].sort((x, y) => x.series - y.series).slice(-2);
  const marginal = a && b && a.series < b.series ? {
    fromSeries: a.series, toSeries: b.series,
    rssBytesPerSeries: ((b.rssAfterBytes - b.rssBeforeBytes) - (a.rssAfterBytes - a.rssBeforeBytes)) / (b.series - a.series),
    heapBytesPerSeries: (b.heapBytesPerSeries * b.series - a.heapBytesPerSeries * a.series) / (b.series - a.series),
  } : undefined;
  return { warmupPoints: WARMUP, rows, marginal, eviction };
}
