// Collector restart under load: sender -> gateway (loadbalancing exporter, static resolver, its
// own retry and queue) -> isolationforest collector (file_storage queue) -> VictoriaMetrics. The
// isolationforest process is killed (SIGKILL) mid-load and started again on the same port and
// queue directory; the gateway retries what it could not deliver, the persistent queue replays
// what was accepted but not yet exported: every point sent is stored.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  countStoredPoints, freePorts, startCollector, startVictoriaMetrics, waitForStoredPoints, type RunningCollector, type RunningVictoriaMetrics,
} from '../../src/harness/index.js';
import { companionSelector, gatewayConfig, scorerConfig } from './configs.js';
import { sleep, steadySender } from './support.js';

const work = mkdtempSync(join(tmpdir(), 'mirador-restart-'));
const DOWN_MS = 5_000;

describe('isolationforest collector restart behind the gateway', () => {
  let vm: RunningVictoriaMetrics | undefined;
  let gateway: RunningCollector | undefined;
  let scorer: RunningCollector | undefined;
  afterAll(async () => {
    await gateway?.stop();
    await scorer?.stop();
    await vm?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('loses nothing when the isolationforest process is killed and restarted under load', async () => {
    vm = await startVictoriaMetrics({ runDir: join(work, 'vm') });
    const [scorerGrpc, gatewayHttp] = await freePorts(2);
    const config = scorerConfig(scorerGrpc, vm.otlpMetricsUrl, join(work, 'queue'));
    scorer = await startCollector({ name: 'isolationforest', dir: work, config });
    gateway = await startCollector({ name: 'gateway', dir: work, config: gatewayConfig(gatewayHttp, [scorerGrpc]) });

    const startMs = Date.now();
    const sender = steadySender({ endpoint: `http://127.0.0.1:${gatewayHttp}`, metric: 'restart_gauge', series: 20, intervalMs: 100 });
    await sleep(8_000);
    const beforeKill = sender.sent();
    await scorer.kill();
    await sleep(DOWN_MS);
    const whileDown = sender.sent() - beforeKill;
    scorer = await startCollector({ name: 'isolationforest', dir: work, config });
    await sleep(8_000);
    const sent = await sender.stop();
    const endMs = Date.now() + 1_000;

    const stored = await waitForStoredPoints(vm.url, '{__name__="restart_gauge"}', sent, { startMs: startMs - 1_000, endMs });
    const scores = await countStoredPoints(vm.url, companionSelector('restart_gauge'), startMs - 1_000, endMs);
    const g = await gateway.telemetry();
    console.log(`collector restart: sent ${sent} points (${whileDown} accepted by the gateway while isolationforest was down ${DOWN_MS / 1000} s), ` +
      `stored ${stored.distinct} distinct (${stored.raw} samples: ${stored.raw - stored.distinct} re-delivered after the kill, ${scores.distinct} scored (companion score points)); ` +
      `gateway send_failed ${g.sum('otelcol_exporter_send_failed_metric_points_total')}, sender retries ${sender.retries()}`);
    expect(whileDown, 'the gateway kept accepting while the isolationforest collector was down').toBeGreaterThan(0);
    expect(stored.distinct).toBe(sent);
  }, 300_000);
});
