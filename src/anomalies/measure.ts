/**
 * What anomaly events cost: the isolationforest processor with `events::enabled: false` against
 * `true` wired as the chart wires it (an `anomaly_events` receiver naming the processor, a logs
 * pipeline exporting the events over OTLP), configurations alternated per round in one run, under
 * the loads of `npm run bench:pipeline`:
 *
 *   throughput  telemetrygen gauges, unthrottled (the benchmark's throughput phase: 4 workers,
 *               batches of 1000, 5 s warm-up, 15 s window) -> collector -> OTLP gRPC -> counting sink
 *   series      OTLP/HTTP protobuf rounds over 10,000 gauge series of 10 metrics (the benchmark's
 *               scale load), one point per series per round of 1 s of point time; steady rounds,
 *               then every series steps to a new level (an incident felt by every series: each one
 *               opens an episode, the worst burst of events)
 *
 * For each: points/s (and CPU-s per million points) of both configurations, their ratio, and the
 * events emitted (the processor's own counters; the sink's accepted log records confirm delivery)
 * per second of point time per 1000 series.
 *
 *   node scripts/run-ts.mjs src/anomalies/measure.ts [--rounds 3] [--series 10000] [--out file.json]
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import {
  cpuSeconds, encodeGauges, freePorts, otlpReceiver, otlpTo, postMetrics, repoRoot, sinkConfig, startCollector, startProcess, toolPath,
  type CollectorConfig, type Exposition, type GaugeMetric, type RunningCollector,
} from '../harness/index.js';

type Events = 'off' | 'on';

/** The collector under test: metrics through isolationforest to the sink; with events on, the chart's events wiring to the sink too. */
export function collectorConfig(events: Events, sinkGrpc: number, o: { http?: number; grpc?: number; processor?: Record<string, unknown> }): CollectorConfig {
  const toSink = { otlp: otlpTo(sinkGrpc, { compression: 'none', sending_queue: { enabled: false } }) };
  const processor = { ...o.processor, events: { enabled: events === 'on' } };
  return {
    receivers: { ...otlpReceiver({ grpc: o.grpc, http: o.http }), ...(events === 'on' ? { anomaly_events: { processor: 'isolationforest' } } : {}) },
    processors: { isolationforest: processor },
    exporters: { ...toSink, ...(events === 'on' ? { 'otlp/events': otlpTo(sinkGrpc) } : {}) },
    pipelines: {
      metrics: { receivers: ['otlp'], processors: ['isolationforest'], exporters: ['otlp'] },
      ...(events === 'on' ? { 'logs/anomalies': { receivers: ['anomaly_events'], exporters: ['otlp/events'] } } : {}),
    },
  };
}

interface ProcessorCounts { scored: number; alarms: number; onsets: number; resolves: number; dropped: number; series: number }

function counts(t: Exposition): ProcessorCounts {
  const p = 'otelcol_processor_isolationforest_';
  return {
    scored: t.sum(`${p}points_scored_total`), alarms: t.sum(`${p}alarms_total`, { transition: 'onset' }),
    onsets: t.sum(`${p}events_total`, { transition: 'onset' }), resolves: t.sum(`${p}events_total`, { transition: 'resolve' }),
    dropped: t.sum(`${p}events_dropped_total`), series: t.sum(`${p}active_series`),
  };
}
const diff = (a: ProcessorCounts, b: ProcessorCounts): ProcessorCounts =>
  ({ scored: b.scored - a.scored, alarms: b.alarms - a.alarms, onsets: b.onsets - a.onsets, resolves: b.resolves - a.resolves, dropped: b.dropped - a.dropped, series: b.series });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ThroughputSample {
  events: Events;
  round: number;
  pointsPerSec: number;
  cpuSecPerMillion: number;
  windowSec: number;
  processor: ProcessorCounts;
  /** Events emitted in the window, per second, per 1000 series held. */
  eventsPerSecPer1000Series: number;
}

async function throughputRound(events: Events, round: number, dir: string, sinkGrpc: number): Promise<ThroughputSample> {
  const warmSec = 5, windowSec = 15;
  const [grpc] = await freePorts(1);
  const col = await startCollector({ name: `events-${events}-r${round}`, dir, config: collectorConfig(events, sinkGrpc, { grpc }) });
  const gen = startProcess({
    name: 'telemetrygen', cmd: toolPath('telemetrygen'), logFile: join(dir, `telemetrygen-${events}-r${round}.log`),
    args: ['metrics', '--otlp-endpoint', `127.0.0.1:${grpc}`, '--otlp-insecure', '--workers', '4', '--rate', '0', '--batch-size', '1000',
      '--metric-type', 'Gauge', '--duration', `${warmSec + windowSec + 30}s`, '--interval', '10s', '--allow-export-failures'],
  });
  try {
    await sleep(warmSec * 1000);
    const t0 = await col.telemetry(), c0 = cpuSeconds(col.pid), w0 = performance.now();
    await sleep(windowSec * 1000);
    const t1 = await col.telemetry(), c1 = cpuSeconds(col.pid), w1 = performance.now();
    const sec = (w1 - w0) / 1000;
    const sent = t1.sum('otelcol_exporter_sent_metric_points_total', { exporter: 'otlp' }) - t0.sum('otelcol_exporter_sent_metric_points_total', { exporter: 'otlp' });
    if (sent <= 0) throw new Error(`events ${events}: no points sent in the window:\n${col.process.tail(20)}\n${gen.tail(10)}`);
    const p = diff(counts(t0), counts(t1));
    return {
      events, round, pointsPerSec: sent / sec, cpuSecPerMillion: ((c1 - c0) / sent) * 1e6, windowSec: sec, processor: p,
      eventsPerSecPer1000Series: p.series ? ((p.onsets + p.resolves) / sec / p.series) * 1000 : 0,
    };
  } finally {
    await gen.stop(2_000);
    await col.stop();
  }
}

