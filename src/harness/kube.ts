/**
 * Commands against the local single-node Kubernetes of scripts/cluster (`npm run cluster`):
 * kubectl and helm with its kubeconfig, and the cluster script itself.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../proc/tools.js';

export const ROOT = repoRoot();
export const K8S_DIR = join(ROOT, '.tools/k8s');
export const KUBECONFIG = join(K8S_DIR, 'kubeconfig');
export const KUBECTL = join(K8S_DIR, 'bin/kubectl');
export const HELM = join(ROOT, '.tools/bin/helm');
const CLUSTER_SH = join(ROOT, 'scripts/cluster/cluster.sh');

export interface RunResult { code: number; stdout: string; stderr: string; ms: number }

/** Runs a command (cwd: the repository, KUBECONFIG set) to completion; never rejects. */
export function run(cmd: string, args: string[], opts: { timeoutMs?: number; input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  const t0 = Date.now();
  return new Promise((done) => {
    const child = execFile(cmd, args, {
      cwd: ROOT, maxBuffer: 64 << 20, timeout: opts.timeoutMs ?? 600_000,
      env: { ...process.env, KUBECONFIG, ...opts.env },
    }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? (err as unknown as { code: number }).code : 1) : 0;
      done({ code, stdout: String(stdout), stderr: String(stderr), ms: Date.now() - t0 });
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
  });
}

/** Like run, but throws with the command's output when it fails. */
export async function must(cmd: string, args: string[], opts: Parameters<typeof run>[2] = {}): Promise<RunResult> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  return r;
}

/** scripts/cluster/cluster.sh with one of its commands (start, stop, status, snapshot, expose, unexpose). */
export const clusterScript = (...args: string[]) => run('bash', [CLUSTER_SH, ...args], { timeoutMs: 900_000 });

export const kubectl = (...args: string[]) => must(KUBECTL, args);
export const helm = (...args: string[]) => must(HELM, args, { timeoutMs: 600_000 });

export async function kubectlJson<T = any>(...args: string[]): Promise<T> {
  return JSON.parse((await kubectl(...args, '-o', 'json')).stdout) as T;
}

/** The cluster answers and its node is Ready. */
export async function clusterUp(): Promise<boolean> {
  if (!existsSync(KUBECONFIG) || !existsSync(join(K8S_DIR, 'run'))) return false;
  return (await clusterScript('status')).code === 0;
}

/** A Service's ClusterIP. */
export const clusterIp = async (ns: string, svc: string) =>
  (await kubectl('-n', ns, 'get', 'service', svc, '-o', 'jsonpath={.spec.clusterIP}')).stdout.trim();
