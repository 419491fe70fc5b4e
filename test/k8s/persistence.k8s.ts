// isolationforest.persistence on the local cluster (issue 17's Must-show): the chart installed with
// a claim per isolationforest pod (static hostPath PersistentVolumes here: the cluster has no
// provisioner), steady load on 90 series, then `helm upgrade` with a config change of
// isolationforest under that load, which replaces its three pods one by one. Measured and checked:
//  - each new pod scores its series at once: the first score point of each of its series comes
//    within seconds of the pod's start, and every point it receives is scored (no warm-up);
//  - the false-alarm rate (alarms opened per scored point) in the minutes after the rollout is no
//    higher than in the minutes before it;
//  - nothing is lost: every point sent is stored once.
// To see which pod scored a point, isolationforest adds its pod name as the resource attribute
// mirador.scorer (a resource processor from the values below, before the processor: it is part of
// the series' identity only inside isolationforest; the gateway routes on the application's resource).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chownSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePorts, startCassandra, vmExport, waitFor, type RunningCassandra } from '../../src/harness/index.js';
import { clusterScript, HELM, kubectl, kubectlJson, must, ROOT, run } from '../../src/harness/kube.js';
import { buildImages, chartArgs, deployBackends, ensureCluster, NAMESPACE as NS, removeAll } from '../../src/harness/local-k8s.js';
import { postOtlp } from './otlp.js';

const SERIES = 90;
const HZ = 4; // points per series per second
const LEARN_S = 90; // series mature (the range's young-series discount ends at 200 points)
const BEFORE_S = 150; // the window false alarms are counted in before the rollout
const AFTER_S = 150; // ... and after it
const METRIC = 'mirador_persist_load';
const CLASS = 'mirador-local-state';
const PV_DIR = resolve(ROOT, '.run/k8s-state');
const PODS = [0, 1, 2].map((i) => `mirador-isolationforest-${i}`);

let startedCluster = false;
let cassandraDb: RunningCassandra | undefined;
let args: string[] = [];
let vm = '';
let gatewayHttp = '';
const helm = (...a: string[]) => must(HELM, a, { timeoutMs: 600_000 });

/** One static hostPath volume per claim the StatefulSet will make, pre-bound to it, writable by the collector's uid. */
async function makeVolumes(): Promise<void> {
  rmSync(PV_DIR, { recursive: true, force: true });
  for (const [i, pod] of PODS.entries()) {
    const dir = join(PV_DIR, `pv-${i}`);
    mkdirSync(dir, { recursive: true });
    chownSync(dir, 10001, 10001);
    const pv = {
      apiVersion: 'v1', kind: 'PersistentVolume',
      metadata: { name: `mirador-state-${i}`, labels: { 'mirador.test/state': 'true' } },
      spec: {
        capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], storageClassName: CLASS,
        persistentVolumeReclaimPolicy: 'Retain', hostPath: { path: dir, type: 'Directory' },
        claimRef: { namespace: NS, name: `state-${pod}` },
      },
    };
    await must(join(ROOT, '.tools/k8s/bin/kubectl'), ['apply', '-f', '-'], { input: JSON.stringify(pv) });
  }
}

async function removeVolumes(): Promise<void> {
  await run(join(ROOT, '.tools/k8s/bin/kubectl'), ['delete', 'pv', '-l', 'mirador.test/state=true', '--ignore-not-found', '--wait=true'], { timeoutMs: 120_000 });
  rmSync(PV_DIR, { recursive: true, force: true });
}

// ---- the load: SERIES gauges, HZ points a second each, stationary noise -------------------------

const sent = new Map<string, number[]>(); // service -> timestamps (ms) sent and acknowledged
let loadRunning = false;
let loadDone: Promise<void> = Promise.resolve();
const noise = (s: number, t: number) => { const x = Math.sin(s * 12.9898 + t * 78.233) * 43758.5453; return x - Math.floor(x); };

