// End-to-end test of build/otelcol-mirador: OTLP/HTTP JSON in -> otlp receiver -> isolationforest
// (its defaults) -> otlphttp exporter (JSON) -> a small OTLP sink in this test. Every point must
// arrive untouched, with a companion score point each once warm; each injected spike (a new high)
// must open one alarm, ordinary points almost never. Plus the component list and start-up failures
// for invalid processor config. `npm test` builds the binary first (scripts/ensure.sh collector).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  attr, collectorBinary, freePorts, otlpReceiver, startCollector, startJsonSink, waitFor, type CollectorConfig, type JsonSink, type RunningCollector,
} from '../../src/harness/index.js';

const work = mkdtempSync(join(tmpdir(), 'mirador-collector-e2e-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// ---- OTLP JSON helpers ---------------------------------------------------------------------------
interface KeyValue { key: string; value: { stringValue?: string; intValue?: string; doubleValue?: number } }
interface DataPoint { attributes?: KeyValue[]; timeUnixNano: string; asDouble?: number }
interface ExportRequest {
  resourceMetrics: { resource?: { attributes?: KeyValue[] }; scopeMetrics: { scope?: { name?: string }; metrics: { name: string; gauge?: { dataPoints: DataPoint[] } }[] }[] }[];
}

/** OTLP/HTTP in -> isolationforest -> otlphttp (JSON) to the sink. */
function collectorConfig(receiverPort: number, sinkUrl: string, processor: Record<string, unknown>): CollectorConfig {
  return {
    receivers: otlpReceiver({ http: receiverPort }),
    processors: { isolationforest: processor },
    exporters: { otlphttp: { endpoint: sinkUrl, encoding: 'json', compression: 'none' } },
    pipelines: { metrics: { receivers: ['otlp'], processors: ['isolationforest'], exporters: ['otlphttp'] } },
  };
}

// ---- the scenario -------------------------------------------------------------------------------
const SERIES = 6;
const STEPS = 500;
const STEPS_PER_REQUEST = 10;
const t0 = 1_790_000_000_000_000_000n; // ns
// Two spikes on series 1, 3 and 5, the second higher than the first (each a new high), far enough
// apart for the first alarm to resolve (resolve_points 50).
const SPIKES: Record<number, number> = { 325: 25, 445: 60 };
const isSpike = (step: number, s: number) => SPIKES[step] !== undefined && s % 2 === 1;

/** Deterministic noise (mulberry32) so the test input is the same on every run. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function request(fromStep: number, rand: () => number): ExportRequest {
  const dataPoints: DataPoint[] = [];
  for (let step = fromStep; step < fromStep + STEPS_PER_REQUEST; step++) {
    for (let s = 0; s < SERIES; s++) {
      const noise = (rand() + rand() + rand() - 1.5) * 2; // roughly normal, sd 1
      let v = 100 + 20 * s + noise * (1 + s);
      if (isSpike(step, s)) v += SPIKES[step] * (1 + s);
      dataPoints.push({
        timeUnixNano: (t0 + BigInt(step) * 10_000_000_000n).toString(),
        asDouble: v,
        attributes: [{ key: 'series', value: { stringValue: `s${s}` } }],
      });
    }
  }
  return {
    resourceMetrics: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'e2e' } }] },
      scopeMetrics: [{ scope: { name: 'e2e' }, metrics: [{ name: 'request_latency', gauge: { dataPoints } }] }],
    }],
  };
}

describe('otelcol-mirador end to end', () => {
  let collector: RunningCollector | undefined;
  let sink: JsonSink | undefined;
  afterAll(async () => {
    await collector?.stop();
    await sink?.close();
  });

  it('scores every point in flight: nothing lost or changed, each spike one alarm, ordinary points almost never', async () => {
    const [receiver, sinkPort] = await freePorts(2);
    const s = await startJsonSink(sinkPort);
    sink = s;
    collector = await startCollector({ name: 'e2e', dir: work, config: collectorConfig(receiver, s.url, { instances: 1 }), startTimeoutMs: 30_000 });

    const rand = rng(42);
    let sent = 0;
    for (let step = 0; step < STEPS; step += STEPS_PER_REQUEST) {
      const body = request(step, rand); // the step travels in the timestamp
      const res = await fetch(`http://127.0.0.1:${receiver}/v1/metrics`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
      });
      expect(res.status, await res.text()).toBe(200);
      sent += SERIES * STEPS_PER_REQUEST;
    }
    const input = () => s.byMetric('request_latency');
    await waitFor(`all ${sent} points at the sink`, async () => input().length >= sent || undefined, 30_000);
    expect(input().length).toBe(sent);

    const seen = new Set<string>();
    for (const p of input()) {
      seen.add(`${attr(p, 'series')!.stringValue}/${p.timeUnixNano}`);
      expect(p.attributes.map((a) => a.key), 'the input series is left exactly as it came').toEqual(['series']);
    }
    expect(seen.size, 'every (series, step) arrived exactly once').toBe(sent);

    let spikes = 0, spikesFlagged = 0, ordinary = 0, ordinaryFlagged = 0;
    const scores = s.byMetric('request_latency_anomaly_score');
    for (const p of scores) {
      const series = Number(attr(p, 'series')!.stringValue!.slice(1));
      const step = Number((BigInt(p.timeUnixNano) - t0) / 10_000_000_000n);
      const flag = attr(p, 'is_anomaly')?.stringValue;
      expect(flag, 'every companion point says is_anomaly').toMatch(/^(true|false)$/);
      expect(Number(p.asDouble)).toBeGreaterThanOrEqual(0);
      expect(Number(p.asDouble)).toBeLessThanOrEqual(1);
      if (isSpike(step, series)) { spikes++; if (flag === 'true') spikesFlagged++; }
      else { ordinary++; if (flag === 'true') ordinaryFlagged++; }
    }
    console.log(`e2e: ${sent} points sent, ${input().length} received untouched, ${scores.length} scored; ` +
      `spikes that opened an alarm ${spikesFlagged}/${spikes}; ordinary points that did ${ordinaryFlagged}/${ordinary}`);
    expect(spikes).toBe(6); // series 1, 3, 5 at steps 325 and 445
    expect(spikesFlagged).toBe(spikes);
    expect(ordinaryFlagged).toBeLessThanOrEqual(3);
    expect(scores.length).toBeGreaterThan(sent * 0.9); // all but each series' warm-up

    // The processor's own telemetry agrees.
    const t = await collector.telemetry();
    expect(t.sum('otelcol_processor_isolationforest_points_scored_total')).toBe(scores.length);
    expect(t.sum('otelcol_processor_isolationforest_alarms_total', { transition: 'onset' })).toBe(spikesFlagged + ordinaryFlagged);
    expect(t.sum('otelcol_processor_isolationforest_active_series')).toBe(SERIES);
  });
});

describe('otelcol-mirador binary', () => {
  it('lists every component of the distribution', () => {
    const r = spawnSync(collectorBinary(), ['components'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const out = parse(r.stdout) as Record<string, { name: string }[]>;
    const names = (kind: string) => [...new Set((out[kind] ?? []).map((c) => c.name))].sort();
    expect(names('receivers')).toEqual(['anomaly_events', 'otlp']);
    expect(names('processors')).toEqual(['attributes', 'batch', 'deltatocumulative', 'filter', 'isolationforest', 'memory_limiter', 'probabilistic_sampler', 'resource', 'transform']);
    expect(names('exporters')).toEqual(['cassandra_logs', 'debug', 'loadbalancing', 'otlp_grpc', 'otlp_http']);
    expect(names('connectors')).toEqual(['forward', 'servicegraph', 'spanmetrics']);
    expect(names('extensions')).toEqual(['file_storage', 'health_check', 'pprof', 'zpages']);
    const ours = out.processors.find((c) => c.name === 'isolationforest') as unknown as { module: string };
    expect(ours.module).toMatch(/^github\.com\/mirador-signals\/mirador\/collector-builder\/isolationforestprocessor /);
  });

  for (const [label, processor, message] of [
    ['an out-of-range threshold', { threshold: 1.5 }, 'threshold: must be in (0, 1), got 1.5'],
    ['an unknown output mode', { output_mode: 'labels' }, 'output_mode: must be "metrics" or "attributes", got "labels"'],
    ['a missing kernel_path', { kernel_path: '/nonexistent/kernel.wasm' }, 'kernel_path: open /nonexistent/kernel.wasm'],
  ] as const) {
    it(`fails start-up on ${label}, naming the key`, async () => {
      const [receiver, sinkPort] = await freePorts(2);
      const start = startCollector({
        name: `invalid-${label.replace(/\W+/g, '-')}`, dir: work, config: collectorConfig(receiver, `http://127.0.0.1:${sinkPort}`, processor), startTimeoutMs: 20_000,
      });
      // An exit during start-up rejects with the exit code and the log's tail; staying up would resolve.
      await expect(start).rejects.toThrow(/exited \([1-9]\d*\) during start-up/);
      await expect(start).rejects.toThrow(message);
    });
  }
});
