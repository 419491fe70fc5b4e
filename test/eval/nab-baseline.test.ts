import { describe, expect, it } from 'vitest';
import { windowedGaussian } from '../../src/eval/nab/baselines.js';

describe('windowed Gaussian baseline', () => {
  it('judges each value against the window before it', () => {
    const s = windowedGaussian([1, 3, 5], { window: 10, step: 2 });
    expect(s[0]).toBeNull();
    expect(s[1]).toBe(Number.MAX_VALUE); // one value before it: zero spread, and 3 differs
    // window [1, 3]: mean 2, population std 1 -> |5 - 2| / 1
    expect(s[2]).toBeCloseTo(3, 12);
  });

  it('refreshes a full window every step values', () => {
    // window 2, step 2: [10, 10] is full; 0 and 0 go to the buffer, then the window becomes [0, 0]
    const s = windowedGaussian([10, 10, 0, 0, 0], { window: 2, step: 2 });
    expect(s[2]).toBe(Number.MAX_VALUE); // against [10, 10]
    expect(s[3]).toBe(Number.MAX_VALUE); // still [10, 10]: the buffer is not full
    expect(s[4]).toBe(0); // against [0, 0]
  });
});
