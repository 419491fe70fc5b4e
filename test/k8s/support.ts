import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const K8S = resolve(ROOT, '.tools/k8s');
export const KUBECONFIG = resolve(K8S, 'kubeconfig');
export const KUBECTL = resolve(K8S, 'bin/kubectl');
export const HELM = resolve(ROOT, '.tools/bin/helm');

export interface RunResult { code: number; stdout: string; stderr: string; ms: number }

/** Runs a command to completion; never rejects (callers assert on code and output). */
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

export const cluster = (cmd: 'start' | 'stop' | 'status' | 'snapshot') =>
  run('bash', ['scripts/cluster/cluster.sh', cmd], { timeoutMs: 900_000 });

export const kubectl = (...args: string[]) => must(KUBECTL, args);

export async function kubectlJson<T = any>(...args: string[]): Promise<T> {
  return JSON.parse((await kubectl(...args, '-o', 'json')).stdout) as T;
}

/** The cluster answers and its node is Ready. */
export async function clusterUp(): Promise<boolean> {
  if (!existsSync(KUBECONFIG) || !existsSync(resolve(K8S, 'run'))) return false;
  return (await cluster('status')).code === 0;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls check() until it returns a truthy value; throws with the label and last error after timeoutMs. */
export async function eventually<T>(label: string, check: () => Promise<T | undefined | false>, timeoutMs = 120_000, everyMs = 1000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try { const v = await check(); if (v) return v; } catch (e) { last = e; }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${label}${last ? `: ${(last as Error).message}` : ''}`);
    await sleep(everyMs);
  }
}

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
  const phase = await eventually(`pod ${namespace}/${name} to finish`, async () => {
    const p = (await kubectl('-n', namespace, 'get', 'pod', name, '-o', 'jsonpath={.status.phase}')).stdout;
    return p === 'Succeeded' || p === 'Failed' ? p : undefined;
  }, timeoutMs);
  const log = (await run(KUBECTL, ['-n', namespace, 'logs', name])).stdout;
  await run(KUBECTL, ['-n', namespace, 'delete', 'pod', name, '--wait=false']);
  return { phase, log };
}