/** One round of the series load: one point per series, 1 s of point time after the previous round. */
async function seriesRound(endpoint: string, series: number, round: number, t0: bigint, level: (i: number) => number): Promise<void> {
  const metrics = 10, perRequest = 1000, concurrency = 4;
  let next = 0;
  const t = t0 + BigInt(round) * 1_000_000_000n;
  const worker = async () => {
    while (next < series) {
      const from = next;
      next = Math.min(series, next + perRequest);
      const byMetric = new Map<number, GaugeMetric>();
      for (let i = from; i < next; i++) {
        let g = byMetric.get(i % metrics);
        if (!g) byMetric.set(i % metrics, (g = { name: `bench_gauge_${i % metrics}`, points: [] }));
        g.points.push({ attributes: { series: `s${i}` }, timeUnixNano: t, value: level(i) + ((i * 31 + round * 17) % 13) / 10 });
      }
      const r = await postMetrics(endpoint, encodeGauges([{ resource: { 'service.name': 'bench' }, metrics: [...byMetric.values()] }]));
      if (r.status !== 200) throw new Error(`POST ${endpoint}/v1/metrics: HTTP ${r.status}: ${r.text.slice(0, 300)}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

export interface SeriesSample {
  events: Events;
  round: number;
  series: number;
  steady: { rounds: number; pointsPerSec: number; cpuSecPerMillion: number; processor: ProcessorCounts; eventsPerSecPer1000Series: number };
  step: { rounds: number; pointsPerSec: number; cpuSecPerMillion: number; processor: ProcessorCounts; eventsPerSecPer1000Series: number };
  /** Log records the sink accepted (the events delivered). */
  delivered: number;
}

async function seriesRun(events: Events, round: number, dir: string, series: number): Promise<SeriesSample> {
  const warm = 12, steady = 20, step = 5;
  const [http, sinkGrpc] = await freePorts(2);
  const sink = await startCollector({ name: `series-sink-${events}-r${round}`, dir, config: sinkConfig({ grpc: sinkGrpc }) });
  const col = await startCollector({ name: `series-${events}-r${round}`, dir, config: collectorConfig(events, sinkGrpc, { http }) });
  try {
    const endpoint = `http://127.0.0.1:${http}`;
    const t0 = BigInt(Date.now() - 3_600_000) * 1_000_000n;
    const base = (i: number) => 100 + (i % 97);
    let r = 0;
    for (; r < warm; r++) await seriesRound(endpoint, series, r, t0, base);
    const phase = async (rounds: number, level: (i: number) => number) => {
      const a = counts(await col.telemetry()), c0 = cpuSeconds(col.pid), w0 = performance.now();
      for (let k = 0; k < rounds; k++, r++) await seriesRound(endpoint, series, r, t0, level);
      const sec = (performance.now() - w0) / 1000, cpu = cpuSeconds(col.pid) - c0;
      const p = diff(a, counts(await col.telemetry()));
      // Per second of the points' own time (one round = 1 s), per 1000 series.
      return { rounds, pointsPerSec: (rounds * series) / sec, cpuSecPerMillion: (cpu / (rounds * series)) * 1e6, processor: p, eventsPerSecPer1000Series: ((p.onsets + p.resolves) / rounds / series) * 1000 };
    };
    const s = await phase(steady, base);
    // Every series 40 range widths above its level: one episode each.
    const st = await phase(step, (i) => base(i) + 40 * 1.3);
    await sleep(2000);
    const delivered = await sink.metric('otelcol_receiver_accepted_log_records_total');
    return { events, round, series, steady: s, step: st, delivered };
  } finally {
    await col.stop();
    await sink.stop();
  }
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

{
  const { values: opts } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, series: { type: 'string', default: '10000' }, out: { type: 'string' } } });
  const rounds = Number(opts.rounds), series = Number(opts.series);
  mkdirSync(join(repoRoot(), '.run/measure-events'), { recursive: true });
  const dir = mkdtempSync(join(repoRoot(), '.run/measure-events/run-'));
  console.log(`anomaly events: cost and rate; work dir ${dir}; ${rounds} rounds, events off/on alternated`);
  const started = new Date().toISOString();
  const load0 = loadavg()[0];

  const [sinkGrpc] = await freePorts(1);
  const sink: RunningCollector = await startCollector({ name: 'sink', dir, config: sinkConfig({ grpc: sinkGrpc }) });
  const tput: ThroughputSample[] = [];
  try {
    for (let r = 1; r <= rounds; r++) {
      for (const ev of (r % 2 ? ['off', 'on'] : ['on', 'off']) as Events[]) {
        const s = await throughputRound(ev, r, dir, sinkGrpc);
        tput.push(s);
        console.log(`  throughput round ${r} events ${ev.padEnd(3)} ${Math.round(s.pointsPerSec).toLocaleString('en-US').padStart(9)} points/s  ${s.cpuSecPerMillion.toFixed(2)} CPU-s/M  ` +
          `series ${s.processor.series}  alarms ${s.processor.alarms}  events ${s.processor.onsets}+${s.processor.resolves}  dropped ${s.processor.dropped}`);
      }
    }
  } finally {
    await sink.stop();
  }
  const ser: SeriesSample[] = [];
  for (let r = 1; r <= rounds; r++) {
    for (const ev of (r % 2 ? ['off', 'on'] : ['on', 'off']) as Events[]) {
      const s = await seriesRun(ev, r, dir, series);
      ser.push(s);
      console.log(`  series ${series} round ${r} events ${ev.padEnd(3)} steady ${Math.round(s.steady.pointsPerSec).toLocaleString('en-US')} points/s ${s.steady.cpuSecPerMillion.toFixed(2)} CPU-s/M (events ${s.steady.processor.onsets}+${s.steady.processor.resolves}), ` +
        `step ${Math.round(s.step.pointsPerSec).toLocaleString('en-US')} points/s ${s.step.cpuSecPerMillion.toFixed(2)} CPU-s/M (alarms ${s.step.processor.alarms}, events ${s.step.processor.onsets}+${s.step.processor.resolves}, dropped ${s.step.processor.dropped}), delivered ${s.delivered}`);
    }
  }
  const med = <T>(xs: T[], f: (x: T) => number) => median(xs.map(f));
  const by = <T extends { events: Events }>(xs: T[], ev: Events) => xs.filter((x) => x.events === ev);
  const summary = {
    throughput: {
      pointsPerSec: { off: med(by(tput, 'off'), (x) => x.pointsPerSec), on: med(by(tput, 'on'), (x) => x.pointsPerSec) },
      cpuSecPerMillion: { off: med(by(tput, 'off'), (x) => x.cpuSecPerMillion), on: med(by(tput, 'on'), (x) => x.cpuSecPerMillion) },
      series: med(by(tput, 'on'), (x) => x.processor.series),
      eventsPerSecPer1000Series: med(by(tput, 'on'), (x) => x.eventsPerSecPer1000Series),
    },
    series: {
      series,
      steady: {
        pointsPerSec: { off: med(by(ser, 'off'), (x) => x.steady.pointsPerSec), on: med(by(ser, 'on'), (x) => x.steady.pointsPerSec) },
        cpuSecPerMillion: { off: med(by(ser, 'off'), (x) => x.steady.cpuSecPerMillion), on: med(by(ser, 'on'), (x) => x.steady.cpuSecPerMillion) },
        eventsPerSecPer1000Series: med(by(ser, 'on'), (x) => x.steady.eventsPerSecPer1000Series),
      },
      step: {
        pointsPerSec: { off: med(by(ser, 'off'), (x) => x.step.pointsPerSec), on: med(by(ser, 'on'), (x) => x.step.pointsPerSec) },
        cpuSecPerMillion: { off: med(by(ser, 'off'), (x) => x.step.cpuSecPerMillion), on: med(by(ser, 'on'), (x) => x.step.cpuSecPerMillion) },
        alarms: med(by(ser, 'on'), (x) => x.step.processor.alarms),
        eventsPerSecPer1000Series: med(by(ser, 'on'), (x) => x.step.eventsPerSecPer1000Series),
      },
    },
  };
  const ratio = (x: { off: number; on: number }) => x.on / x.off;
  const result = {
    command: `node scripts/run-ts.mjs src/anomalies/measure.ts${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
    started, finished: new Date().toISOString(), summary,
    /** events on / events off: points/s, and points per CPU-second (the inverse ratio of CPU-s per million points). */
    ratios: {
      pointsPerSec: { throughput: ratio(summary.throughput.pointsPerSec), steady: ratio(summary.series.steady.pointsPerSec), step: ratio(summary.series.step.pointsPerSec) },
      pointsPerCpuSec: {
        throughput: summary.throughput.cpuSecPerMillion.off / summary.throughput.cpuSecPerMillion.on,
        steady: summary.series.steady.cpuSecPerMillion.off / summary.series.steady.cpuSecPerMillion.on,
        step: summary.series.step.cpuSecPerMillion.off / summary.series.step.cpuSecPerMillion.on,
      },
    },
    loadavg: { before: load0, after: loadavg()[0] },
    samples: { throughput: tput, series: ser },
  };
  writeFileSync(opts.out ?? join(dir, 'result.json'), JSON.stringify(result, null, 2) + '\n');
  console.log(JSON.stringify({ summary, ratios: result.ratios }, null, 2));
}
