// Accuracy parity with scikit-learn: on the paper's datasets the kernel's mean ROC-AUC over seeds
// 1..5 (100 trees, psi 256, fit and score all rows) is within 0.01 of scikit-learn's, recorded in
// test/data/sklearn-parity.json by test/data/record-sklearn-parity.mjs.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDataset } from '../../src/bench/dataset.js';
import { rocAuc } from '../../src/bench/metrics.js';
import { Kernel } from '../../src/kernel/index.js';

const root = resolve(import.meta.dirname, '../..');
const recorded = JSON.parse(readFileSync(resolve(root, 'test/data/sklearn-parity.json'), 'utf8')) as {
  params: { trees: number; psi: number; seeds: number[] };
  datasets: Record<string, { rocAuc: number }>;
};
const kernel = Kernel.load();

describe('ROC-AUC parity with scikit-learn', () => {
  it('covers the five parity datasets', () => {
    expect(Object.keys(recorded.datasets).sort()).toEqual(['annthyroid', 'breastw', 'cardio', 'mammography', 'shuttle']);
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
      const mean = aucs.reduce((a, b) => a + b, 0) / aucs.length;
      expect(Math.abs(mean - sk.rocAuc), `ours ${mean.toFixed(4)} vs scikit-learn ${sk.rocAuc.toFixed(4)}`).toBeLessThanOrEqual(0.01);
    });
  }
});
