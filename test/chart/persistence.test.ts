// isolationforest.persistence, run: the chart's isolationforest config (file_storage on the state
// directory, the processor's storage pointing at it) as a real collector process that learns 20
// series, is stopped with SIGTERM and started again on the same directory: every series is scored
// from its first point after the restart (nothing in warm-up) and no ordinary point opens an alarm.
// The same restart without persistence puts every series back into warm-up: the restore is what
// makes the difference.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { counter, postOtlp, resource, startLocal, type Local } from './local.js';

const SERIES = 20;
const IF = 'isolationforest-0';
const t0 = BigInt(Date.now() - 3_600_000) * 1_000_000n; // an hour ago, 1 s apart: the points' own time
/** One point of every series at step i: a steady gauge with a little deterministic noise. */
const step = (i: number) => ({
  resourceMetrics: Array.from({ length: SERIES }, (_, s) => ({
    resource: resource(`svc-${s}`),
    scopeMetrics: [{ metrics: [{ name: 'queue_depth', gauge: { dataPoints: [{ asDouble: 100 + s + ((i * 7 + s) % 5), timeUnixNano: String(t0 + BigInt(i) * 1_000_000_000n) }] } }] }],
  })),
});
const scored = (l: Local) => counter(l, IF, 'otelcol_processor_isolationforest_points_scored');
const warmup = (l: Local) => counter(l, IF, 'otelcol_processor_isolationforest_points_unscored', /reason="warmup"/);
const alarms = (l: Local) => counter(l, IF, 'otelcol_processor_isolationforest_alarms', /transition="onset"/);

/** Learns 60 steps, restarts isolationforest with SIGTERM, sends 5 more steps; the counters of the new process. */
async function learnRestartScore(persistence: boolean): Promise<{ scoredBefore: number; scored: number; warmup: number; alarms: number; files: string[] }> {
  const state = mkdtempSync(join(tmpdir(), 'mirador-state-'));
  let l: Local | undefined;
  try {
    l = await startLocal({
      components: ['isolationforest'],
      values: { 'isolationforest.persistence': { enabled: persistence, directory: state } },
    });
    for (let i = 0; i < 60; i++) expect(await postOtlp(l, '/v1/metrics', step(i), IF)).toBe(200);
    const scoredBefore = await scored(l);
    await l.procs[IF].stop(20_000); // SIGTERM: the processor saves its state at shutdown
    await l.start(IF);
    for (let i = 60; i < 65; i++) expect(await postOtlp(l, '/v1/metrics', step(i), IF)).toBe(200);
    return { scoredBefore, scored: await scored(l), warmup: await warmup(l), alarms: await alarms(l), files: readdirSync(state) };
  } finally {
    await l?.stop();
    rmSync(state, { recursive: true, force: true });
  }
}

describe('isolationforest.persistence: a restarted collector scores its series at once', () => {

  it('with persistence: every point after the restart is scored, none in warm-up, no alarm', async () => {
    const r = await learnRestartScore(true);
    expect(r.scoredBefore).toBeGreaterThan(SERIES * 40); // it had learnt the series (60 points, 10 of warm-up)
    expect(r.files.length, 'the file_storage file on the state directory').toBeGreaterThan(0);
    expect(r.warmup).toBe(0);
    expect(r.scored).toBe(SERIES * 5);
    expect(r.alarms).toBe(0);
  }, 180_000);

  it('without it the same restart starts every series over (warm-up)', async () => {
    const r = await learnRestartScore(false);
    expect(r.scoredBefore).toBeGreaterThan(SERIES * 40);
    expect(r.files).toEqual([]);
    expect(r.warmup).toBe(SERIES * 5);
    expect(r.scored).toBe(0);
  }, 180_000);
});
