// Backend outage: VictoriaMetrics is stopped for 30 s under load and started again on the same
// port and data. The isolationforest collector's exporter queue is on file_storage with retry (as
// the chart's isolationforest default), so every point acknowledged to the sender is stored.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  countStoredPoints, freePorts, otlpReceiver, startCollector, startVictoriaMetrics, waitForStoredPoints, type RunningCollector, type RunningVictoriaMetrics,
} from '../../src/harness/index.js';
import { PROCESSOR, companionSelector, persistentExporter } from './configs.js';
import { sleep, steadySender } from './support.js';

const work = mkdtempSync(join(tmpdir(), 'mirador-outage-'));
const OUTAGE_MS = 30_000;

describe('backend outage', () => {
  let vm: RunningVictoriaMetrics | undefined;
  let col: RunningCollector | undefined;
  afterAll(async () => {
    await col?.stop();
    await vm?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('stores every point sent across a 30 s VictoriaMetrics outage (file_storage queue + retry)', async () => {
    vm = await startVictoriaMetrics({ runDir: join(work, 'vm') });
    const [http] = await freePorts(1);
    col = await startCollector({
      name: 'isolationforest', dir: work, config: {
        receivers: otlpReceiver({ http }),
        processors: { isolationforest: PROCESSOR },
        ...persistentExporter(vm.otlpMetricsUrl, join(work, 'queue')),
        pipelines: { metrics: { receivers: ['otlp'], processors: ['isolationforest'], exporters: ['otlphttp'] } },
      },
    });
    const startMs = Date.now();
    const sender = steadySender({ endpoint: `http://127.0.0.1:${http}`, metric: 'outage_gauge', series: 20, intervalMs: 100 });
    await sleep(8_000);
    const beforeOutage = sender.sent();
    await vm.stop();
    await sleep(OUTAGE_MS);
    const duringOutage = sender.sent() - beforeOutage;
    const queued = await col.metric('otelcol_exporter_queue_size');
    vm = await startVictoriaMetrics({ runDir: join(work, 'vm'), port: vm.port });
    await sleep(8_000);
    const sent = await sender.stop();
    const endMs = Date.now() + 1_000;

    const stored = await waitForStoredPoints(vm.url, '{__name__="outage_gauge"}', sent, { startMs: startMs - 1_000, endMs });
    const scores = await countStoredPoints(vm.url, companionSelector('outage_gauge'), startMs - 1_000, endMs);
    const t = await col.telemetry();
    console.log(`backend outage: sent ${sent} points (${duringOutage} while VictoriaMetrics was down ${OUTAGE_MS / 1000} s, queue held ${queued} batches), ` +
      `stored ${stored.distinct} distinct (${stored.raw} samples, ${scores.distinct} scored (companion score points)); sender retries ${sender.retries()}; ` +
      `exporter send_failed ${t.sum('otelcol_exporter_send_failed_metric_points_total')}, enqueue_failed ${t.sum('otelcol_exporter_enqueue_failed_metric_points_total')}`);
    expect(duringOutage, 'the collector kept accepting while the backend was down').toBeGreaterThan(0);
    expect(queued, 'batches waited in the persistent queue during the outage').toBeGreaterThan(0);
    expect(stored.distinct).toBe(sent);
    expect(stored.raw, 'no point stored twice').toBe(stored.distinct);
  }, 300_000);
});
