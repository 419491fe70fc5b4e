// Bad input into otelcol-mirador with the isolationforest processor: malformed OTLP protobuf and
// JSON, NaN/Inf values, a point with 10,000 attributes, huge batches. Each is rejected with a clear
// error or passed through; the collector keeps running and ordinary data around it is scored and
// delivered as usual.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  attr, encodeGauges, freePorts, otlpReceiver, postMetrics, startCollector, startJsonSink, waitFor, type GaugePoint, type JsonSink, type RunningCollector, type SinkPoint,
} from '../../src/harness/index.js';
import { PROCESSOR } from './configs.js';
import { scoreOf } from './support.js';

const work = mkdtempSync(join(tmpdir(), 'mirador-bad-input-'));
const nowNs = () => BigInt(Date.now()) * 1_000_000n;
const gauge = (name: string, points: GaugePoint[]) => encodeGauges([{ resource: { 'service.name': 'bad-input' }, metrics: [{ name, points }] }]);

let sink: JsonSink;
let col: RunningCollector;
let endpoint: string;
let step = 0;
const t0 = BigInt(Date.now() - 3_600_000) * 1_000_000n; // one step per second from an hour ago

/**
 * Ordinary traffic: 8 series of metric `ordinary`, `steps` points each (the baseline's 50 steps
 * give the metric's forest the 256 vectors past the warm-up it needs for trees); every point must arrive, and those
 * past the warm-up be scored.
 */
async function ordinaryTrafficStillFlows(label: string, steps = 12) {
  const before = sink.byMetric('ordinary').length, scoredBefore = sink.byMetric('ordinary_anomaly_score').length;
  for (let i = 0; i < steps; i++, step++) {
    const t = t0 + BigInt(step) * 1_000_000_000n;
    const r = await postMetrics(endpoint, gauge('ordinary', Array.from({ length: 8 }, (_, s) => ({ attributes: { series: `s${s}` }, timeUnixNano: t, value: 10 + s + (step % 3) / 10 }))));
    expect(r.status, r.text).toBe(200);
  }
  const want = before + 8 * steps;
  const got = await waitFor(`${8 * steps} ordinary points after ${label}`, async () => sink.byMetric('ordinary').length >= want && sink.byMetric('ordinary').slice(before), 20_000);
  // the scores travel with the points (companion points of the same request)
  const scored = sink.byMetric('ordinary_anomaly_score').length - scoredBefore;
  expect(got.length).toBe(8 * steps);
  for (const p of got) expect(attr(p, 'anomaly_score'), 'the input leaves untouched').toBeUndefined();
  if (label !== 'baseline') expect(scored, 'ordinary points are scored').toBe(8 * steps);
  expect((await fetch(col.telemetryUrl)).status, 'collector still running').toBe(200);
  console.log(`  ordinary traffic after ${label}: ${got.length}/${8 * steps} delivered, ${scored} scored`);
  return { delivered: got.length, scored };
}

