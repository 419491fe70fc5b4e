// How series move between isolationforest replicas, measured with the loadbalancing exporter's own
// code (test/chart/ring-share/run.sh: its splitMetricsByResourceID and consistent-hash ring, on
// 100 000 resources). With persistence, the pods are named on the ring by their StatefulSet DNS
// names: a rollout moves no series, scaling moves only the series of the pods that come or go;
// pods named by IP (a Deployment) move series whenever a pod restarts, onto pods that lack them.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './helm.js';

interface Move { moved: number; share: number; movedToExisting: number; before: Record<string, number>; after: Record<string, number> }
let r: Record<string, Move> & { series: number };
const pod = (i: number) => `mirador-isolationforest-${i}.mirador-isolationforest-headless.miradorstack:4317`;

beforeAll(async () => {
  // cold (no build cache): several minutes to compile the exporter's dependencies; cached: seconds
  const { stdout } = await promisify(execFile)('bash', [join(ROOT, 'test/chart/ring-share/run.sh'), '100000'], { maxBuffer: 16 << 20, timeout: 900_000 });
  const line = stdout.split('\n').find((l) => l.startsWith('RING_SHARE '));
  if (!line) throw new Error(`run.sh printed no RING_SHARE line:\n${stdout}`);
  r = JSON.parse(line.slice('RING_SHARE '.length));
}, 900_000);

describe('series movement on the loadbalancing exporter\'s ring (routing_key: resource)', () => {
  it('routes every series somewhere, spread over the replicas', () => {
    const s = r.statefulset_scale_3_to_5;
    expect(Object.values(s.before).reduce((a, b) => a + b, 0)).toBe(r.series);
    expect(Object.values(s.after).reduce((a, b) => a + b, 0)).toBe(r.series);
    for (const n of Object.values(s.after)) expect(n / r.series).toBeGreaterThan(0.1);
  });

  it('3 -> 5 StatefulSet pods: about 2/5 of the series change replica, each to one of the new pods', () => {
    const s = r.statefulset_scale_3_to_5;
    expect(s.movedToExisting).toBe(0);
    expect(s.moved).toBe((s.after[pod(3)] ?? 0) + (s.after[pod(4)] ?? 0));
    // consistent hashing moves about the new pods' share (2/5); 100 ring points per pod, so not exactly
    expect(Math.abs(s.share - 2 / 5)).toBeLessThan(0.1);
  });

  it('5 -> 3 and one pod away: only the series of the pods that left move', () => {
    const down = r.statefulset_scale_5_to_3;
    expect(down.moved).toBe(down.before[pod(3)] + down.before[pod(4)]);
    expect(down.movedToExisting).toBe(down.moved);
    const away = r.statefulset_one_pod_away_3_to_2;
    expect(away.moved).toBe(away.before[pod(2)]);
  });

  it('a StatefulSet rollout moves nothing; a Deployment pod that restarts with a new IP moves series onto pods that lack them', () => {
    expect(r.statefulset_rollout_3.moved).toBe(0);
    const d = r.deployment_one_pod_restarted;
    expect(d.movedToExisting).toBeGreaterThan(0);
    expect(d.moved).toBeGreaterThan(d.before['10.244.0.13:4317']);
  });
});
