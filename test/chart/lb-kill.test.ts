// A load-balancing target that fails causes no duplicate delivery and no retry loop without backoff.
// The chart's gateway and three isolationforest targets (its local profile, static resolver) run
// as local processes in front of a real VictoriaMetrics; a steady load of gauge points goes to the
// gateway; one target is stopped for 60 s (SIGTERM, as Kubernetes stops a pod: it drains what it
// holds) and started again. Every point acknowledged by the gateway must be stored exactly once
// (samples per series and timestamp are counted, not only distinct points), the backlog of the
// stopped target must arrive after its restart, retries must back off, and the collectors' own
// counters must agree with what is stored.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVictoriaMetrics, vmExport, waitFor, type RunningVictoriaMetrics } from '../../src/harness/index.js';
import { counter, postOtlp, resource, startLocal, type Local } from './local.js';

const TARGETS = 3;
const KILLED = 'isolationforest-1';
const DOWN_MS = 60_000;
const METRIC = 'lb_load';
const RESOURCES = 30;
const STEP_MS = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every STEP_MS one request: RESOURCES resources (services) with one gauge point each, at a timestamp of that step. */
function steadySender(l: Local, t0: number) {
  let stopping = false, sent = 0, refused = 0;
  const loop = (async () => {
    for (let step = 0; !stopping; step++) {
      const t = String(BigInt(t0 + step * STEP_MS) * 1_000_000n);
      const body = {
        resourceMetrics: Array.from({ length: RESOURCES }, (_, i) => ({
          resource: resource(`svc-${i}`),
          scopeMetrics: [{ metrics: [{ name: METRIC, gauge: { dataPoints: [{ asDouble: 100 + i + Math.sin(step / 9), timeUnixNano: t }] } }] }],
        })),
      };
      // a refused request is sent again until acknowledged, so `sent` is exact
      for (;;) {
        const status = await postOtlp(l, '/v1/metrics', body).catch(() => 0);
        if (status === 200) break;
        refused++;
        await sleep(200);
      }
      sent += RESOURCES;
      await sleep(Math.max(0, t0 + (step + 1) * STEP_MS - Date.now()));
    }
  })();
  return { sent: () => sent, refused: () => refused, stop: async () => { stopping = true; await loop; return sent; } };
}

const ANOMALY = new Set(['anomaly_score', 'is_anomaly']);

/** Samples stored per replica: raw samples and distinct (series without the scoring's labels, timestamp). */
async function stored(vm: RunningVictoriaMetrics, startMs: number, endMs: number) {
  const series = await vmExport(vm.url, `{__name__="${METRIC}"}`, startMs, endMs);
  const perReplica: Record<string, { raw: number; distinct: number }> = {};
  const seen = new Set<string>();
  let raw = 0;
  for (const s of series) {
    const key = JSON.stringify(Object.entries(s.metric).filter(([k]) => !ANOMALY.has(k)).sort(([a], [b]) => a.localeCompare(b)));
    const replica = s.metric.mirador_replica ?? '?';
    const r = (perReplica[replica] ??= { raw: 0, distinct: 0 });
    for (const t of s.timestamps) {
      raw++;
      r.raw++;
      const id = `${key}@${t}`;
      if (!seen.has(id)) { seen.add(id); r.distinct++; }
    }
  }
  return { raw, distinct: seen.size, duplicates: raw - seen.size, perReplica };
}

