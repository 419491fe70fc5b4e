// The umbrella chart installed for real on the local cluster (issue 9's Must-show list):
// helm install --wait, 8 pods Ready, 4 Services, the k8s resolver on a namespaced Role, OTLP
// traces/metrics/logs stored with equal counts, helm test, an upgrade that rolls the pods,
// scaling isolationforest to 5, deleting an isolationforest pod under load, helm uninstall.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  cassandraRowCount, countStoredPoints, freePorts, jaegerStoredSpans, scrape, startCassandra, waitFor, waitForStoredPoints, type RunningCassandra, type StoredPoints,
} from '../../src/harness/index.js';
import { clusterIp, clusterScript, HELM, KUBECTL, kubectl, kubectlJson, must, ROOT, run } from '../../src/harness/kube.js';
import { buildImages, chartArgs, deployBackends, ensureCluster, NAMESPACE as NS, removeAll } from '../../src/harness/local-k8s.js';
import { logsPayload, metricsPayload, postOtlp } from './otlp.js';

const RELEASE = 'app.kubernetes.io/instance=mirador';
const EXPECTED = { gateway: 3, isolationforest: 3, servicegraph: 1, spanmetrics: 1 } as const;
const services = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

let startedCluster = false;
let cassandraDb: RunningCassandra | undefined;
let baseArgs: string[] = [];
let gatewayHttp = '';
let gatewayGrpc = '';
let vm = '';
let jaeger = '';
const times: Record<string, string> = {};
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

const helm = (...args: string[]) => must(HELM, args, { timeoutMs: 600_000 });

interface Pod {
  metadata: { name: string; labels: Record<string, string>; annotations?: Record<string, string>; deletionTimestamp?: string };
  status: { phase: string; podIP: string; conditions?: { type: string; status: string }[] };
}

async function releasePods(component?: string): Promise<Pod[]> {
  const sel = [RELEASE, ...(component ? [`app.kubernetes.io/component=${component}`] : [])].join(',');
  const pods = (await kubectlJson<{ items: Pod[] }>('-n', NS, 'get', 'pods', '-l', sel)).items;
  return pods.filter((p) => !p.metadata.deletionTimestamp && p.metadata.labels['app.kubernetes.io/component'] !== 'test');
}
const isReady = (p: Pod) => p.status.phase === 'Running' && !!p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

/** Sum of one counter over the gateway pods' own metrics, per label value of `by`. */
async function gatewayCounter(metric: string, by: string, where: Record<string, string> = {}): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const pod of await releasePods('gateway')) {
    for (const [k, v] of (await scrape(`http://${pod.status.podIP}:8888/metrics`)).sumBy(metric, by, where)) out.set(k, (out.get(k) ?? 0) + v);
  }
  return out;
}

/** isolationforest endpoints (pod IP:4317) the gateways have exported to successfully. */
async function routedIsolationforest(): Promise<string[]> {
  const ifIps = new Set((await releasePods('isolationforest')).map((p) => `${p.status.podIP}:4317`));
  const sent = await gatewayCounter('otelcol_loadbalancer_backend_outcome_total', 'endpoint', { success: 'true' });
  return [...sent.entries()].filter(([ep, n]) => ifIps.has(ep) && n > 0).map(([ep]) => ep).sort();
}

async function readyIsolationforest(): Promise<string[]> {
  return (await releasePods('isolationforest')).filter(isReady).map((p) => `${p.status.podIP}:4317`).sort();
}

/** Sends `requests` OTLP/HTTP requests of `svcs.length * perService` points; returns the number sent. */
async function sendMetrics(metric: string, svcs: string[], perService: number, requests: number): Promise<number> {
  for (let i = 0; i < requests; i++) await postOtlp(gatewayHttp, 'metrics', metricsPayload(metric, svcs, perService));
  return svcs.length * perService * requests;
}

