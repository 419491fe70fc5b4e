// The Kubernetes suites' own helper: a one-shot pod. Commands against the cluster (kubectl,
// helm, cluster.sh) come from src/harness/kube.ts.
import { kubectl, KUBECTL, must, run } from '../../src/harness/kube.js';
import { waitFor } from '../../src/proc/wait.js';

export { clusterScript as cluster, clusterUp, kubectl, kubectlJson, must, run } from '../../src/harness/kube.js';

/** Runs a one-shot pod to completion and returns its phase and log. */
export async function runPod(name: string, namespace: string, container: Record<string, unknown>, timeoutMs = 120_000): Promise<{ phase: string; log: string }> {
  await run(KUBECTL, ['-n', namespace, 'delete', 'pod', name, '--ignore-not-found', '--wait=true']);
  const pod = {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace },
    spec: {
      restartPolicy: 'Never',
      securityContext: { runAsNonRoot: true, runAsUser: 10001 },
      containers: [{ name, imagePullPolicy: 'Never', ...container }],
    },
  };
  await must(KUBECTL, ['apply', '-f', '-'], { input: JSON.stringify(pod) });
  const phase = await waitFor(`pod ${namespace}/${name} to finish`, async () => {
    const p = (await kubectl('-n', namespace, 'get', 'pod', name, '-o', 'jsonpath={.status.phase}')).stdout;
    return p === 'Succeeded' || p === 'Failed' ? p : undefined;
  }, timeoutMs, 1000);
  const log = (await run(KUBECTL, ['-n', namespace, 'logs', name])).stdout;
  await run(KUBECTL, ['-n', namespace, 'delete', 'pod', name, '--wait=false']);
  return { phase, log };
}
