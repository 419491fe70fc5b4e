// The npm isolation forest packages, run in-process as their READMEs show. Neither is seedable
// (both use Math.random), so their seeds only repeat the run.
import { IsolationForest as NpmIsolationForest, type DataObject } from 'isolation-forest';
import { IsolationForest as MlIsolationForest } from 'ml-isolation-forest';
import type { Dataset } from '../dataset.js';
import { seedRun } from '../metrics.js';
import type { BenchParams, SeedRun } from '../types.js';
import { cpuMs } from '../clock.js';

function toArrays(ds: Dataset): number[][] {
  const out: number[][] = new Array(ds.rows);
  for (let r = 0; r < ds.rows; r++) out[r] = Array.from(ds.X.subarray(r * ds.dims, (r + 1) * ds.dims));
  return out;
}

let cache: { ds: Dataset; rows: number[][] } | undefined;
function rowsOf(ds: Dataset): number[][] {
  if (cache?.ds !== ds) cache = { ds, rows: toArrays(ds) };
  return cache.rows;
}

const heapMB = () => process.memoryUsage().heapUsed / (1024 * 1024);

function timed(ds: Dataset, fit: () => void, score: () => number[]): SeedRun {
  const h0 = heapMB();
  const t0 = cpuMs();
  fit();
  const t1 = cpuMs();
  const h1 = heapMB();
  const scores = score();
  const t2 = cpuMs();
  return seedRun(scores, ds.y, { fitMs: t1 - t0, scoreMs: t2 - t1, peakMemMB: Math.max(0, h1 - h0, heapMB() - h0) });
}

/** npm `isolation-forest` 0.0.9: new IsolationForest(trees, sampleSize).fit(rows); predict(rows). */
export function runNpmIsolationForest(ds: Dataset, p: BenchParams): SeedRun {
  // it reads features with Object.keys(row), so plain arrays work (keys "0".."dims-1")
  const rows = rowsOf(ds) as unknown as DataObject[];
  const model = new NpmIsolationForest(p.trees, p.sampleSize);
  return timed(ds, () => void model.fit(rows), () => model.predict(rows));
}

/** npm `ml-isolation-forest` 0.1.0: no sample-size option (each tree sees every row). */
export function runMlIsolationForest(ds: Dataset, p: BenchParams): SeedRun {
  const rows = rowsOf(ds);
  const model = new MlIsolationForest({ nEstimators: p.trees });
  return timed(ds, () => model.train(rows), () => model.predict(rows));
}