/** Waits until every sent point is in VictoriaMetrics (distinct points; duplicates are reported by the caller). */
async function expectStoredPoints(metric: string, sent: number, timeoutMs = 120_000): Promise<StoredPoints> {
  const stored = await waitForStoredPoints(vm, `{__name__="${metric}"}`, sent, { timeoutMs });
  if (stored.distinct < sent) throw new Error(`${sent} points of ${metric} not all in VictoriaMetrics after ${timeoutMs} ms: ${JSON.stringify(stored)}`);
  return stored;
}

describe('helm install of charts/mirador on the local cluster (npm run cluster)', () => {
  beforeAll(async () => {
    for (const need of ['charts/mirador/Chart.yaml', '.tools/bin/helm', '.tools/bin/telemetrygen']) {
      if (!existsSync(resolve(ROOT, need))) throw new Error(`${need} is missing (npm run tools, or the chart)`);
    }
    startedCluster = await ensureCluster();
    times['build:image'] = secs(await buildImages());
    await removeAll(); // leftovers of an interrupted run

    // Backends: VictoriaMetrics and Jaeger as pods, Cassandra on the host published to the pods.
    const runDir = resolve(ROOT, '.run/k8s-test/cassandra');
    rmSync(runDir, { recursive: true, force: true });
    const [cql, storage] = await freePorts(2);
    cassandraDb = await startCassandra({ runDir, cqlPort: cql, storagePort: storage });
    ({ vmUrl: vm, jaegerUrl: jaeger } = await deployBackends(cql));
    baseArgs = chartArgs(cql);
  });

  afterAll(async () => {
    console.log('measured:', JSON.stringify(times, null, 1));
    await removeAll();
    await cassandraDb?.stop();
    if (startedCluster) await clusterScript('stop');
  });

  it('helm install --wait: 8 pods Running and Ready, 4 Services with 8888/4317/4318', async () => {
    const r = await helm('install', 'mirador', 'charts/mirador', ...baseArgs, '--create-namespace', '--wait', '--timeout', '5m');
    times['helm install --wait'] = secs(r.ms);
    const pods = await releasePods();
    expect(pods).toHaveLength(8);
    for (const [component, n] of Object.entries(EXPECTED)) {
      const mine = pods.filter((p) => p.metadata.labels['app.kubernetes.io/component'] === component);
      expect(mine, component).toHaveLength(n);
      for (const p of mine) expect(isReady(p), p.metadata.name).toBe(true);
    }
    const svcs = (await kubectlJson<{ items: any[] }>('-n', NS, 'get', 'services', '-l', RELEASE)).items;
    expect(svcs.map((s) => s.metadata.name).sort()).toEqual(
      ['mirador-gateway', 'mirador-isolationforest', 'mirador-servicegraph', 'mirador-spanmetrics']);
    for (const s of svcs) {
      expect(s.spec.type).toBe('ClusterIP');
      expect(s.spec.ports.map((p: any) => p.port).sort()).toEqual([4317, 4318, 8888]);
    }
    const gw = await clusterIp(NS, 'mirador-gateway');
    gatewayHttp = `http://${gw}:4318`;
    gatewayGrpc = `${gw}:4317`;
  });

  it('grants the resolver a namespaced Role only, and the gateway resolves the 3 isolationforest endpoints', async () => {
    const roles = (await kubectlJson<{ items: any[] }>('-n', NS, 'get', 'roles', '-l', RELEASE)).items;
    expect(roles.length).toBeGreaterThan(0);
    for (const role of roles) {
      for (const rule of role.rules) {
        expect(rule.verbs.sort()).toEqual(['get', 'list', 'watch']);
        expect(['endpoints', 'endpointslices']).toEqual(expect.arrayContaining(rule.resources));
      }
    }
    const clusterWide = await kubectlJson<{ items: any[] }>('get', 'clusterroles,clusterrolebindings', '-l', RELEASE);
    expect(clusterWide.items).toEqual([]);
    // The resolver's view, from the gateways' own metrics: after traffic to many resources,
    // each gateway has exported to every isolationforest pod (the Role was enough to watch them).
    const sent = await sendMetrics('mirador_k8s_resolver', services('resolver', 30), 20, 3);
    const want = await readyIsolationforest();
    expect(want).toHaveLength(3);
    await waitFor('gateways route to all 3 isolationforest pods', async () =>
      JSON.stringify(await routedIsolationforest()) === JSON.stringify(want), 60_000, 1000);
    const stored = await expectStoredPoints('mirador_k8s_resolver', sent);
    expect(stored.raw).toBe(sent);
  });

  it('stores OTLP traces, metrics and logs sent to the gateway Service, counts equal, metrics scored', async () => {
    // Traces over gRPC with telemetrygen: 200 traces of 2 spans; Jaeger must hold each span once.
    const t0 = Date.now();
    await must('.tools/bin/telemetrygen', ['traces', '--otlp-insecure', '--otlp-endpoint', gatewayGrpc,
      '--traces', '200', '--rate', '0', '--service', 'k8s-traces']);
    // Metrics and logs over HTTP with unique content.
    const sentPoints = await sendMetrics('mirador_k8s_points', services('points', 20), 100, 6);
    let sentLogs = 0;
    for (let i = 0; i < 5; i++) {
      await postOtlp(gatewayHttp, 'logs', logsPayload('k8s-logs', services('logs', 10), 50));
      sentLogs += 500;
    }
    const traces = await waitFor('400 spans in Jaeger', async () => {
      const s = await jaegerStoredSpans(jaeger, 'k8s-traces', t0 - 600_000, Date.now() + 60_000);
      return s.spans >= 400 ? s : undefined;
    }, 120_000, 2000);
    expect({ spans: traces.spans, distinct: traces.uniqueSpans }).toEqual({ spans: 400, distinct: 400 });
    const points = await expectStoredPoints('mirador_k8s_points', sentPoints);
    expect(points.raw).toBe(sentPoints);
    // The input is stored untouched (the default output_mode, metrics); each point scored after
    // its series' warm-up adds one point to the companion gauge <metric>_anomaly_score.
    expect(points.scored, 'input points carrying score labels (attributes mode only)').toBe(0);
    const scores = await countStoredPoints(vm, '{__name__="mirador_k8s_points_anomaly_score"}');
    expect(scores.raw).toBeGreaterThan(0);
    expect(scores.raw).toBeLessThanOrEqual(sentPoints);
    const rows = await waitFor(`${sentLogs} log rows in Cassandra`, async () => {
      const n = await cassandraRowCount(cassandraDb!.host, cassandraDb!.cqlPort, 'mirador', 'logs', { column: 'body', where: (b) => String(b).startsWith('k8s-logs ') });
      return n >= sentLogs ? n : undefined;
    }, 120_000, 2000);
    expect(rows).toBe(sentLogs);
    times['traces+metrics+logs stored'] = secs(Date.now() - t0);
    console.log(`stored: ${traces.spans} spans, ${points.raw} points (${scores.raw} scored, ${scores.anomalous} anomalous), ${rows} log rows`);
  });

  it('helm test passes', async () => {
    const r = await helm('test', 'mirador', '-n', NS, '--timeout', '3m');
    expect(r.stdout).toMatch(/Phase:\s+Succeeded/);
    times['helm test'] = secs(r.ms);
  });

  it('helm upgrade with a changed collector config rolls the pods', async () => {
    const before = (await releasePods('gateway')).map((p) => p.metadata.name).sort();
    const checksum = (await releasePods('gateway'))[0].metadata.annotations?.['checksum/config'];
    const r = await helm('upgrade', 'mirador', 'charts/mirador', ...baseArgs, '--reuse-values',
      '--set', 'gateway.config.processors.batch.timeout=2s', '--wait', '--timeout', '5m');
    times['helm upgrade (config change) --wait'] = secs(r.ms);
    await waitFor('old gateway pods gone', async () => {
      const now = await releasePods('gateway');
      return now.length === 3 && now.every(isReady) && now.every((p) => !before.includes(p.metadata.name));
    }, 120_000, 1000);
    const after = await releasePods('gateway');
    expect(after[0].metadata.annotations?.['checksum/config']).not.toBe(checksum);
    const cm = (await kubectl('-n', NS, 'get', 'configmap', 'mirador-gateway', '-o', 'yaml')).stdout;
    expect(cm).toMatch(/timeout: 2s/);
  });

  it('--set isolationforest.replicaCount=5 scales, and the gateway routes to the new pods', async () => {
    const old = await readyIsolationforest();
    const r = await helm('upgrade', 'mirador', 'charts/mirador', ...baseArgs, '--reuse-values',
      '--set', 'isolationforest.replicaCount=5', '--wait', '--timeout', '5m');
    times['helm upgrade (scale to 5) --wait'] = secs(r.ms);
    const five = await waitFor('5 ready isolationforest pods', async () => {
      const eps = await readyIsolationforest();
      return eps.length === 5 ? eps : undefined;
    }, 120_000, 1000);
    const added = five.filter((e) => !old.includes(e));
    expect(added).toHaveLength(2);
    const sent = await sendMetrics('mirador_k8s_scaled', services('scaled', 40), 10, 3);
    await waitFor('gateways route to the 2 new isolationforest pods', async () => {
      const routed = await routedIsolationforest();
      return added.every((e) => routed.includes(e));
    }, 60_000, 1000);
    const stored = await expectStoredPoints('mirador_k8s_scaled', sent);
    expect(stored.raw).toBe(sent);
  });

  it('loses nothing when an isolationforest pod is deleted under load', async () => {
    const victim = (await releasePods('isolationforest'))[0].metadata.name;
    const svcs = services('load', 40);
    // About 2000 points/s for 20 s (what two shared cores carry with room to spare); the pod
    // is deleted (graceful termination) after 5 s.
    let sent = 0;
    let deleted = false;
    const t0 = Date.now();
    for (let i = 0; Date.now() - t0 < 20_000; i++) {
      sent += await sendMetrics('mirador_k8s_load', svcs, 5, 1);
      if (!deleted && Date.now() - t0 > 5_000) {
        deleted = true;
        void run(KUBECTL, ['-n', NS, 'delete', 'pod', victim, '--wait=false']);
      }
      const due = t0 + (i + 1) * 100;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    }
    const stored = await expectStoredPoints('mirador_k8s_load', sent, 180_000);
    console.log(`load: ${sent} points sent in 20 s while deleting ${victim}; stored ${stored.distinct} distinct, ${stored.raw - stored.distinct} duplicates`);
    expect(stored.distinct).toBe(sent);
  });

  it('helm uninstall leaves nothing behind', async () => {
    const t0 = Date.now();
    const r = await helm('uninstall', 'mirador', '-n', NS, '--wait', '--timeout', '3m');
    times['helm uninstall --wait'] = secs(r.ms);
    // Pods end after their graceful termination; then only what Kubernetes puts in every namespace is left.
    const kinds = 'all,configmaps,secrets,serviceaccounts,roles,rolebindings,poddisruptionbudgets,networkpolicies,endpointslices,persistentvolumeclaims';
    let left: string[] = [];
    await waitFor('the release namespace to empty', async () => {
      left = (await kubectl('-n', NS, 'get', kinds, '-o', 'name')).stdout.split('\n').filter(Boolean).sort();
      return left.length === 2 || undefined;
    }, 120_000, 1000).catch(() => undefined);
    expect(left).toEqual(['configmap/kube-root-ca.crt', 'serviceaccount/default']);
    times['pods gone after uninstall'] = secs(Date.now() - t0);
    const anywhere = (await kubectl('get', 'clusterroles,clusterrolebindings,namespaces', '-l', RELEASE, '-o', 'name')).stdout.trim();
    expect(anywhere).toBe('');
  });
});
