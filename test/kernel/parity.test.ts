// Accuracy parity with scikit-learn: on the paper's datasets the kernel's mean ROC-AUC over the
// recorded seeds (1..20; 100 trees, psi 256, fit and score all rows) is within 0.01 of
// scikit-learn's, recorded in test/data/sklearn-parity.json by test/data/record-sklearn-parity.mjs.
// 20 seeds rather than 5 because a 5-seed mean is too noisy for a 0.01 tolerance (see there);
// the 5-seed means of both are printed for the record.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDataset } from '../../src/bench/dataset.js';
import { rocAuc } from '../../src/bench/metrics.js';
import { Kernel } from '../../src/kernel/index.js';

const root = resolve(import.meta.dirname, '../..');
const recorded = JSON.parse(readFileSync(resolve(root, 'test/data/sklearn-parity.json'), 'utf8')) as {
  params: { trees: number; psi: number; seeds: number[] };
  datasets: Record<string, { rocAuc: number; rocAucSeeds1to5: number }>;
};
const kernel = Kernel.load();
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('ROC-AUC parity with scikit-learn', () => {
  it('covers the five parity datasets with 20 seeds', () => {
    expect(Object.keys(recorded.datasets).sort()).toEqual(['annthyroid', 'breastw', 'cardio', 'mammography', 'shuttle']);
    expect(recorded.params.seeds).toHaveLength(20);
  });

  for (const [name, sk] of Object.entries(recorded.datasets)) {
    it(`${name}: mean over seeds within 0.01 of scikit-learn's ${sk.rocAuc.toFixed(4)}`, () => {
      const ds = readDataset(resolve(root, '../shared/datasets', `${name}.csv`));
      const { trees, psi, seeds } = recorded.params;
      const aucs = seeds.map((seed) => {
        const f = kernel.forest({ trees, sampleSize: psi, dims: ds.dims, seed });
        const auc = rocAuc(f.fit(ds.X).score(ds.X), ds.y);
        f.free();
        return auc;
      });
      const ours = mean(aucs);
      console.log(`parity ${name}: ours ${ours.toFixed(4)} vs scikit-learn ${sk.rocAuc.toFixed(4)} over ${seeds.length} seeds; ` +
        `seeds 1-5: ours ${mean(aucs.slice(0, 5)).toFixed(4)} vs ${sk.rocAucSeeds1to5.toFixed(4)}`);
      expect(Math.abs(ours - sk.rocAuc), `ours ${ours.toFixed(4)} vs scikit-learn ${sk.rocAuc.toFixed(4)}`).toBeLessThanOrEqual(0.01);
    });
  }
});
