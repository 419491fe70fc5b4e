// Unit tests of the kernel through its raw exports and the TypeScript host.
import { describe, expect, it } from 'vitest';
import { ERR, IsolationForest, Kernel, KernelError } from '../../src/kernel/index.js';
import { codeOf } from '../support/kernel-code.js';
import { bits, uniform } from './helpers.js';

const kernel = Kernel.load();
const k = kernel.exports;

describe('path length and height limit', () => {
  it('c(n) follows the paper with scikit-learn\'s harmonic approximation', () => {
    const c = (n: number) => 2 * (Math.log(n - 1) + 0.5772156649015329) - (2 * (n - 1)) / n;
    expect(k.avg_path_length(0)).toBe(0);
    expect(k.avg_path_length(1)).toBe(0);
    expect(k.avg_path_length(2)).toBe(1);
    for (const n of [3, 10, 100, 256, 4096, 1 << 20]) expect(k.avg_path_length(n)).toBeCloseTo(c(n), 12);
    expect(k.avg_path_length(256)).toBeCloseTo(10.2448, 4); // the paper's c(256)
  });

  it.each([
    [256, 8],
    [100, 7],
    [2, 1],
    [1, 0],
  ])('psi %i grows trees at most ceil(log2 psi) = %i deep, and reaches it on spread-out data', (psi, limit) => {
    const f = kernel.forest({ trees: 50, sampleSize: psi, dims: 4, seed: 3 }).fit(uniform(4000, 4));
    expect(f.maxDepth).toBe(limit);
    f.free();
  });

  it('psi above n uses n points (height limit from n)', () => {
    const f = kernel.forest({ trees: 20, sampleSize: 256, dims: 2, seed: 1 }).fit(uniform(30, 2));
    expect(f.maxDepth).toBe(5); // ceil(log2 30)
    f.free();
  });
});

describe('scores', () => {
  it('are in (0, 1] and rank a far outlier above every inlier', () => {
    const X = uniform(1000, 3, 7);
    X.set([8, -8, 8], 0);
    const s = kernel.forest({ trees: 100, sampleSize: 256, dims: 3, seed: 11 }).fit(X).score(X);
    for (const v of s) expect(v > 0 && v <= 1).toBe(true);
    expect(Math.max(...s.subarray(1))).toBeLessThan(s[0]);
    expect(s[0]).toBeGreaterThan(0.7);
  });

  it('is 0.5 everywhere when every training row is identical (single-leaf trees)', () => {
    const s = kernel.forest({ trees: 10, sampleSize: 64, dims: 2, seed: 1 }).fit(new Float64Array(200).fill(3)).score(Float64Array.of(3, 3, 0, 100));
    expect(Array.from(s)).toEqual([0.5, 0.5]);
  });

  it('never splits on a constant feature', () => {
    const X = uniform(500, 2, 5);
    for (let i = 0; i < 500; i++) X[i * 2 + 1] = 42;
    const f = kernel.forest({ trees: 30, sampleSize: 128, dims: 2, seed: 2 }).fit(X);
    // changing only the constant column must not change any score
    const probe = Float64Array.of(0.5, 42, 0.5, -1e9, 0.1, 1e9);
    const s = f.score(probe);
    expect(s[0]).toBe(s[1]);
    expect(s[0]).toBe(f.score(Float64Array.of(0.5, 7))[0]);
    f.free();
  });
});

describe('determinism', () => {
  const X = uniform(3000, 5, 9);
  const run = (kern: Kernel, seed: bigint) => {
    const f = kern.forest({ trees: 100, sampleSize: 256, dims: 5, seed });
    const s = f.fit(X).score(X);
    f.free();
    return s;
  };

  it('the same seed gives bit-identical scores, in this and in a fresh instance', () => {
    const a = run(kernel, 42n);
    expect(bits(run(kernel, 42n))).toEqual(bits(a));
    expect(bits(run(Kernel.load(), 42n))).toEqual(bits(a));
  });

  it('another seed gives another forest', () => {
    expect(bits(run(kernel, 43n))).not.toEqual(bits(run(kernel, 42n)));
  });

  it('accepts the full u64 seed range', () => {
    expect(bits(run(kernel, 2n ** 64n - 1n))).not.toEqual(bits(run(kernel, 2n ** 63n - 1n)));
  });
});

