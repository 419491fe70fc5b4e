// Soak (npm run test:soak): sustained load through gateway -> 2 isolationforest collectors
// (file_storage queues) -> VictoriaMetrics for SOAK_SECONDS (default 300), with a 60 s
// VictoriaMetrics outage and, during it, one isolationforest collector SIGKILLed and restarted.
// Every point acknowledged to the sender must be stored; counts are printed per phase.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  freePorts, peakRss, startCollector, startVictoriaMetrics, waitForStoredPoints, type RunningCollector, type RunningVictoriaMetrics,
} from '../../src/harness/index.js';
import { gatewayConfig, scorerConfig } from './configs.js';
import { sleep, steadySender } from './support.js';

const SOAK_MS = Number(process.env.SOAK_SECONDS ?? 300) * 1000;
const SERIES = Number(process.env.SOAK_SERIES ?? 200); // points per 100 ms step: 2,000 points/s by default
const work = mkdtempSync(join(tmpdir(), 'mirador-soak-'));

describe('soak', () => {
  let vm: RunningVictoriaMetrics | undefined;
  const collectors: RunningCollector[] = [];
  afterAll(async () => {
    for (const c of collectors) await c.stop();
    await vm?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it(`stores every point of ${SOAK_MS / 1000} s of load across a backend outage and a collector kill`, async () => {
    if (!(SOAK_MS >= 120_000)) throw new Error(`SOAK_SECONDS must be at least 120, got ${process.env.SOAK_SECONDS}`);
    vm = await startVictoriaMetrics({ runDir: join(work, 'vm') });
    const [g1, g2, http] = await freePorts(3);
    const configs = [g1, g2].map((p, i) => scorerConfig(p, vm!.otlpMetricsUrl, join(work, `queue-${i}`)));
    const scorers = [
      await startCollector({ name: 'isolationforest-0', dir: work, config: configs[0] }),
      await startCollector({ name: 'isolationforest-1', dir: work, config: configs[1] }),
    ];
    const gateway = await startCollector({ name: 'gateway', dir: work, config: gatewayConfig(http, [g1, g2]) });
    collectors.push(gateway, ...scorers);

    const startMs = Date.now();
    // Several resources, so the gateway's routing by resource spreads them over both collectors.
    const senders = [0, 1, 2, 3].map((k) => steadySender({ endpoint: `http://127.0.0.1:${http}`, metric: `soak_gauge_${k}`, series: SERIES / 4, intervalMs: 100 }));
    const sentNow = () => senders.reduce((n, s) => n + s.sent(), 0);
    const at = (f: number) => startMs + f * SOAK_MS;
    const until = async (t: number) => sleep(Math.max(0, t - Date.now()));

    await until(at(0.2));
    const beforeOutage = sentNow();
    await vm.stop();
    await until(at(0.2) + 20_000);
    await scorers[0].kill();
    await sleep(10_000);
    scorers[0] = await startCollector({ name: 'isolationforest-0', dir: work, config: configs[0] });
    collectors.push(scorers[0]);
    await until(at(0.2) + 60_000);
    const duringOutage = sentNow() - beforeOutage;
    vm = await startVictoriaMetrics({ runDir: join(work, 'vm'), port: vm.port });
    await until(at(1));
    let sent = 0;
    for (const s of senders) sent += await s.stop();
    const endMs = Date.now() + 1_000;

    const stored = await waitForStoredPoints(vm.url, '{__name__=~"soak_gauge_.*"}', sent, { startMs: startMs - 1_000, endMs, timeoutMs: 300_000, everyMs: 5_000 });
    const g = await gateway.telemetry();
    console.log(`soak: ${SOAK_MS / 1000} s at ${SERIES * 10} points/s: sent ${sent} (${duringOutage} during the 60 s outage, which included a SIGKILL + restart of isolationforest-0); ` +
      `stored ${stored.distinct} distinct (${stored.raw} samples, ${stored.scored} scored); gateway send_failed ${g.sum('otelcol_exporter_send_failed_metric_points_total')}; ` +
      `sender retries ${senders.reduce((n, s) => n + s.retries(), 0)}; peak RSS gateway ${(peakRss(gateway.pid) / 2 ** 20).toFixed(0)} MiB, ` +
      `isolationforest-1 ${(peakRss(scorers[1].pid) / 2 ** 20).toFixed(0)} MiB`);
    expect(duringOutage).toBeGreaterThan(0);
    expect(stored.distinct).toBe(sent);
  });
});
