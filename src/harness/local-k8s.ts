/**
 * The product on the local Kubernetes of scripts/cluster: the steps `npm run cluster -- up` takes
 * (scripts/cluster/deploy.ts) and the Kubernetes suite (test/k8s/chart.k8s.ts) takes before it
 * tests `helm install`: the cluster, the images, VictoriaMetrics and Jaeger as pods, the host's
 * Cassandra published to the pods, and the chart's values for all of it.
 */
import { join } from 'node:path';
import { clusterIp, clusterScript, clusterUp, HELM, KUBECTL, must, ROOT, run } from './kube.js';

export const RELEASE = 'mirador';
/** The release's namespace. */
export const NAMESPACE = 'miradorstack';
/** The backends' namespace (their own, so the release namespace can be checked empty after uninstall). */
export const BACKENDS_NAMESPACE = 'mirador-backends';
export const BACKENDS_MANIFEST = join(ROOT, 'scripts/cluster/manifests/backends.yaml');
export const LOCAL_VALUES = join(ROOT, 'scripts/cluster/values-local.yaml');
const CASSANDRA_SERVICE = `${BACKENDS_NAMESPACE}/cassandra`;

type Log = (line: string) => void;

/** Starts the cluster unless it runs; true when this call started it (so the caller stops it). */
export async function ensureCluster(log: Log = () => undefined): Promise<boolean> {
  if (await clusterUp()) return false;
  log('starting the cluster (scripts/cluster/cluster.sh start) ...');
  const r = await clusterScript('start');
  if (r.code !== 0) throw new Error(`cluster start failed:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  return true;
}

/** The collector, backend and curl images (npm run build:image), imported into the node. */
export async function buildImages(): Promise<number> {
  return (await must('bash', [join(ROOT, 'scripts/build-image.sh')], { timeoutMs: 900_000 })).ms;
}

export interface LocalBackends {
  /** VictoriaMetrics' ClusterIP URL (reachable from the host and the pods). */
  vmUrl: string;
  /** Jaeger's query API and UI. */
  jaegerUrl: string;
  /** The in-cluster address of the host's Cassandra. */
  cassandraEndpoint: string;
}

/**
 * VictoriaMetrics and Jaeger as pods, and the host's Cassandra on 127.0.0.1:cqlPort published to
 * the pods as the Service mirador-backends/cassandra; resolves once both pods are ready.
 */
export async function deployBackends(cqlPort: number): Promise<LocalBackends> {
  await must(KUBECTL, ['apply', '-f', BACKENDS_MANIFEST]);
  await must('bash', [join(ROOT, 'scripts/cluster/cluster.sh'), 'expose', CASSANDRA_SERVICE, String(cqlPort)]);
  await must(KUBECTL, ['-n', BACKENDS_NAMESPACE, 'rollout', 'status', 'deploy/victoriametrics', 'deploy/jaeger', '--timeout=180s'], { timeoutMs: 200_000 });
  return {
    vmUrl: `http://${await clusterIp(BACKENDS_NAMESPACE, 'victoriametrics')}:8428`,
    jaegerUrl: `http://${await clusterIp(BACKENDS_NAMESPACE, 'jaeger')}:16686`,
    cassandraEndpoint: `cassandra.${BACKENDS_NAMESPACE}.svc.cluster.local:${cqlPort}`,
  };
}

/** helm arguments that put the release in its namespace with the local images and backends. */
export function chartArgs(cqlPort: number): string[] {
  return ['-n', NAMESPACE, '-f', LOCAL_VALUES, '--set', `backends.cassandra.endpoints[0]=cassandra.${BACKENDS_NAMESPACE}.svc.cluster.local:${cqlPort}`];
}

/** helm upgrade --install with the local values; resolves once every pod is Ready. */
export async function installChart(cqlPort: number): Promise<number> {
  const r = await must(HELM, ['upgrade', '--install', RELEASE, join(ROOT, 'charts/mirador'), ...chartArgs(cqlPort),
    '--create-namespace', '--wait', '--timeout', '5m'], { timeoutMs: 400_000 });
  return r.ms;
}

/** The release, the Cassandra Service and both namespaces gone (also after an interrupted run). */
export async function removeAll(): Promise<void> {
  await run(HELM, ['uninstall', RELEASE, '-n', NAMESPACE, '--wait']);
  await run('bash', [join(ROOT, 'scripts/cluster/cluster.sh'), 'unexpose', CASSANDRA_SERVICE]);
  await run(KUBECTL, ['delete', 'namespace', NAMESPACE, BACKENDS_NAMESPACE, '--ignore-not-found', '--wait=true'], { timeoutMs: 300_000 });
}