describe('streaming (forest_update)', () => {
  it('builds trees once the window holds min(psi, window) points', () => {
    const f = kernel.forest({ trees: 8, sampleSize: 16, dims: 2, seed: 1, window: 64 });
    f.update(uniform(15, 2));
    expect(f.fitted).toBe(false);
    expect(codeOf(() => f.score(Float64Array.of(0, 0)))).toBe(ERR.NOT_FITTED);
    f.update(uniform(1, 2, 2));
    expect(f.fitted).toBe(true);
    expect(f.windowLength).toBe(16);
    f.update(uniform(100, 2, 3));
    expect(f.windowLength).toBe(64);
    f.free();
  });

  it('rebuilds the oldest tree every ceil(window / trees) points', () => {
    const f = kernel.forest({ trees: 8, sampleSize: 16, dims: 2, seed: 1, window: 30 }); // every 4 points
    f.fit(uniform(100, 2));
    const probe = uniform(50, 2, 99);
    let before = bits(f.score(probe));
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 3; i++) {
        f.update(uniform(1, 2, 1000 + round * 10 + i));
        expect(bits(f.score(probe))).toEqual(before);
      }
      f.update(uniform(1, 2, 2000 + round));
      const after = bits(f.score(probe));
      expect(after).not.toEqual(before);
      before = after;
    }
    f.free();
  });

  it('follows drift: after a window of shifted data the old region looks anomalous', () => {
    const f = kernel.forest({ trees: 50, sampleSize: 64, dims: 2, seed: 4, window: 256 });
    f.fit(uniform(500, 2)); // around [0,1)^2
    const old = Float64Array.of(0.5, 0.5), next = Float64Array.of(10.5, 10.5);
    expect(f.score(old)[0]).toBeLessThan(f.score(next)[0]);
    const shifted = uniform(600, 2, 5).map((v) => v + 10);
    for (let i = 0; i < 600; i += 10) f.update(shifted.subarray(i * 2, (i + 10) * 2));
    expect(f.score(old)[0]).toBeGreaterThan(f.score(next)[0]);
    f.free();
  });

  it('set_window keeps the most recent points', () => {
    const f = kernel.forest({ trees: 4, sampleSize: 8, dims: 1, seed: 1 });
    f.update(Float64Array.from({ length: 30 }, (_, i) => i));
    expect(f.windowLength).toBe(30); // default window 4 * 8 = 32
    f.setWindow(10);
    expect(f.windowLength).toBe(10);
    f.setWindow(100);
    f.update(Float64Array.of(1, 2, 3));
    expect(f.windowLength).toBe(13);
    f.free();
  });
});

