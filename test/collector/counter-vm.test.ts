// A cumulative counter scored by the isolationforest processor with its defaults keeps one label
// set in a real VictoriaMetrics, and increase() over it answers what was sent (issue 13).
// OTLP/HTTP JSON -> otelcol-mirador [isolationforest {}] -> otlphttp -> VictoriaMetrics. The counter
// (one series, 400 points 1 s apart) has a burst the processor scores high and a process restart
// (a new StartTimeUnixNano, the count starting over). The stored label sets of the counter are
// counted, and increase() over several windows is compared with the increments that were sent.
// The same counter through the processor's attributes mode shows what the test guards against:
// the score as a label splits the series, and increase() over the fragments is wrong.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freePorts, onePipeline, startCollector, startVictoriaMetrics, vmExport, waitFor, type RunningCollector, type RunningVictoriaMetrics,
} from '../../src/harness/index.js';

const POINTS = 400;
const STEP_MS = 1_000;
const BURST = 250; // this point's increment is 50x the usual
const RESTART = 320; // the process restarts: a new start time, the count starts over
const PER_REQUEST = 40;

/** The counter as sent: cumulative values (seeded increments of 8-12 per second, the burst, the restart). */
function counterValues(): { values: number[]; starts: number[] } {
  let x = 7;
  const rnd = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const values: number[] = [], starts: number[] = [];
  let v = 1000, start = 0;
  for (let i = 0; i < POINTS; i++) {
    if (i === RESTART) { v = 0; start = i; }
    v += i === BURST ? 500 : 8 + Math.floor(rnd() * 5);
    values.push(v);
    starts.push(start);
  }
  return { values, starts };
}

/** What increase() over (t - w, t] must answer: the sent increments, a drop counted as a reset (the new value is the increase). */
function sentIncrease(values: number[], times: number[], atMs: number, windowMs: number): number {
  let inc = 0;
  for (let i = 1; i < values.length; i++) {
    if (times[i] <= atMs - windowMs || times[i] > atMs) continue;
    inc += values[i] >= values[i - 1] ? values[i] - values[i - 1] : values[i];
  }
  return inc;
}

function request(name: string, from: number, to: number, t0Ms: number, c: ReturnType<typeof counterValues>) {
  const ns = (ms: number) => String(BigInt(ms) * 1_000_000n);
  const str = (s: string) => ({ stringValue: s });
  return {
    resourceMetrics: [{
      resource: { attributes: [{ key: 'service.name', value: str('checkout') }, { key: 'service.instance.id', value: str('checkout-1') }] },
      scopeMetrics: [{ scope: { name: 'counter-test' }, metrics: [{
        name,
        sum: {
          aggregationTemporality: 2, // CUMULATIVE
          isMonotonic: true,
          dataPoints: Array.from({ length: to - from }, (_, k) => from + k).map((i) => ({
            attributes: [{ key: 'route', value: str('/pay') }],
            asInt: String(c.values[i]),
            startTimeUnixNano: ns(t0Ms + (c.starts[i] - 1) * STEP_MS),
            timeUnixNano: ns(t0Ms + i * STEP_MS),
          })),
        },
      }] }],
    }],
  };
}

async function increaseAt(vm: RunningVictoriaMetrics, metric: string, atMs: number, windowMs: number): Promise<number | undefined> {
  const q = new URLSearchParams({ query: `sum(increase(${metric}[${windowMs / 1000}s]))`, time: String(atMs / 1000) });
  const res = await fetch(`${vm.url}/api/v1/query?${q}`);
  const body = await res.json() as { data: { result: Array<{ value: [number, string] }> } };
  const r = body.data.result[0];
  return r ? Number(r.value[1]) : undefined;
}