function startLoad(): void {
  loadRunning = true;
  loadDone = (async () => {
    let lastTs = 0;
    for (let tick = 0; loadRunning; tick++) {
      const due = t0Load + tick * (1000 / HZ);
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      const ts = Math.max(Date.now(), lastTs + 1);
      lastTs = ts;
      const body = {
        resourceMetrics: Array.from({ length: SERIES }, (_, s) => ({
          resource: { attributes: [{ key: 'service.name', value: { stringValue: `persist-${s}` } }] },
          scopeMetrics: [{ metrics: [{ name: METRIC, gauge: { dataPoints: [{ timeUnixNano: `${ts}000000`, asDouble: 100 + s + 10 * noise(s, ts) }] } }] }],
        })),
      };
      // a refused request is retried as is (same timestamps): the gateway must take every point
      for (let attempt = 0; ; attempt++) {
        try { await postOtlp(gatewayHttp, 'metrics', body); break; } catch (e) {
          if (attempt >= 20) throw e;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
      for (let s = 0; s < SERIES; s++) {
        const k = `persist-${s}`;
        if (!sent.has(k)) sent.set(k, []);
        sent.get(k)!.push(ts);
      }
    }
  })();
}
let t0Load = 0;

// ---- what VictoriaMetrics holds, per series -------------------------------------------------------

interface Point { ts: number; scorer: string; score?: number; anomaly?: boolean }
/** Input points and score points of every series, by service, with the pod that scored them. */
async function stored(fromMs: number, toMs: number): Promise<{ input: Map<string, Point[]>; scores: Map<string, Point[]> }> {
  const scorerOf = (m: Record<string, string>) => Object.values(m).find((v) => v.startsWith('mirador-isolationforest-')) ?? '';
  const serviceOf = (m: Record<string, string>) => Object.values(m).find((v) => v.startsWith('persist-')) ?? '';
  const input = new Map<string, Point[]>();
  const scores = new Map<string, Point[]>();
  for (const s of await vmExport(vm, `{__name__="${METRIC}"}`, fromMs, toMs)) {
    const k = serviceOf(s.metric);
    const arr = input.get(k) ?? input.set(k, []).get(k)!;
    for (const ts of s.timestamps) arr.push({ ts, scorer: scorerOf(s.metric) });
  }
  for (const s of await vmExport(vm, `{__name__="${METRIC}_anomaly_score"}`, fromMs, toMs)) {
    const k = serviceOf(s.metric);
    const arr = scores.get(k) ?? scores.set(k, []).get(k)!;
    s.timestamps.forEach((ts, i) => arr.push({ ts, scorer: scorerOf(s.metric), score: s.values[i], anomaly: s.metric.is_anomaly === 'true' }));
  }
  for (const m of [input, scores]) for (const arr of m.values()) arr.sort((a, b) => a.ts - b.ts);
  return { input, scores };
}

describe('isolationforest.persistence on the local cluster: a rollout under load', () => {
  const m: Record<string, unknown> = {};
  let rolloutStart = 0;
  let rolloutEnd = 0;
  let podStarts: Record<string, number> = {};

  beforeAll(async () => {
    startedCluster = await ensureCluster();
    await buildImages();
    await removeAll();
    await removeVolumes();
    const runDir = resolve(ROOT, '.run/k8s-test/cassandra-persistence');
    rmSync(runDir, { recursive: true, force: true });
    const [cql, storage] = await freePorts(2);
    cassandraDb = await startCassandra({ runDir, cqlPort: cql, storagePort: storage });
    ({ vmUrl: vm } = await deployBackends(cql));
    await must(join(ROOT, '.tools/k8s/bin/kubectl'), ['create', 'namespace', NS]);
    await makeVolumes();
    args = [...chartArgs(cql),
      '--set', 'isolationforest.persistence.enabled=true', '--set', `isolationforest.persistence.storageClassName=${CLASS}`,
      '--set-json', 'isolationforest.extraEnv=[{"name":"POD_NAME","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}}]',
      '--set-json', 'isolationforest.config.processors.resource/scorer={"attributes":[{"key":"mirador.scorer","value":"${env:POD_NAME}","action":"upsert"}]}'];
  }, 1_200_000);

  afterAll(async () => {
    loadRunning = false;
    await loadDone.catch(() => undefined);
    console.log('persistence measured:', JSON.stringify(m, null, 1));
    await removeAll();
    await removeVolumes();
    await cassandraDb?.stop();
    if (startedCluster) await clusterScript('stop');
  }, 600_000);

  it('installs isolationforest as a StatefulSet whose pods bind their own claims', async () => {
    const r = await helm('install', 'mirador', 'charts/mirador', ...args, '--wait', '--timeout', '5m');
    m.installSeconds = Math.round(r.ms / 100) / 10;
    const sts = await kubectlJson('-n', NS, 'get', 'statefulset', 'mirador-isolationforest');
    expect(sts.status.readyReplicas).toBe(3);
    const pvcs = (await kubectlJson<{ items: any[] }>('-n', NS, 'get', 'pvc')).items;
    expect(pvcs.map((p) => [p.metadata.name, p.status.phase]).sort()).toEqual(PODS.map((p) => [`state-${p}`, 'Bound']));
    gatewayHttp = `http://${(await kubectl('-n', NS, 'get', 'service', 'mirador-gateway', '-o', 'jsonpath={.spec.clusterIP}')).stdout.trim()}:4318`;
  });

  it('the gateways route to the pods by their stable names', async () => {
    t0Load = Date.now();
    startLoad();
    // every pod scores some series (the ring spreads 90 resources over the three names)
    const scorers = await waitFor('score points from all three pods', async () => {
      const { scores } = await stored(t0Load - 5_000, Date.now() + 5_000);
      const pods = new Set([...scores.values()].flatMap((a) => a.map((p) => p.scorer)));
      return pods.size === 3 ? [...pods].sort() : undefined;
    }, 120_000, 3000);
    expect(scorers).toEqual(PODS);
    // and the gateways' own metrics name the endpoints they export to: the pods' DNS names
    const endpoints = await waitFor('the gateways to export to the three pods by name', async () => {
      const seen = new Set<string>();
      for (const gw of (await kubectlJson<{ items: any[] }>('-n', NS, 'get', 'pods', '-l', 'app.kubernetes.io/component=gateway')).items) {
        const text = await (await fetch(`http://${gw.status.podIP}:8888/metrics`)).text();
        for (const x of text.matchAll(/^otelcol_loadbalancer_backend_outcome[^{]*\{[^}]*endpoint="([^"]+)"/gm)) seen.add(x[1]);
      }
      const ifs = [...seen].filter((e) => e.includes('isolationforest')).sort();
      return ifs.length === 3 ? ifs : undefined;
    }, 60_000, 3000);
    expect(endpoints).toEqual(PODS.map((p) => `${p}.mirador-isolationforest-headless.${NS}:4317`));
  }, 300_000);

  it('helm upgrade with a config change rolls the three pods one by one under load', async () => {
    await new Promise((r) => setTimeout(r, Math.max(0, t0Load + (LEARN_S + BEFORE_S) * 1000 - Date.now())));
    const before = Object.fromEntries((await kubectlJson<{ items: any[] }>('-n', NS, 'get', 'pods', '-l', 'app.kubernetes.io/component=isolationforest')).items.map((p) => [p.metadata.name, p.metadata.uid]));
    rolloutStart = Date.now();
    const r = await helm('upgrade', 'mirador', 'charts/mirador', ...args, '--reuse-values',
      '--set', 'isolationforest.config.processors.batch.timeout=2s', '--wait', '--timeout', '10m');
    rolloutEnd = Date.now();
    m.rolloutSeconds = Math.round(r.ms / 100) / 10;
    const pods = (await kubectlJson<{ items: any[] }>('-n', NS, 'get', 'pods', '-l', 'app.kubernetes.io/component=isolationforest')).items;
    expect(pods.map((p) => p.metadata.name).sort()).toEqual(PODS);
    for (const p of pods) expect(p.metadata.uid, `${p.metadata.name} was replaced`).not.toBe(before[p.metadata.name]);
    // the container's start, to the second
    podStarts = Object.fromEntries(pods.map((p) => [p.metadata.name, Date.parse(p.status.containerStatuses[0].state.running.startedAt)]));
    m.podStarts = Object.fromEntries(Object.entries(podStarts).map(([k, v]) => [k, `${((v - rolloutStart) / 1000).toFixed(0)} s after helm upgrade`]));
    // each pod restored its own state
    for (const p of PODS) {
      const log = (await run(join(ROOT, '.tools/k8s/bin/kubectl'), ['-n', NS, 'logs', p])).stdout;
      expect(log, `${p} log`).not.toMatch(/saved state ignored/);
      m[`${p} log`] = log.split('\n').filter((l) => /restor|state/i.test(l)).map((l) => l.slice(0, 220)).slice(0, 3);
    }
  }, 900_000);

  it('each new pod scores its series within seconds of its start, every point it receives, and no more false alarms after than before', async () => {
    await new Promise((r) => setTimeout(r, Math.max(0, rolloutEnd + AFTER_S * 1000 - Date.now())));
    loadRunning = false;
    await loadDone;
    const { input, scores } = await waitFor('every point sent to be stored', async () => {
      const s = await stored(t0Load - 5_000, Date.now() + 5_000);
      const n = [...s.input.values()].reduce((a, x) => a + new Set(x.map((p) => p.ts)).size, 0);
      return n >= [...sent.values()].reduce((a, x) => a + x.length, 0) ? s : undefined;
    }, 180_000, 3000).catch(async () => stored(t0Load - 5_000, Date.now() + 5_000));

    // nothing lost, nothing twice
    let sentN = 0; let storedDistinct = 0; let storedRaw = 0; let missing = 0;
    for (const [k, ts] of sent) {
      sentN += ts.length;
      const got = input.get(k) ?? [];
      storedRaw += got.length;
      const have = new Set(got.map((p) => p.ts));
      storedDistinct += have.size;
      missing += ts.filter((t) => !have.has(t)).length;
    }
    Object.assign(m, { pointsSent: sentN, pointsStoredDistinct: storedDistinct, pointsStoredRaw: storedRaw, pointsMissing: missing });

    // each restarted pod: its series (those it scores at the end), their first score point after
    // its start, and its input points after its start that carry no score
    const perPod: Record<string, unknown> = {};
    let worstFirstScore = 0;
    let unscoredOnRestartedPods = 0;
    let worstBeforeFirstScore = 0;
    for (const pod of PODS) {
      const start = podStarts[pod];
      const mine = [...scores.entries()].filter(([, a]) => a.at(-1)?.scorer === pod).map(([k]) => k);
      const delays: number[] = [];
      let unscored = 0; let received = 0; let beforeFirstScore = 0;
      for (const k of mine) {
        const first = scores.get(k)!.find((p) => p.scorer === pod && p.ts >= start);
        if (first) delays.push((first.ts - start) / 1000);
        const scoredTs = new Set(scores.get(k)!.filter((p) => p.scorer === pod).map((p) => p.ts));
        let n = 0;
        for (const p of input.get(k) ?? []) if (p.scorer === pod && p.ts >= start) {
          received++;
          if (!scoredTs.has(p.ts)) unscored++;
          if (first && p.ts < first.ts) n++;
        }
        // a warm-up would leave the first warmup_points (10) points this pod got of the series unscored
        beforeFirstScore = Math.max(beforeFirstScore, n);
      }
      delays.sort((a, b) => a - b);
      // the blind spot: from the old pod's last score point to the new pod's first, per series
      perPod[pod] = {
        series: mine.length, seriesScoredAfterStart: delays.length,
        firstScoreAfterStartSeconds: { min: delays[0], median: delays[Math.floor(delays.length / 2)], max: delays.at(-1) },
        pointsReceivedAfterStart: received, unscoredOfThem: unscored, mostPointsOfOneSeriesBeforeItsFirstScore: beforeFirstScore,
      };
      worstBeforeFirstScore = Math.max(worstBeforeFirstScore, beforeFirstScore);
      expect(delays.length, `${pod}: every one of its ${mine.length} series scored after its start`).toBe(mine.length);
      worstFirstScore = Math.max(worstFirstScore, delays.at(-1) ?? Infinity);
      unscoredOnRestartedPods += unscored;
    }
    m.perPod = perPod;

    // while a pod was away its series went to the other two, which met them new (warm-up)
    let unscoredDuringRollout = 0; let inputDuringRollout = 0;
    for (const [k, a] of input) {
      const scored = new Set((scores.get(k) ?? []).map((p) => p.ts));
      for (const p of a) if (p.ts >= rolloutStart && p.ts <= rolloutEnd) { inputDuringRollout++; if (!scored.has(p.ts)) unscoredDuringRollout++; }
    }
    m.rollout = { pointsDuringRollout: inputDuringRollout, unscored: unscoredDuringRollout };

    // false alarms: alarm episodes opened per scored point, before the rollout and after it
    const rate = (from: number, to: number) => {
      let n = 0; let alarms = 0;
      for (const a of scores.values()) for (const p of a) if (p.ts >= from && p.ts < to) { n++; if (p.anomaly) alarms++; }
      return { scored: n, alarms, perThousand: n ? (1000 * alarms) / n : 0 };
    };
    const before = rate(t0Load + LEARN_S * 1000, rolloutStart);
    const after = rate(rolloutStart, rolloutEnd + AFTER_S * 1000);
    m.falseAlarms = { before, after };

    // the new pods' own counters (they started with the rollout): why points passed unscored
    const reasons: Record<string, Record<string, number>> = {};
    for (const p of (await kubectlJson<{ items: any[] }>('-n', NS, 'get', 'pods', '-l', 'app.kubernetes.io/component=isolationforest')).items) {
      const text = await (await fetch(`http://${p.status.podIP}:8888/metrics`)).text();
      const r: Record<string, number> = {};
      for (const x of text.matchAll(/^otelcol_processor_isolationforest_points_(scored|unscored)[^{ ]*(\{[^}]*\})? ([0-9.e+]+)$/gm)) {
        const k = x[1] === 'scored' ? 'scored' : `unscored:${/reason="([^"]+)"/.exec(x[2] ?? '')?.[1]}`;
        r[k] = (r[k] ?? 0) + Number(x[3]);
      }
      reasons[p.metadata.name] = r;
    }
    m.newPodCounters = reasons;
    // where the missing points are: by the pod of their series, seconds from that pod's start
    const missingAt: Record<string, number[]> = {};
    for (const [k, ts] of sent) {
      const have = new Set((input.get(k) ?? []).map((p) => p.ts));
      const pod = scores.get(k)?.at(-1)?.scorer ?? '?';
      for (const t of ts) if (!have.has(t)) (missingAt[pod] ??= []).push(Math.round((t - (podStarts[pod] ?? rolloutStart)) / 100) / 10);
    }
    m.missingByPodSecondsFromStart = Object.fromEntries(Object.entries(missingAt).map(([p, a]) => [p, { n: a.length, min: Math.min(...a), max: Math.max(...a) }]));
    const logDir = resolve(ROOT, '.run/k8s-test/persistence');
    mkdirSync(logDir, { recursive: true });
    for (const gw of (await kubectlJson<{ items: any[] }>('-n', NS, 'get', 'pods', '-l', 'app.kubernetes.io/component=gateway')).items) {
      const log = (await run(join(ROOT, '.tools/k8s/bin/kubectl'), ['-n', NS, 'logs', gw.metadata.name])).stdout;
      writeFileSync(join(logDir, `${gw.metadata.name}.log`), log);
      (m.gatewayLogs as Record<string, unknown> ?? (m.gatewayLogs = {}) as Record<string, unknown>)[gw.metadata.name] =
        { dropped: (log.match(/Dropping data|dropped|no more retries|interrupted due to shutdown/gi) ?? []).length };
    }
    console.log('persistence measured:', JSON.stringify(m));

    expect({ missing, storedDistinct }).toEqual({ missing: 0, storedDistinct: sentN });
    // a restarted pod holds its series' state: it scores each of its series from the first points
    // it gets (a warm-up would leave 10 unscored). Points also pass unscored when they arrive out
    // of order (the gateways send up to queue.num_consumers requests to a pod at once), with or
    // without a restart, and the new pods' warm-up counters hold the series of a neighbour that
    // restarted after them (routed to them while it was away): both are reported, not judged here.
    expect(worstBeforeFirstScore, 'points a restarted pod got of one of its series before scoring it').toBeLessThan(3);
    m.unscoredOnRestartedPods = unscoredOnRestartedPods;
    expect(worstFirstScore, 'seconds from a new pod\'s start to the first score point of its slowest series').toBeLessThan(10);
    expect(before.scored).toBeGreaterThan(SERIES * HZ * 60);
    expect(after.perThousand).toBeLessThanOrEqual(before.perThousand);
  }, 900_000);
});
