// NAB's scoring rules on hand-computed cases (values from the formulas in src/eval/nab/scoring.ts,
// worked out independently in Python: see the comments beside each number).
import { describe, expect, it } from 'vitest';
import {
  PROFILES, bestThreshold, corpusScore, probationLength, rowWeights, scaledSigmoid, scoreFile, type Window,
} from '../../src/eval/nab/scoring.js';

const [standard, lowFP, lowFN] = PROFILES;
const flagsAt = (n: number, at: number[]) => Array.from({ length: n }, (_, i) => at.includes(i));

describe('NAB scoring rules', () => {
  it('probation is 15% of the file, at most 750 points', () => {
    expect(probationLength(100)).toBe(15);
    expect(probationLength(4032)).toBe(604);
    expect(probationLength(15831)).toBe(750);
  });

  it('the scaled sigmoid matches NAB at the window edges and is -1 from y = 3', () => {
    expect(scaledSigmoid(-1)).toBeCloseTo(0.98661, 5); // 2·sigmoid(5) - 1
    expect(scaledSigmoid(-0.5)).toBeCloseTo(0.84828, 5);
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(1)).toBeCloseTo(-0.98661, 5);
    expect(scaledSigmoid(3)).toBe(-1);
    expect(scaledSigmoid(2.99)).toBeGreaterThan(-1);
  });

  // 100 rows, probation 15, one window [40, 49] (width 10).
  const windows: Window[] = [[40, 49]];

  it('weights: a flag at the window start earns A_TP, mid-window less, far from windows -A_FP', () => {
    const w = rowWeights(100, windows, standard);
    expect(w[40].weight).toBeCloseTo(1, 12); // y = -1: σ(-1)/σ(-1)
    expect(w[45].weight).toBeCloseTo(0.8597925669, 9); // y = -0.5
    expect(w[20].weight).toBeCloseTo(-0.11, 12); // no window before it: y = 3
    expect(w[50].weight).toBeCloseTo(-0.0297931830, 9); // y = 1/9 behind the window: 0.11·σ(1/9)
    expect(w[80].weight).toBeCloseTo(-0.11, 12); // y = 31/9 >= 3
    expect(w[10].probation).toBe(true);
    expect(w[15].probation).toBe(false);
  });

  it('only the first flag in a window counts; later ones are free; probation flags are ignored', () => {
    const f = scoreFile(flagsAt(100, [10, 20, 45, 47, 50, 80]), windows, standard);
    // -0.11 (row 20) + 0.8597925669 (row 45) - 0.0297931830 (row 50) - 0.11 (row 80)
    expect(f.raw).toBeCloseTo(0.6099993839, 9);
    expect(f.detected).toBe(1);
    expect(f.falsePositives).toBe(3);
    expect(f.detections[0].flag).toBe(45);
    const c = corpusScore([f], standard);
    expect(c.null).toBe(-1);
    expect(c.perfect).toBe(1);
    expect(c.score).toBeCloseTo(80.4999691936, 8);
  });

  it('profiles weigh false positives and misses differently', () => {
    const flags = flagsAt(100, [10, 20, 45, 47, 50, 80]);
    expect(scoreFile(flags, windows, lowFP).raw).toBeCloseTo(0.3602062008, 9);
    const missed = scoreFile(flagsAt(100, [20]), windows, lowFN);
    expect(missed.raw).toBeCloseTo(-2.11, 12); // the window is missed (-2) and row 20 is a false positive
    expect(corpusScore([missed], lowFN).score).toBeCloseTo((100 * (-2.11 + 2)) / 3, 12); // null -2, perfect +1
  });

  it('null scores 0 and perfect scores 100; a window inside probation is not scored', () => {
    expect(corpusScore([scoreFile(flagsAt(100, []), windows, standard)], standard).score).toBe(0);
    expect(corpusScore([scoreFile(flagsAt(100, [40]), windows, standard)], standard).score).toBeCloseTo(100, 12);
    const early = scoreFile(flagsAt(100, [5]), [[2, 8]], standard);
    expect(early.windows).toBe(0);
    expect(early.raw).toBe(0);
  });

  it('the threshold sweep finds the best single threshold over all files', () => {
    // file A: window [40, 49]; the highest score sits in the window at 45, an ordinary row at 20
    // scores 0.8, everything else 0.1. file B: no window, one row at 0.85.
    const a = Array.from({ length: 100 }, (_, i) => (i === 45 ? 0.9 : i === 20 ? 0.8 : 0.1));
    const b = Array.from({ length: 100 }, (_, i) => (i === 60 ? 0.85 : 0.1));
    const r = bestThreshold([{ scores: a, windows }, { scores: b, windows: [] }], standard);
    expect(r.threshold).toBe(0.9); // lower thresholds only add false positives
    expect(r.raw).toBeCloseTo(0.8597925669, 9);
    expect(r.detected).toBe(1);
    expect(r.falsePositives).toBe(0);
    // agrees with scoring the flags at that threshold file by file
    const direct = corpusScore([scoreFile(a.map((s) => s >= 0.9), windows, standard), scoreFile(b.map((s) => s >= 0.9), [], standard)], standard);
    expect(r.score).toBeCloseTo(direct.score, 12);
  });
});