describe('error codes (never a trap)', () => {
  it('ERR_PARAM for trees, psi, dims or window out of range', () => {
    expect(k.forest_new(0, 256, 2, 0n)).toBe(ERR.PARAM);
    expect(k.forest_new(100, 0, 2, 0n)).toBe(ERR.PARAM);
    expect(k.forest_new(100, 256, 0, 0n)).toBe(ERR.PARAM);
    expect(k.forest_new(-5, -5, -5, 0n)).toBe(ERR.PARAM);
    const h = k.forest_new(1, 1, 1, 0n);
    expect(k.forest_set_window(h, 0)).toBe(ERR.PARAM);
    expect(k.forest_set_window(h, -1)).toBe(ERR.PARAM);
    k.forest_free(h);
    expect(codeOf(() => new IsolationForest(kernel, { dims: 0 }))).toBe(ERR.PARAM);
  });

  it('ERR_HANDLE for unknown, negative and freed handles (also after the slot is reused)', () => {
    const h = k.forest_new(1, 4, 1, 0n);
    const p = k.alloc(64);
    expect(k.forest_free(h)).toBe(0);
    expect(k.forest_free(h)).toBe(ERR.HANDLE);
    const h2 = k.forest_new(1, 4, 1, 0n); // reuses the slot, new generation
    expect(h2).not.toBe(h);
    for (const bad of [h, -1, 123456, 0x7fffffff]) {
      expect(k.forest_fit(bad, p, 1)).toBe(ERR.HANDLE);
      expect(k.forest_update(bad, p, 1)).toBe(ERR.HANDLE);
      expect(k.forest_score(bad, p, 1, p + 8)).toBe(ERR.HANDLE);
      expect(k.forest_set_window(bad, 5)).toBe(ERR.HANDLE);
      expect(k.forest_window_len(bad)).toBe(ERR.HANDLE);
    }
    k.forest_free(h2);
    k.free(p);
    const f = kernel.forest({ dims: 1 });
    f.free();
    expect(codeOf(() => f.fit(Float64Array.of(1)))).toBe(ERR.HANDLE);
  });

  it('ERR_EMPTY for n <= 0', () => {
    const h = k.forest_new(2, 4, 1, 0n);
    const p = k.alloc(64);
    for (const n of [0, -1, -2147483648]) {
      expect(k.forest_fit(h, p, n)).toBe(ERR.EMPTY);
      expect(k.forest_update(h, p, n)).toBe(ERR.EMPTY);
      expect(k.forest_score(h, p, n, p)).toBe(ERR.EMPTY);
    }
    k.forest_free(h);
    k.free(p);
  });

  it('ERR_BOUNDS for buffers outside the heap', () => {
    const h = k.forest_new(2, 4, 2, 0n);
    const p = k.alloc(64);
    new Float64Array(k.memory.buffer, p, 8).fill(1);
    const end = k.memory.buffer.byteLength;
    for (const [ptr, n] of [[0, 1], [8, 1], [end - 8, 1], [end, 1], [0xfffffff0, 1], [p, 0x7fffffff], [-8, 1]]) {
      expect(k.forest_fit(h, ptr, n)).toBe(ERR.BOUNDS);
      expect(k.forest_update(h, ptr, n)).toBe(ERR.BOUNDS);
      expect(k.forest_score(h, ptr, n, p)).toBe(ERR.BOUNDS);
    }
    expect(k.forest_fit(h, p, 4)).toBe(0);
    expect(k.forest_score(h, p, 1, 0)).toBe(ERR.BOUNDS);
    expect(k.forest_score(h, p, 1, end - 4)).toBe(ERR.BOUNDS);
    k.forest_free(h);
    k.free(p);
  });

  it('ERR_NONFINITE for NaN and infinities, leaving the model unchanged', () => {
    const f = kernel.forest({ trees: 10, sampleSize: 16, dims: 2, seed: 1 }).fit(uniform(50, 2));
    const probe = uniform(5, 2, 3);
    const before = bits(f.score(probe));
    for (const bad of [NaN, Infinity, -Infinity]) {
      const X = uniform(20, 2, 4);
      X[17] = bad;
      expect(codeOf(() => f.fit(X))).toBe(ERR.NONFINITE);
      expect(codeOf(() => f.update(X))).toBe(ERR.NONFINITE);
      expect(codeOf(() => f.score(X))).toBe(ERR.NONFINITE);
    }
    expect(bits(f.score(probe))).toEqual(before);
    f.free();
  });

  it('ERR_DIMS (host side) when the row values do not divide into dims', () => {
    const f = kernel.forest({ dims: 3 });
    expect(codeOf(() => f.fit(new Float64Array(7)))).toBe(ERR.DIMS);
    expect(codeOf(() => f.update(new Float64Array(2)))).toBe(ERR.DIMS);
    expect(codeOf(() => f.score(new Float64Array(4)))).toBe(ERR.DIMS);
    f.free();
  });

  it('ERR_NOMEM when a model or buffer cannot fit in 4 GiB; alloc returns 0', () => {
    expect(k.forest_new(100_000, 1 << 24, 1, 0n)).toBe(ERR.NOMEM);
    expect(k.alloc(0xffffffff)).toBe(0);
    expect(k.forest_new(1, 4, 1, 0n)).toBeGreaterThanOrEqual(0); // still usable afterwards
    const e = new KernelError(ERR.NOMEM, 'forest_new');
    expect(e.message).toContain('ERR_NOMEM (-6): out of memory');
  });

  it('ERR_LIMIT beyond 2^20 live models', () => {
    const kern = Kernel.load();
    const ex = kern.exports;
    let h = 0, made = 0;
    while ((h = ex.forest_new(1, 1, 1, 0n)) >= 0) made++;
    expect(h).toBe(ERR.LIMIT);
    expect(made).toBe(1 << 20);
    expect(ex.forest_count()).toBe(1 << 20);
  }, 120_000);

  it('KernelError carries the code and its meaning', () => {
    const f = kernel.forest({ dims: 1 });
    try {
      f.score(Float64Array.of(1));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(KernelError);
      expect((e as KernelError).code).toBe(ERR.NOT_FITTED);
      expect((e as Error).message).toMatch(/forest_score failed: ERR_NOT_FITTED \(-7\): model has no trees yet/);
    }
    f.free();
  });

  it('survives random garbage on every export', () => {
    const kern = Kernel.load();
    const ex = kern.exports;
    let s = 12345;
    const rnd = () => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      const pick = s % 4;
      return pick === 0 ? s | 0 : pick === 1 ? s % 4096 : pick === 2 ? -(s % 100) : s % 200_000;
    };
    for (let i = 0; i < 26_000; i++) {
      const a = rnd(), b = rnd(), c = rnd(), d = rnd();
      switch (i % 13) {
        case 0: ex.forest_new(a % 300, b % 600, c % 50, BigInt(d)); break;
        case 1: ex.forest_fit(a & 0xff, b, c % 5000); break;
        case 2: ex.forest_update(a & 0xff, b, c % 5000); break;
        case 3: ex.forest_score(a & 0xff, b, c % 5000, d); break;
        case 4: ex.forest_free(a & 0xff); break;
        case 5: ex.free(a); break;
        case 6: ex.free(ex.alloc(b & 0xffff)); break;
        case 7: ex.forest_set_window(a & 0xff, b); break;
        case 8: ex.forest_window_len(a); break;
        case 9: ex.forest_set_range_aware(a & 0xff, b % 3); break;
        case 10: ex.forest_snapshot_size(a & 0xff); break;
        case 11: ex.forest_snapshot(a & 0xff, b, c); break;
        case 12: { const h = ex.forest_restore(b, c % 5000); if (h >= 0) ex.forest_free(h); break; }
      }
    }
    // still healthy
    const f = kern.forest({ trees: 10, sampleSize: 32, dims: 2, seed: 1 }).fit(uniform(100, 2));
    expect(f.score(uniform(3, 2)).length).toBe(3);
  });
});

describe('memory', () => {
  it('alloc returns 8-byte aligned buffers and free ignores foreign pointers', () => {
    const ps = [1, 7, 8, 100, 5000].map((n) => k.alloc(n));
    for (const p of ps) expect(p % 8).toBe(0);
    for (const p of ps) k.free(p);
    k.free(ps[0]); // double free: ignored
    k.free(3);
    k.free(0);
  });

  it('reuses freed memory: repeated fit/free cycles do not grow memory', () => {
    const kern = Kernel.load();
    const X = uniform(2000, 4);
    const cycle = () => kern.forest({ trees: 100, sampleSize: 256, dims: 4 }).fit(X).free();
    cycle();
    const size = kern.exports.memory_bytes();
    for (let i = 0; i < 30; i++) cycle();
    expect(kern.exports.memory_bytes()).toBe(size);
    expect(kern.exports.forest_count()).toBe(0);
  });
});