describe(`gateway -> ${TARGETS} isolationforest targets, one stopped for ${DOWN_MS / 1000} s under load`, () => {
  let work: string;
  let vm: RunningVictoriaMetrics;
  let l: Local;
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'mirador-lb-kill-'));
    vm = await startVictoriaMetrics({ runDir: work });
    l = await startLocal({
      components: ['gateway', 'isolationforest'],
      isolationforests: TARGETS,
      vmOtlpUrl: vm.otlpMetricsUrl,
      // each target labels what it stores, so the stored points can be told apart per target
      // (a processor of one's own: it joins the metrics pipeline after memory_limiter)
      values: { 'isolationforest.config.processors.resource/replica': { attributes: [{ key: 'mirador.replica', value: '${env:REPLICA}', action: 'upsert' }] } },
      env: Object.fromEntries(Array.from({ length: TARGETS }, (_, i) => [`isolationforest-${i}`, { REPLICA: `isolationforest-${i}` }])),
    });
  }, 120_000);
  afterAll(async () => {
    await l?.stop();
    await vm?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('stores every point exactly once, delivers the stopped target\'s backlog after its restart, backs off, and the counters agree', async () => {
    const lb = l.config.gateway.exporters['loadbalancing/isolationforest'];
    expect(lb.resolver.static.hostnames).toHaveLength(TARGETS);
    const t0 = Date.now();
    const sender = steadySender(l, t0);
    await sleep(10_000);

    await l.procs[KILLED].stop(30_000);
    const stoppedAt = Date.now();
    const sentBeforeStop = sender.sent();
    await sleep(DOWN_MS);
    const sentWhileDown = sender.sent() - sentBeforeStop;
    // what the first run of the stopped target stored (it drained before exiting)
    const firstRun = (await stored(vm, t0 - 60_000, Date.now() + 60_000)).perReplica[KILLED]?.distinct ?? 0;
    await l.start(KILLED);
    const restartedAt = Date.now();
    await sleep(15_000);
    const sent = await sender.stop();
    const end = Date.now();

    let s = await stored(vm, t0 - 60_000, end + 60_000);
    await waitFor(`all ${sent} points stored`, async () => {
      s = await stored(vm, t0 - 60_000, end + 60_000);
      return s.distinct >= sent || undefined;
    }, 150_000, 2_000).catch(() => undefined);
    await sleep(5_000); // anything still in flight would show up as a duplicate now
    s = await stored(vm, t0 - 60_000, end + 60_000);

    // the collectors' own counters
    const gwSent = await counter(l, 'gateway', 'otelcol_exporter_sent_metric_points', /exporter="loadbalancing\/isolationforest"/);
    const gwFailed = await counter(l, 'gateway', 'otelcol_exporter_send_failed_metric_points', /exporter="loadbalancing\/isolationforest"/);
    const gwEnqueueFailed = await counter(l, 'gateway', 'otelcol_exporter_enqueue_failed_metric_points');
    const backendFailures = await counter(l, 'gateway', 'otelcol_loadbalancer_backend_outcome', /success="false"/);
    const targets: Record<string, { accepted: number; exported: number; stored: number }> = {};
    for (let i = 0; i < TARGETS; i++) {
      const n = `isolationforest-${i}`;
      targets[n] = {
        accepted: await counter(l, n, 'otelcol_receiver_accepted_metric_points'),
        exported: await counter(l, n, 'otelcol_exporter_sent_metric_points', /exporter="otlp_http\/victoriametrics"/),
        stored: s.perReplica[n]?.distinct ?? 0,
      };
    }
    // retries towards the stopped target: how many, and how far apart (the gateway's log)
    const log = readFileSync(join(l.dir, 'gateway.log'), 'utf8');
    const intervals = [...log.matchAll(/Exporting failed\. Will retry the request after interval\..*"interval": "([^"]+)"/g)].map((m) => m[1]);
    const seconds = (d: string) => [...d.matchAll(/([\d.]+)(ms|s|m)/g)].reduce((x, [, v, u]) => x + Number(v) * ({ ms: 1e-3, s: 1, m: 60 } as Record<string, number>)[u], 0);

    console.log(
      `load balancing, ${KILLED} stopped ${((restartedAt - stoppedAt) / 1000).toFixed(0)} s: sent ${sent} points (${sentWhileDown} while it was down, ${sender.refused()} requests refused by the gateway); ` +
      `stored ${s.distinct} distinct, ${s.raw} samples, ${s.duplicates} duplicates; per target ${JSON.stringify(s.perReplica)}; ` +
      `gateway sent ${gwSent}, failed ${gwFailed}, enqueue failed ${gwEnqueueFailed}, backend failures ${backendFailures}; ` +
      `targets (this run) ${JSON.stringify(targets)}, ${KILLED} first run stored ${firstRun}, second run replayed ${targets[KILLED].stored - firstRun - targets[KILLED].accepted} from its file queue; ` +
      `gateway retries while it was down: ${intervals.length}, intervals ${Math.min(...intervals.map(seconds)).toFixed(2)}-${Math.max(...intervals.map(seconds)).toFixed(2)} s`,
    );

    expect(sentWhileDown, 'the gateway kept accepting while a target was down').toBeGreaterThan(0);
    expect(sender.refused()).toBe(0);
    // every point exactly once
    expect(s.distinct).toBe(sent);
    expect(s.duplicates).toBe(0);
    // the stopped target's share: before, and its backlog after the restart
    expect(firstRun).toBeGreaterThan(0);
    expect(targets[KILLED].stored).toBeGreaterThan(firstRun);
    for (const n of Object.keys(targets)) expect(targets[n].stored, n).toBeGreaterThan(0);
    // the counters agree with what is stored
    expect(gwSent).toBe(sent);
    expect(gwFailed + gwEnqueueFailed + backendFailures).toBe(0);
    for (const [n, t] of Object.entries(targets)) {
      // the scoring may add points of its own (a companion score series): at least what was accepted
      expect(t.exported, `${n} exported at least what it accepted`).toBeGreaterThanOrEqual(t.accepted);
      if (n !== KILLED) expect(t.stored, `${n}: stored = accepted`).toBe(t.accepted);
    }
    // the stopped target: what its first run stored, plus what its second run accepted, plus what
    // its second run replayed from the file queue the first run left on disk (counted in the
    // second run's exports beyond its acceptances)
    const replayed = targets[KILLED].stored - firstRun - targets[KILLED].accepted;
    expect(replayed).toBeGreaterThanOrEqual(0);
    expect(replayed).toBeLessThanOrEqual(targets[KILLED].exported - targets[KILLED].accepted);
    expect(Object.values(targets).reduce((x, t) => x + t.stored, 0)).toBe(gwSent);
    // retries back off: a handful per queued request, never a loop (the zero-interval default retried 22,764 times in 60 s)
    expect(intervals.length).toBeGreaterThan(0);
    expect(intervals.length).toBeLessThan(500);
    expect(Math.min(...intervals.map(seconds))).toBeGreaterThanOrEqual(0.5);
  }, 400_000);
});
