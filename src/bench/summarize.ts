import type { Figures, SeedRun } from './types.js';

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Averages seed runs; points per second is rows over the mean score time. */
export function summarize(runs: SeedRun[], rows: number, note?: string): Figures {
  const scoreMs = mean(runs.map((r) => r.scoreMs));
  const f: Figures = {
    rocAuc: mean(runs.map((r) => r.rocAuc)),
    prAuc: mean(runs.map((r) => r.prAuc)),
    fitMs: mean(runs.map((r) => r.fitMs)),
    scoreMs,
    pointsPerSec: scoreMs > 0 ? rows / (scoreMs / 1000) : Infinity,
    peakMemMB: Math.max(...runs.map((r) => r.peakMemMB)),
    seeds: runs.length,
  };
  if (note) f.note = note;
  return f;
}
