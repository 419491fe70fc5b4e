// `npm run cluster`: a real single-node Kubernetes, and `-- stop` leaves the host as it was.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { cluster, clusterUp, kubectl, kubectlJson, must, run, runPod } from './support.js';

const PROGRAMS = /\.tools\/k8s\/bin\/|\/usr\/bin\/containerd/;

describe('npm run cluster', () => {
  let before = '';
  let wasRunning = false;
  let startMs = 0;

  beforeAll(async () => {
    wasRunning = await clusterUp();
    if (wasRunning) await must('bash', ['scripts/cluster/cluster.sh', 'stop']);
    before = (await cluster('snapshot')).stdout;
    const started = await cluster('start');
    startMs = started.ms;
    if (started.code !== 0) throw new Error(`cluster start failed:\n${started.stdout}\n${started.stderr}`);
  });

  afterAll(async () => {
    // Leave the machine as the test found it.
    if (wasRunning && !(await clusterUp())) await cluster('start');
  });

  it('starts a Ready node with CoreDNS and the v1.34.4 control plane', async () => {
    console.log(`cluster start took ${(startMs / 1000).toFixed(1)} s`);
    const node = await kubectlJson('get', 'node', 'mirador-node');
    expect(node.status.nodeInfo.kubeletVersion).toBe('v1.34.4');
    expect(node.status.conditions.find((c: any) => c.type === 'Ready').status).toBe('True');
    const version = JSON.parse((await kubectl('version', '-o', 'json')).stdout);
    expect(version.serverVersion.gitVersion).toBe('v1.34.4');
    const dns = await kubectlJson('-n', 'kube-system', 'get', 'pods', '-l', 'k8s-app=kube-dns');
    expect(dns.items).toHaveLength(1);
    expect(dns.items[0].status.containerStatuses[0].ready).toBe(true);
  });

  it('is idempotent: a second start changes nothing and reports the running cluster', async () => {
    const pidsBefore = readFileSync('.tools/k8s/run/kube-apiserver.pid', 'utf8');
    const again = await cluster('start');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already running');
    expect(readFileSync('.tools/k8s/run/kube-apiserver.pid', 'utf8')).toBe(pidsBefore);
  });

  it('binds every host listener of the cluster to 127.0.0.1', async () => {
    const ss = (await must('ss', ['-Hltnup'])).stdout.trim().split('\n');
    const ours: string[] = [];
    for (const line of ss) {
      const pids = [...line.matchAll(/pid=(\d+)/g)].map((m) => m[1]);
      const exes = (await Promise.all(pids.map((p) => run('readlink', [`/proc/${p}/exe`])))).map((r) => r.stdout.trim());
      if (exes.some((e) => PROGRAMS.test(e))) ours.push(line);
    }
    expect(ours.length).toBeGreaterThanOrEqual(8); // etcd x2, apiserver, cm, scheduler, kubelet x2, proxy x2, containerd stream
    for (const line of ours) expect(line.split(/\s+/)[4], line).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('lets a pod resolve kubernetes.default through CoreDNS and reach the API server at its Service address', async () => {
    await must('bash', ['scripts/build-image.sh', 'curl']);
    const { phase, log } = await runPod('api-probe', 'default', {
      image: 'mirador.local/curl:local',
      command: ['curl', '-sS', '--fail', '--cacert', '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt',
        'https://kubernetes.default.svc.cluster.local/version'],
    });
    expect(phase, log).toBe('Succeeded');
    expect(JSON.parse(log).gitVersion).toBe('v1.34.4');
  });

  it('keeps pod traffic inside the machine: forwarding off the pod bridge is dropped', async () => {
    const rules = (await must('nft', ['list', 'table', 'ip', 'mirador_k8s'])).stdout;
    expect(rules).toMatch(/iifname "mirbr0" oifname != "mirbr0" drop/);
    expect(rules).toMatch(/iifname != "mirbr0" oifname "mirbr0" drop/);
    expect(rules).toMatch(/dnat to 127\.0\.0\.1:6443/);
    expect((await must('sysctl', ['-n', 'net.ipv4.conf.all.route_localnet'])).stdout.trim()).toBe('0');
  });

  it('stop restores the host exactly (nft rules, sysctls, links, mounts, cgroups, fixed paths)', async () => {
    const stopped = await cluster('stop');
    expect(stopped.code, stopped.stderr).toBe(0);
    console.log(`cluster stop took ${(stopped.ms / 1000).toFixed(1)} s`);
    const after = (await cluster('snapshot')).stdout;
    expect(after).toBe(before);
  });

  it('a start that fails late (CoreDNS running in a pod) stops everything and restores the host', async () => {
    const failed = await run('bash', ['scripts/cluster/cluster.sh', 'start'], { env: { MIRADOR_K8S_FAIL_AFTER: 'coredns' }, timeoutMs: 600_000 });
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toContain('failing on purpose after starting coredns');
    expect(failed.stderr).toContain('start failed; stopping what was started and restoring the host');
    expect((await cluster('snapshot')).stdout).toBe(before);
  });
});