beforeAll(async () => {
  const [http, sinkPort] = await freePorts(2);
  sink = await startJsonSink(sinkPort);
  endpoint = `http://127.0.0.1:${http}`;
  col = await startCollector({
    name: 'bad-input', dir: work, config: {
      receivers: otlpReceiver({ http }),
      processors: { isolationforest: PROCESSOR },
      exporters: { otlphttp: { endpoint: sink.url, encoding: 'json', compression: 'none', sending_queue: { enabled: false } } },
      pipelines: { metrics: { receivers: ['otlp'], processors: ['isolationforest'], exporters: ['otlphttp'] } },
    },
  });
  await ordinaryTrafficStillFlows('baseline', 50);
});
afterAll(async () => {
  await col?.stop();
  await sink?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('bad input into otelcol-mirador', () => {
  it('rejects malformed protobuf with 400 and a decode error', async () => {
    const garbage = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02, 0x03]); // field 1, length far past the end
    const r = await postMetrics(endpoint, garbage);
    console.log(`malformed protobuf: HTTP ${r.status}: ${r.text.slice(0, 160)}`);
    expect(r.status).toBe(400);
    expect(r.text.toLowerCase()).toMatch(/proto|unmarshal|decode|eof|invalid/);
    await ordinaryTrafficStillFlows('protobuf');
  });

  it('rejects malformed JSON with 400 and a parse error', async () => {
    const r = await postMetrics(endpoint, '{"resourceMetrics": [{"scopeMetrics": [{"metrics": [{"name": "x", "gauge": {"dataPoints": [{"asDouble": ', 'application/json');
    console.log(`malformed JSON: HTTP ${r.status}: ${r.text.slice(0, 160)}`);
    expect(r.status).toBe(400);
    expect(r.text.length).toBeGreaterThan(0);
    await ordinaryTrafficStillFlows('json');
  });

  it('passes NaN and ±Inf values through unscored, without disturbing the series', async () => {
    // A new series of the (already trained) ordinary metric: warm-up, then the non-finite values.
    const send = async (value: number) => {
      const r = await postMetrics(endpoint, gauge('ordinary', [{ attributes: { series: 'nonfinite' }, timeUnixNano: t0 + BigInt(step++) * 1_000_000_000n, value }]));
      expect(r.status, r.text).toBe(200);
    };
    const isOurs = (p: SinkPoint) => p.metric === 'ordinary' && attr(p, 'series')?.stringValue === 'nonfinite';
    for (let i = 0; i < 14; i++) await send(5 + (i % 2));
    for (const v of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) await send(v);
    for (let i = 0; i < 3; i++) await send(5 + (i % 2));
    const got = await waitFor('20 points of the nonfinite series', async () => sink.points.filter(isOurs).length >= 20 && sink.points.filter(isOurs), 20_000);
    const odd = got.filter((p) => typeof p.asDouble === 'string' || !Number.isFinite(p.asDouble as number));
    const tail = got.slice(-3);
    console.log(`NaN/Inf: ${got.length} points delivered; non-finite: ${odd.map((p) => `${p.asDouble} score=${scoreOf(sink, p) ?? '-'}`).join(', ')}; ` +
      `the 3 after them: ${tail.map((p) => `${p.asDouble} score=${scoreOf(sink, p) ?? '-'}`).join(', ')}`);
    expect(got.length).toBe(20);
    expect(odd.length).toBe(3);
    for (const p of odd) expect(scoreOf(sink, p), 'a non-finite value is not scored').toBeUndefined();
    for (const p of tail) expect(scoreOf(sink, p), 'the series is still scored after them').toBeDefined();
    await ordinaryTrafficStillFlows('nonfinite');
  });

  it('passes a point with 10,000 attributes', async () => {
    const attributes: Record<string, string> = {};
    for (let i = 0; i < 10_000; i++) attributes[`k${i}`] = `v${i}`;
    const r = await postMetrics(endpoint, gauge('wide', [{ attributes, timeUnixNano: nowNs(), value: 1 }]));
    expect(r.status, r.text).toBe(200);
    const [p] = await waitFor('the wide point', async () => sink.byMetric('wide').length >= 1 && sink.byMetric('wide'), 20_000);
    console.log(`10k attributes: HTTP ${r.status}, delivered with ${p.attributes.length} attributes`);
    expect(p.attributes.length).toBeGreaterThanOrEqual(10_000);
    await ordinaryTrafficStillFlows('wide');
  });

  it('passes a large batch whole and rejects one above the request size limit with a clear error', async () => {
    const t = nowNs();
    const points = (n: number) => Array.from({ length: n }, (_, i) => ({ attributes: { series: `b${i % 1000}` }, timeUnixNano: t + BigInt(Math.floor(i / 1000)) * 1_000_000_000n, value: i % 17 }));
    const large = gauge('large_batch', points(100_000));
    const r1 = await postMetrics(endpoint, large);
    expect(r1.status, r1.text).toBe(200);
    await waitFor('100,000 points of the large batch', async () => sink.byMetric('large_batch').length >= 100_000 || undefined, 60_000);
    const huge = gauge('huge_batch', points(1_000_000));
    const r2 = await postMetrics(endpoint, huge).catch((e: Error) => ({ status: 0, text: e.message }));
    console.log(`large batch: 100,000 points (${(large.length / 2 ** 20).toFixed(1)} MiB) HTTP ${r1.status}, ${sink.byMetric('large_batch').length} delivered; ` +
      `huge batch: 1,000,000 points (${(huge.length / 2 ** 20).toFixed(1)} MiB) HTTP ${r2.status}: ${r2.text.slice(0, 160)}`);
    expect(sink.byMetric('large_batch').length).toBe(100_000);
    if (r2.status === 200) {
      await waitFor('1,000,000 points of the huge batch', async () => sink.byMetric('huge_batch').length >= 1_000_000 || undefined, 120_000);
    } else {
      expect(r2.status).toBe(400);
      expect(r2.text.toLowerCase()).toMatch(/too large|limit|size/);
      expect(sink.byMetric('huge_batch').length, 'nothing of a rejected request is delivered').toBe(0);
    }
    await ordinaryTrafficStillFlows('huge');
    const t2 = await col.telemetry();
    console.log(`collector after all bad input: running, accepted ${t2.sum('otelcol_receiver_accepted_metric_points_total')} points, ` +
      `refused ${t2.sum('otelcol_receiver_refused_metric_points_total')}, kernel errors ${t2.sum('otelcol_processor_isolationforest_kernel_errors_total')}`);
  }, 240_000);
});
