// `npm run cluster -- up` / `down` (scripts/cluster/cluster.sh runs this with scripts/run-ts.mjs
// once the cluster runs, or before it stops): the whole product on the local Kubernetes.
//   up    images; VictoriaMetrics and Jaeger as pods; Cassandra on the host (a detached keeper
//         process holds it, so it outlives this command) published to the pods; helm upgrade
//         --install with scripts/cluster/values-local.yaml; then where to look.
//   down  helm uninstall, the backends' namespace and Service, the host's Cassandra.
// The steps are src/harness/local-k8s.ts, which the Kubernetes suite uses as well.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { startCassandra } from '../../src/backends/cassandra.js';
import { appliedComponentConfig } from '../../src/harness/applied-config.js';
import { KUBECONFIG, KUBECTL, kubectl, ROOT } from '../../src/harness/kube.js';
import { buildImages, BACKENDS_NAMESPACE, deployBackends, installChart, NAMESPACE, removeAll, RELEASE } from '../../src/harness/local-k8s.js';
import { freePorts } from '../../src/proc/ports.js';
import { waitFor } from '../../src/proc/wait.js';

const RUN = join(ROOT, '.run', 'cluster');
/** Written by the keeper once Cassandra accepts CQL; removed when it stops. */
const STATE = join(RUN, 'cassandra.json');
const KEEPER_LOG = join(RUN, 'cassandra-keeper.log');

interface KeeperState { pid: number; host: string; cqlPort: number; logFile: string }

const say = (line: string) => console.log(`==> ${line}`);
const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

function keeperState(): KeeperState | undefined {
  if (!existsSync(STATE)) return undefined;
  const s = JSON.parse(readFileSync(STATE, 'utf8')) as KeeperState;
  return alive(s.pid) ? s : undefined;
}

/** The keeper: starts Cassandra, records where it listens, and stops it on SIGTERM. */
async function keeper(): Promise<void> {
  const [cqlPort, storagePort] = await freePorts(2);
  const cassandra = await startCassandra({ runDir: join(RUN, 'cassandra'), cqlPort, storagePort });
  writeFileSync(STATE, JSON.stringify({ pid: process.pid, host: cassandra.host, cqlPort, logFile: cassandra.logFile } satisfies KeeperState));
  const stop = async () => {
    rmSync(STATE, { force: true });
    await cassandra.stop();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  setInterval(() => undefined, 1 << 30); // stay alive until told to stop
}

/** The host's Cassandra: the running keeper's, or a new detached keeper's once it is ready. */
async function hostCassandra(): Promise<KeeperState> {
  const running = keeperState();
  if (running) return running;
  rmSync(join(RUN, 'cassandra'), { recursive: true, force: true });
  rmSync(STATE, { force: true });
  mkdirSync(RUN, { recursive: true });
  const log = openSync(KEEPER_LOG, 'a');
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'cassandra-keeper'], { detached: true, stdio: ['ignore', log, log] });
  child.unref();
  const died = new Promise<never>((_, reject) => child.on('exit', (code) => reject(new Error(`the Cassandra keeper exited (${code}); see ${KEEPER_LOG}`))));
  died.catch(() => undefined); // after a successful start its exit is down's business
  return Promise.race([waitFor('Cassandra on the host (the keeper process)', async () => keeperState(), 180_000, 500), died]);
}

async function up(): Promise<void> {
  const t0 = Date.now();
  say('images (npm run build:image): collector, VictoriaMetrics, Jaeger, curl');
  await buildImages();
  say('Cassandra on the host');
  const cassandra = await hostCassandra();
  say(`VictoriaMetrics and Jaeger in namespace ${BACKENDS_NAMESPACE}; Cassandra 127.0.0.1:${cassandra.cqlPort} published to the pods`);
  const backends = await deployBackends(cassandra.cqlPort);
  say(`helm upgrade --install ${RELEASE} charts/mirador -n ${NAMESPACE} (scripts/cluster/values-local.yaml)`);
  await installChart(cassandra.cqlPort);
  const gateway = (await kubectl('-n', NAMESPACE, 'get', 'service', `${RELEASE}-gateway`, '-o', 'jsonpath={.spec.clusterIP}')).stdout.trim();
  const pods = (await kubectl('-n', NAMESPACE, 'get', 'pods')).stdout;
  // Where the logs land: the deployed gateway config's cassandra_logs block, defaults applied.
  const relay = parse((await kubectl('-n', NAMESPACE, 'get', 'configmap', `${RELEASE}-gateway`, '-o', 'jsonpath={.data.relay\\.yaml}')).stdout);
  const logs = appliedComponentConfig('exporters', 'cassandra_logs', relay?.exporters?.cassandra_logs, 'logs');
  console.log([
    '',
    `mirador is up on the local Kubernetes in ${Math.round((Date.now() - t0) / 1000)} s:`,
    pods.trimEnd().split('\n').map((l) => `  ${l}`).join('\n'),
    '',
    `  send OTLP to     ${gateway}:4317 (gRPC), http://${gateway}:4318 (HTTP)   (the gateway Service; the host reaches ClusterIPs)`,
    `  VictoriaMetrics  ${backends.vmUrl}/vmui/`,
    `  Jaeger           ${backends.jaegerUrl}/`,
    `  Cassandra        127.0.0.1:${cassandra.cqlPort}, table ${logs.keyspace}.${logs.table} (in the pods: ${backends.cassandraEndpoint}); its log ${cassandra.logFile}`,
    `  own metrics      http://<pod IP>:8888/metrics (kubectl get pods -o wide -n ${NAMESPACE})`,
    '',
    `  export KUBECONFIG=${KUBECONFIG}; ${KUBECTL} get pods -n ${NAMESPACE}`,
    `  helm test ${RELEASE} -n ${NAMESPACE}        (.tools/bin/helm)`,
    '  npm run cluster -- down                 removes all of it and stops the cluster',
  ].join('\n'));
}

async function down(): Promise<void> {
  say(`helm uninstall ${RELEASE}; namespaces ${NAMESPACE} and ${BACKENDS_NAMESPACE}`);
  await removeAll();
  const k = keeperState();
  if (k) {
    say(`stopping Cassandra on the host (pid ${k.pid})`);
    process.kill(k.pid, 'SIGTERM');
    await waitFor('the Cassandra keeper to stop', async () => !alive(k.pid), 60_000, 500);
  }
  rmSync(STATE, { force: true });
}

const cmd = process.argv[2];
const commands: Record<string, () => Promise<void>> = { up, down, 'cassandra-keeper': keeper };
if (!commands[cmd]) {
  console.error(`deploy.ts: unknown command "${cmd ?? ''}" (up, down)`);
  process.exit(2);
}
commands[cmd]().catch((e) => {
  console.error(`cluster ${cmd}: ${(e as Error).message}`);
  process.exit(1);
});
