// Delta sums reach VictoriaMetrics as cumulative counters: the chart's isolationforest config
// (deltatocumulative before the scoring) as a local process in front of a real VictoriaMetrics;
// a delta counter of 5, 5, 5 must answer increase() = 15. The same points through the same config
// without deltatocumulative (removed with null) show what VictoriaMetrics makes of raw deltas.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVictoriaMetrics, vmExport, waitFor, type RunningVictoriaMetrics } from '../../src/harness/index.js';
import { postOtlp, resource, startLocal, type Local } from './local.js';

const STEP_MS = 10_000;

/** A delta monotonic sum `name` with one point per value, STEP_MS apart, each starting where the previous ended. */
function deltaCounter(name: string, values: number[], t0Ms: number) {
  const ns = (ms: number) => String(BigInt(ms) * 1_000_000n);
  return {
    resourceMetrics: [{
      resource: resource('billing'),
      scopeMetrics: [{ metrics: [{
        name,
        sum: {
          aggregationTemporality: 1, // DELTA
          isMonotonic: true,
          dataPoints: values.map((v, i) => ({ asInt: String(v), startTimeUnixNano: ns(t0Ms + (i - 1) * STEP_MS), timeUnixNano: ns(t0Ms + i * STEP_MS) })),
        },
      }] }],
    }],
  };
}

async function increase(vm: RunningVictoriaMetrics, metric: string, atMs: number): Promise<number | undefined> {
  const q = new URLSearchParams({ query: `sum(increase(${metric}[1m]))`, time: String(atMs / 1000) });
  const body = await (await fetch(`${vm.url}/api/v1/query?${q}`)).json() as { data: { result: Array<{ value: [number, string] }> } };
  const r = body.data.result[0];
  return r ? Number(r.value[1]) : undefined;
}

describe('delta sums into VictoriaMetrics', () => {
  let work: string;
  let vm: RunningVictoriaMetrics;
  let chart: Local;
  let without: Local;
  const t0 = Date.now() - 40_000;
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'mirador-delta-'));
    vm = await startVictoriaMetrics({ runDir: work });
    chart = await startLocal({ components: ['isolationforest'], vmOtlpUrl: vm.otlpMetricsUrl });
    without = await startLocal({ components: ['isolationforest'], vmOtlpUrl: vm.otlpMetricsUrl, values: { 'isolationforest.config.processors.deltatocumulative': null } });
  }, 120_000);
  afterAll(async () => {
    await chart?.stop();
    await without?.stop();
    await vm?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('the chart\'s isolationforest pipeline turns delta sums into cumulative ones before the scoring', () => {
    const procs = chart.config['isolationforest-0'].service.pipelines.metrics.processors as string[];
    expect(procs.indexOf('deltatocumulative')).toBeGreaterThanOrEqual(0);
    expect(procs.indexOf('deltatocumulative')).toBeLessThan(procs.indexOf('isolationforest'));
    expect(without.config['isolationforest-0'].service.pipelines.metrics.processors).not.toContain('deltatocumulative');
  });

  it('a delta counter 5, 5, 5 answers increase() = 15', async () => {
    expect(await postOtlp(chart, '/v1/metrics', deltaCounter('orders_paid', [5, 5, 5], t0), 'isolationforest-0')).toBe(200);
    expect(await postOtlp(without, '/v1/metrics', deltaCounter('orders_refunded', [5, 5, 5], t0), 'isolationforest-0')).toBe(200);
    const end = t0 + 2 * STEP_MS + 1_000;
    let stored: number[] = [];
    let raw: number[] = [];
    await waitFor('both series stored', async () => {
      stored = (await vmExport(vm.url, '{__name__="orders_paid_total"}', t0 - 60_000, end + 60_000)).flatMap((s) => s.values);
      raw = (await vmExport(vm.url, '{__name__="orders_refunded_total"}', t0 - 60_000, end + 60_000)).flatMap((s) => s.values);
      return (stored.length >= 3 && raw.length >= 3) || undefined;
    }, 60_000, 1_000);
    const inc = await increase(vm, 'orders_paid_total', end);
    const incRaw = await increase(vm, 'orders_refunded_total', end);
    console.log(`delta counter 5, 5, 5: stored ${JSON.stringify(stored)}, increase() = ${inc}; without deltatocumulative: stored ${JSON.stringify(raw)}, increase() = ${incRaw}`);
    expect(stored.sort((a, b) => a - b)).toEqual([5, 10, 15]);
    expect(inc).toBe(15);
    // what the conversion is for: raw deltas read as a counter give something else
    expect(incRaw).not.toBe(15);
  }, 120_000);
});
