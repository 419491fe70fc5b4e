// Ranking metrics for anomaly scores (higher = more anomalous), with the same definitions as
// scikit-learn's roc_auc_score and average_precision_score (ties handled as one threshold).
import type { SeedRun } from './types.js';

/** Indices sorted by descending score. */
function byScoreDesc(scores: ArrayLike<number>): Uint32Array {
  const idx = new Uint32Array(scores.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  return idx.sort((a, b) => scores[b] - scores[a]);
}

/** Area under the ROC curve (trapezoids between distinct thresholds; ties count one half). */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const idx = byScoreDesc(scores);
  let pos = 0;
  for (let i = 0; i < labels.length; i++) pos += labels[i] ? 1 : 0;
  const neg = labels.length - pos;
  if (pos === 0 || neg === 0) return NaN;
  let tp = 0, fp = 0, prevTp = 0, prevFp = 0, area = 0;
  for (let k = 0; k < idx.length; k++) {
    if (labels[idx[k]]) tp++;
    else fp++;
    const last = k === idx.length - 1 || scores[idx[k + 1]] !== scores[idx[k]];
    if (last) {
      area += ((fp - prevFp) * (tp + prevTp)) / 2;
      prevTp = tp;
      prevFp = fp;
    }
  }
  return area / (pos * neg);
}

/** Average precision: sum over distinct thresholds of (recall step) * precision. */
export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const idx = byScoreDesc(scores);
  let pos = 0;
  for (let i = 0; i < labels.length; i++) pos += labels[i] ? 1 : 0;
  if (pos === 0) return NaN;
  let tp = 0, prevTp = 0, ap = 0;
  for (let k = 0; k < idx.length; k++) {
    if (labels[idx[k]]) tp++;
    const last = k === idx.length - 1 || scores[idx[k + 1]] !== scores[idx[k]];
    if (last) {
      ap += ((tp - prevTp) / pos) * (tp / (k + 1));
      prevTp = tp;
    }
  }
  return ap;
}

/** One seed's result: the accuracy of `scores` against `labels`, with the costs measured for them. */
export function seedRun(scores: ArrayLike<number>, labels: ArrayLike<number>, cost: { fitMs: number; scoreMs: number; peakMemMB: number }): SeedRun {
  return { rocAuc: rocAuc(scores, labels), prAuc: averagePrecision(scores, labels), ...cost };
}
