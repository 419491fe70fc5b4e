// Range-aware scoring (forest_set_range_aware, IsolationForest.setRangeAware): what it is for (a
// constant series, distance beyond the learnt range), what it must not change (points inside every
// tree's sample box), and agreement with an independent computation of the rule in docs/kernel.md.
import { describe, expect, it } from 'vitest';
import { ERR, Kernel } from '../../src/kernel/index.js';
import { codeOf } from '../support/kernel-code.js';
import { bits, cOf, decodeSnapshot, rangeAwareSum, scoreOf, uniform } from './helpers.js';

const kernel = Kernel.load();

describe('range-aware scoring', () => {
  it('a constant training set: 0.5 for every point with the paper\'s rule; off the constant, 2^(-1/c(psi)) (near 1) with range-aware', () => {
    const psi = 256;
    const f = kernel.forest({ trees: 50, sampleSize: psi, dims: 2, seed: 1 }).fit(new Float64Array(2 * 1000).fill(7));
    const probe = Float64Array.of(7, 7, 7.001, 7, 7, 6, 8, 9, 1e6, 7, -1e6, -1e6);
    expect(Array.from(f.score(probe))).toEqual([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
    f.setRangeAware(true);
    const s = f.score(probe);
    expect(s[0]).toBe(0.5); // the constant itself
    // every tree is one leaf of psi points; a point off it is isolated by the first split: h' = 1
    const offConstant = Math.pow(2, -1 / cOf(psi));
    for (let i = 1; i < 6; i++) expect(Math.abs(s[i] - offConstant)).toBeLessThan(1e-15);
    expect(offConstant).toBeGreaterThan(0.93);
    f.free();
  });

  it('a point inside every tree\'s box scores the same bit for bit with it on or off', () => {
    const f = kernel.forest({ trees: 60, sampleSize: 32, dims: 3, seed: 8 }).fit(uniform(2000, 3, 21));
    const { forest } = decodeSnapshot(f.snapshot());
    const inEvery = (x: ArrayLike<number>) => forest.every((t) => t.box.every(([lo, hi], j) => x[j] >= lo && x[j] <= hi));
    const probe = uniform(3000, 3, 22);
    const off = f.score(probe);
    f.setRangeAware(true);
    const on = f.score(probe);
    let inside = 0, outsideSome = 0, changed = 0;
    for (let r = 0; r < 3000; r++) {
      const x = probe.subarray(r * 3, r * 3 + 3);
      if (inEvery(x)) {
        inside++;
        expect(bits(on.subarray(r, r + 1)), `row ${r}`).toEqual(bits(off.subarray(r, r + 1)));
      } else {
        outsideSome++;
        if (on[r] !== off[r]) changed++;
        expect(on[r]).toBeGreaterThanOrEqual(off[r]); // the rule never lowers a score
      }
    }
    // both kinds occur, and points outside only some trees' boxes (inside their union) do change
    expect(inside).toBeGreaterThan(100);
    expect(outsideSome).toBeGreaterThan(100);
    expect(changed).toBe(outsideSome);
    f.setRangeAware(false);
    expect(bits(f.score(probe))).toEqual(bits(off));
    f.free();
  });

  it('scores increase with the distance beyond the range (the paper\'s rule cannot tell them apart)', () => {
    const psi = 256;
    const f = kernel.forest({ trees: 100, sampleSize: psi, dims: 2, seed: 3 }).fit(uniform(3000, 2, 23));
    const distances = [0.001, 0.01, 0.1, 1, 10, 100, 1e6];
    const oneFeature = Float64Array.from(distances.flatMap((d) => [1 + d, 0.5]));
    const bothFeatures = Float64Array.from(distances.flatMap((d) => [1 + d, -d]));
    const paper = [...f.score(oneFeature), ...f.score(bothFeatures)];
    f.setRangeAware(true);
    const one = Array.from(f.score(oneFeature)), both = Array.from(f.score(bothFeatures));
    // beyond every split, all land in the same leaves: the paper's rule gives one score per direction
    expect(new Set(paper.slice(0, 7)).size).toBe(1);
    expect(new Set(paper.slice(7)).size).toBe(1);
    for (let i = 1; i < distances.length; i++) {
      expect(one[i], `one feature, distance ${distances[i]}`).toBeGreaterThan(one[i - 1]);
      expect(both[i], `both features, distance ${distances[i]}`).toBeGreaterThan(both[i - 1]);
    }
    expect(one[0]).toBeGreaterThanOrEqual(paper[0]);
    // the limits: far beyond in both features every split isolates the point (q -> 1, h' -> 1);
    // in one of two, half the splits do (q -> 1/2 per node, h' -> about sum_k k 2^-k = 2, a little
    // more where the walk ends early in a leaf of several points)
    const c = cOf(psi);
    expect(Math.abs(both[6] - Math.pow(2, -1 / c))).toBeLessThan(1e-5);
    expect(Math.abs(one[6] - Math.pow(2, -2 / c))).toBeLessThan(0.01);
    expect(one[6]).toBeLessThan(both[6]);
    expect(both[6]).toBeGreaterThan(0.93);
    f.free();
  });

  it('agrees with an independent computation of the rule from the snapshot, after streaming too', () => {
    const f = kernel.forest({ trees: 30, sampleSize: 64, dims: 4, seed: 31, window: 200, rangeAware: true });
    f.fit(uniform(500, 4, 24));
    f.update(uniform(150, 4, 25).map((x) => x * 2)); // rebuilt trees see a wider range
    const { forest, trees } = decodeSnapshot(f.snapshot());
    const probe = uniform(400, 4, 26).map((x) => x * 5 - 2);
    const s = f.score(probe);
    for (let r = 0; r < 400; r++) {
      expect(Math.abs(s[r] - scoreOf(rangeAwareSum(forest, probe.subarray(r * 4, r * 4 + 4)), trees)), `row ${r}`).toBeLessThan(1e-15);
    }
    f.free();
  });

  it('ERR_PARAM for a flag other than 0 and 1 or more than 16 features; ERR_HANDLE after free', () => {
    const k = kernel.exports;
    const f = kernel.forest({ dims: 17 });
    expect(codeOf(() => f.setRangeAware(true))).toBe(ERR.PARAM);
    f.setRangeAware(false);
    f.free();
    expect(codeOf(() => f.setRangeAware(true))).toBe(ERR.HANDLE);
    const h = k.forest_new(2, 4, 2, 0n);
    expect(k.forest_set_range_aware(h, 2)).toBe(ERR.PARAM);
    expect(k.forest_set_range_aware(h, -1)).toBe(ERR.PARAM);
    expect(k.forest_set_range_aware(h, 1)).toBe(0);
    k.forest_free(h);
    expect(k.forest_set_range_aware(h, 1)).toBe(ERR.HANDLE);
  });
});