describe('a counter scored with the defaults, in VictoriaMetrics', () => {
  const work = mkdtempSync(join(tmpdir(), 'mirador-counter-'));
  let vm: RunningVictoriaMetrics;
  const collectors: RunningCollector[] = [];
  const c = counterValues();
  // whole seconds, ending a minute ago: every query below sees all of it
  const t0 = Math.floor(Date.now() / 1000) * 1000 - (POINTS * STEP_MS + 60_000);
  const times = c.values.map((_, i) => t0 + i * STEP_MS);
  const end = times[POINTS - 1];
  // windows ending at the last point: the tail, one across the restart, one across the burst and the restart
  const windows = [60_000, 150_000, 300_000, 390_000];

  /** Sends the counter as `name` through a collector with the given processor block; resolves with what VictoriaMetrics stores of it. */
  async function through(name: string, processor: Record<string, unknown>) {
    const [http] = await freePorts(1);
    const col = await startCollector({
      name: `counter-${name}`, dir: work,
      config: onePipeline('metrics', { http }, { otlphttp: { metrics_endpoint: vm.otlpMetricsUrl } }, { processors: { isolationforest: processor } }),
    });
    collectors.push(col);
    for (let from = 0; from < POINTS; from += PER_REQUEST) {
      const res = await fetch(`http://127.0.0.1:${http}/v1/metrics`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request(name, from, Math.min(POINTS, from + PER_REQUEST), t0, c)),
      });
      expect(res.status, await res.text()).toBe(200);
    }
    const stored = `${name}_total`;
    const samples = async () => (await vmExport(vm.url, `{__name__="${stored}"}`, t0 - 60_000, end + 60_000)).reduce((n, s) => n + s.values.length, 0);
    await waitFor(`${POINTS} samples of ${stored}`, async () => (await samples()) >= POINTS || undefined, 60_000, 1_000);
    await new Promise((r) => setTimeout(r, 2_000)); // anything still arriving would show as an extra label set or sample
    const series = await vmExport(vm.url, `{__name__="${stored}"}`, t0 - 60_000, end + 60_000);
    const companion = await vmExport(vm.url, `{__name__=~"${name}_anomaly_score.*"}`, t0 - 60_000, end + 60_000);
    const increases = [];
    for (const w of windows) increases.push({ windowSec: w / 1000, sent: sentIncrease(c.values, times, end, w), stored: await increaseAt(vm, stored, end, w) });
    return {
      labelSets: series.map((s) => s.metric), samples: series.reduce((n, s) => n + s.values.length, 0), increases,
      scored: await col.metric('otelcol_processor_isolationforest_points_scored_total'),
      companionPoints: companion.reduce((n, s) => n + s.values.length, 0),
      alarms: companion.filter((s) => s.metric.is_anomaly === 'true').reduce((n, s) => n + s.values.length, 0),
    };
  }

  beforeAll(async () => {
    vm = await startVictoriaMetrics({ runDir: join(work, 'vm') });
  }, 120_000);
  afterAll(async () => {
    for (const col of collectors) await col.stop();
    await vm?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('keeps a single label set and a correct increase()', async () => {
    const r = await through('checkout_requests', {});
    console.log(`counter with the processor's defaults: ${POINTS} points sent, stored as ${r.labelSets.length} label set(s) with ${r.samples} samples ` +
      `(${JSON.stringify(r.labelSets)}); processor scored ${r.scored}, companion score points ${r.companionPoints} (${r.alarms} alarms); ` +
      `increase() sent/stored: ${r.increases.map((x) => `[${x.windowSec}s] ${x.sent}/${x.stored}`).join(', ')}`);
    // the processor did score the counter (after its warm-up; the restart point starts a new baseline)
    expect(r.scored).toBeGreaterThan(POINTS / 2);
    expect(r.companionPoints).toBe(r.scored);
    // the input as it came: one label set, every point once, no score labels on it
    expect(r.labelSets).toHaveLength(1);
    expect(r.labelSets[0]).not.toHaveProperty('anomaly_score');
    expect(r.labelSets[0]).not.toHaveProperty('is_anomaly');
    expect(r.samples).toBe(POINTS);
    for (const x of r.increases) expect(x.stored, `increase over ${x.windowSec}s`).toBe(x.sent);
  }, 180_000);

  it('the attributes mode, for contrast, splits the same counter and breaks increase()', async () => {
    const r = await through('checkout_requests_attr', { output_mode: 'attributes' });
    const wrong = r.increases.filter((x) => x.stored !== x.sent);
    console.log(`the same counter in the attributes mode: stored as ${r.labelSets.length} label sets with ${r.samples} samples; ` +
      `increase() sent/stored: ${r.increases.map((x) => `[${x.windowSec}s] ${x.sent}/${x.stored}`).join(', ')}`);
    expect(r.labelSets.length).toBeGreaterThan(1);
    expect(wrong.length).toBeGreaterThan(0);
  }, 180_000);
});
