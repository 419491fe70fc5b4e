// Our kernel, batch (fit all, score all) and streaming (score each batch, then learn it).
import { Kernel } from '../../kernel/index.js';
import type { Dataset } from '../dataset.js';
import { seedRun } from '../metrics.js';
import type { BenchParams, SeedRun } from '../types.js';
import { cpuMs } from '../clock.js';

const MB = 1024 * 1024;

export function runOursBatch(kernel: Kernel, ds: Dataset, p: BenchParams, seed: number): SeedRun {
  const forest = kernel.forest({ trees: p.trees, sampleSize: p.sampleSize, dims: ds.dims, seed: BigInt(seed) });
  try {
    const t0 = cpuMs();
    forest.fit(ds.X);
    const t1 = cpuMs();
    const scores = forest.score(ds.X);
    const t2 = cpuMs();
    return seedRun(scores, ds.y, { fitMs: t1 - t0, scoreMs: t2 - t1, peakMemMB: kernel.exports.memory_bytes() / MB });
  } finally {
    forest.free();
  }
}

/**
 * Streaming: rows in file order, in batches of p.batch; each batch is scored before the model
 * learns it (forest_update). Rows that arrive before the model has trees (the first
 * min(psi, window) points) have no score and are left out of the metrics; fitMs is the total
 * update time and scoreMs the total score time.
 */
export function runOursStream(kernel: Kernel, ds: Dataset, p: BenchParams, seed: number): SeedRun & { warmup: number } {
  const forest = kernel.forest({
    trees: p.trees, sampleSize: p.sampleSize, dims: ds.dims, seed: BigInt(seed), window: p.window ?? undefined,
  });
  try {
    const scores = new Float64Array(ds.rows);
    let updateMs = 0, scoreMs = 0, warmup = 0;
    for (let start = 0; start < ds.rows; start += p.batch) {
      const end = Math.min(start + p.batch, ds.rows);
      const batch = ds.X.subarray(start * ds.dims, end * ds.dims);
      if (forest.fitted) {
        const t0 = cpuMs();
        scores.set(forest.score(batch), start);
        scoreMs += cpuMs() - t0;
      } else {
        warmup = end;
      }
      const t1 = cpuMs();
      forest.update(batch);
      updateMs += cpuMs() - t1;
    }
    return { ...seedRun(scores.subarray(warmup), ds.y.subarray(warmup), { fitMs: updateMs, scoreMs, peakMemMB: kernel.exports.memory_bytes() / MB }), warmup };
  } finally {
    forest.free();
  }
}
