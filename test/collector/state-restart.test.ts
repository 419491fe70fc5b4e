// Models survive a restart (the processor's `storage` option, issue 17): build/otelcol-mirador with
// a file_storage extension learns a series, is stopped with SIGTERM and started again on the same
// directory; every point after the restart is scored at once (no warm-up gap) and ordinary points
// raise no alarm. Without storage, the same restart loses the series: its first points after the
// restart go unscored (the control that shows the test can fail).
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  attr, encodeGauges, freePorts, otlpReceiver, postMetrics, startCollector, startJsonSink, waitFor, type CollectorConfig, type JsonSink,
} from '../../src/harness/index.js';

const work = mkdtempSync(join(tmpdir(), 'mirador-state-restart-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const STEP_NS = 15_000_000_000n;
const t0 = BigInt(Date.now() - 24 * 3600 * 1000) * 1_000_000n;

/** Deterministic noise (mulberry32), roughly normal. */
function rng(seed: number) {
  const u = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => u() + u() + u() - 1.5;
}

function config(http: number, sinkUrl: string, storageDir?: string): CollectorConfig {
  return {
    receivers: otlpReceiver({ http }),
    processors: { isolationforest: storageDir ? { storage: 'file_storage', snapshot_interval: '10m' } : {} },
    exporters: { otlphttp: { endpoint: sinkUrl, encoding: 'json', compression: 'none', sending_queue: { enabled: false } } },
    extensions: storageDir ? { file_storage: { directory: storageDir } } : undefined,
    serviceExtensions: storageDir ? ['file_storage'] : [],
    pipelines: { metrics: { receivers: ['otlp'], processors: ['isolationforest'], exporters: ['otlphttp'] } },
  };
}

async function send(http: number, from: number, to: number, noise: () => number): Promise<void> {
  for (let step = from; step < to; step++) {
    const body = encodeGauges([{ resource: { 'service.name': 'restart' }, metrics: [{ name: 'queue_depth', points: [{ attributes: { queue: 'orders' }, timeUnixNano: t0 + BigInt(step) * STEP_NS, value: 50 + 3 * noise() }] }] }]);
    const r = await postMetrics(`http://127.0.0.1:${http}`, body);
    expect(r.status, r.text).toBe(200);
  }
}

/** Runs the scenario; returns, for the points after the restart, how many got a score and how many opened an alarm. */
async function restartScenario(name: string, withStorage: boolean): Promise<{ scored: number; alarms: number; restoredLine: boolean }> {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  const storageDir = withStorage ? join(dir, 'storage') : undefined;
  if (storageDir) mkdirSync(storageDir);
  const [http, sinkPort] = await freePorts(2);
  const sink: JsonSink = await startJsonSink(sinkPort);
  const noise = rng(7);
  try {
    const first = await startCollector({ name: `${name}-1`, dir, config: config(http, sink.url, storageDir) });
    await send(http, 0, 400, noise);
    await first.stop(); // SIGTERM: the processor saves its state at shutdown
    if (storageDir) expect(readdirSync(storageDir).length, 'file_storage wrote its file').toBeGreaterThan(0);
    const before = sink.byMetric('queue_depth_anomaly_score').length;
    const second = await startCollector({ name: `${name}-2`, dir, config: config(http, sink.url, storageDir), selfPorts: first.selfPorts });
    try {
      await send(http, 400, 500, noise);
      await waitFor('the points after the restart at the sink', async () => sink.byMetric('queue_depth').length >= 500 || undefined, 20_000);
      const after = sink.byMetric('queue_depth_anomaly_score').slice(before);
      return {
        scored: after.length,
        alarms: after.filter((p) => attr(p, 'is_anomaly')?.stringValue === 'true').length,
        restoredLine: /state restored/.test(second.process.tail(200)),
      };
    } finally {
      await second.stop();
    }
  } finally {
    await sink.close();
  }
}

describe('isolationforest state across a restart', () => {
  it('scores every point after a SIGTERM restart at once, with storage', async () => {
    const r = await restartScenario('with-storage', true);
    console.log(`state restart with file_storage: ${r.scored} of 100 points after the restart scored, ${r.alarms} alarms`);
    expect(r.restoredLine, 'the collector logs the restored state').toBe(true);
    expect(r.scored).toBe(100);
    expect(r.alarms).toBe(0);
  }, 120_000);

  it('without storage the same restart starts the series over (warm-up: its first points unscored)', async () => {
    const r = await restartScenario('without-storage', false);
    console.log(`state restart without storage: ${r.scored} of 100 points after the restart scored`);
    expect(r.scored).toBeLessThan(100);
  }, 120_000);
});
