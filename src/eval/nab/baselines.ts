/**
 * Simple detectors scored in the same run as the processor, so each figure is also a ratio.
 *
 * Windowed Gaussian (NAB's `windowedGaussian` detector, Lavin & Ahmad 2015): each value is judged
 * against the mean and standard deviation of a window of the values before it (6400 values,
 * refreshed every 100); its score is the two-sided tail, here |z| (monotonic in the tail
 * probability, and without the saturation of 1 - Q(|z|) at 1.0 for |z| > 8, which would make a
 * threshold sweep coarse). NAB's scoreboard tunes its threshold per profile; so does bestThreshold.
 */
import type { DetectorRows } from './evaluate.js';
import type { NabFile } from './corpus.js';

export interface WindowedGaussianOptions {
  /** Values in the window (NAB: 6400). */
  window?: number;
  /** The window is refreshed every `step` values (NAB: 100). */
  step?: number;
}

/** Scores one series: |z| of each value against the window before it (null for the first value). */
export function windowedGaussian(values: readonly number[], o: WindowedGaussianOptions = {}): (number | null)[] {
  const window = o.window ?? 6400;
  const step = o.step ?? 100;
  const out: (number | null)[] = new Array(values.length).fill(null);
  let win: number[] = [];
  let buffer: number[] = [];
  let mean = 0;
  let std = 0;
  const refresh = () => {
    mean = win.reduce((a, b) => a + b, 0) / win.length;
    std = Math.sqrt(win.reduce((a, b) => a + (b - mean) ** 2, 0) / win.length);
  };
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (win.length > 0) out[i] = std > 0 ? Math.abs(x - mean) / std : x === mean ? 0 : Number.MAX_VALUE;
    if (win.length < window) {
      win.push(x);
      refresh();
    } else {
      buffer.push(x);
      if (buffer.length === step) {
        win = win.slice(step).concat(buffer);
        buffer = [];
        refresh();
      }
    }
  }
  return out;
}

/** The windowed Gaussian over a corpus: scores only (it has no flags of its own; NAB tunes its threshold). */
export function windowedGaussianRows(corpus: readonly NabFile[]): Map<string, DetectorRows> {
  const rows = new Map<string, DetectorRows>();
  for (const f of corpus) {
    const scores = windowedGaussian(f.values);
    rows.set(f.name, { scores, flags: scores.map(() => false) });
  }
  return rows;
}
