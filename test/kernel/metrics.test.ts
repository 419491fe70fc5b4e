// ROC-AUC and average precision match scikit-learn's definitions (values from its docs/examples).
import { describe, expect, it } from 'vitest';
import { averagePrecision, rocAuc } from '../../src/bench/metrics.js';

describe('metrics', () => {
  it('match scikit-learn on its documented example', () => {
    const y = [0, 0, 1, 1], s = [0.1, 0.4, 0.35, 0.8];
    expect(rocAuc(s, y)).toBe(0.75); // sklearn.metrics.roc_auc_score
    expect(averagePrecision(s, y)).toBeCloseTo(0.8333333333333333, 15); // average_precision_score
  });

  it('treat tied scores as one threshold', () => {
    expect(rocAuc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1])).toBe(0.5);
    expect(averagePrecision([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1])).toBe(0.5);
    // one tie across classes between perfect ranks: sklearn gives 0.875 and 0.8333
    expect(rocAuc([0.9, 0.7, 0.7, 0.1], [1, 1, 0, 0])).toBe(0.875);
    expect(averagePrecision([0.9, 0.7, 0.7, 0.1], [1, 1, 0, 0])).toBeCloseTo(0.8333333333333333, 15);
  });

  it('are 1 for a perfect ranking and 0 (ROC) for a reversed one', () => {
    expect(rocAuc([3, 2, 1], [1, 0, 0])).toBe(1);
    expect(averagePrecision([3, 2, 1], [1, 0, 0])).toBe(1);
    expect(rocAuc([1, 2, 3], [1, 0, 0])).toBe(0);
  });

  it('are NaN when one class is missing', () => {
    expect(rocAuc([1, 2], [0, 0])).toBeNaN();
    expect(averagePrecision([1, 2], [0, 0])).toBeNaN();
  });
});
