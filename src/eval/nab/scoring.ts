/**
 * The scoring rules of the Numenta Anomaly Benchmark (Lavin & Ahmad, "Evaluating Real-time Anomaly
 * Detection Algorithms — the Numenta Anomaly Benchmark", IEEE ICMLA 2015), as NAB v1.0's sweeper
 * applies them:
 *
 * - The first `probationLength(n)` points of a file (15%, at most 750) are ignored: flags there count
 *   for nothing, and a window that lies wholly inside that period is not scored.
 * - Inside a labelled window only the earliest flag counts: A_TP·σ(y)/σ(-1) with
 *   y = -(end - i + 1)/width (a flag at the window's first point earns about A_TP; at its last, ~0).
 *   Later flags in the same window count for nothing. A window without a flag scores -A_FN.
 * - A flag outside every window scores A_FP·σ(y), with y = |i - end of the previous window| /
 *   (its width - 1) (close behind a window it costs little), or y = 3 (σ = -1, full cost) when no
 *   window came before it.
 * - σ(y) = 2/(1 + e^{5y}) - 1, and -1 from y = 3 on.
 * - A corpus score is the sum over files, normalised as 100·(raw - null)/(perfect - null): `null`
 *   flags nothing (-A_FN per window), `perfect` flags every window at its start (A_TP per window).
 *
 * Indices are positions in a file's rows; windows are inclusive index ranges [first, last].
 */

/** A cost profile (NAB's `profiles.json`). */
export interface Profile {
  name: ProfileName;
  tp: number;
  fp: number;
  fn: number;
}

export type ProfileName = 'standard' | 'reward_low_FP_rate' | 'reward_low_FN_rate';

/** NAB's three application profiles (A_TP, A_FP, A_FN). */
export const PROFILES: readonly Profile[] = [
  { name: 'standard', tp: 1, fp: 0.11, fn: 1 },
  { name: 'reward_low_FP_rate', tp: 1, fp: 0.22, fn: 1 },
  { name: 'reward_low_FN_rate', tp: 1, fp: 0.11, fn: 2 },
];

/** An inclusive range of row indices [first, last]. */
export type Window = readonly [number, number];

/** Points at the start of a file whose flags are ignored: min(floor(0.15·n), 0.15·5000). */
export function probationLength(n: number): number {
  return Math.min(Math.floor(0.15 * n), 0.15 * 5000);
}

/** NAB's scaled sigmoid: 2/(1+e^{5y}) - 1, and -1 for y >= 3. */
export function scaledSigmoid(y: number): number {
  return y >= 3 ? -1 : 2 / (1 + Math.exp(5 * y)) - 1;
}

const MAX_TP = scaledSigmoid(-1);

/** What a flag at one row would score, and where it belongs. */
export interface RowWeight {
  /** Index into the file's windows, -1 outside every window. */
  window: number;
  /** True in the probationary period (the flag is ignored). */
  probation: boolean;
  /** The flag's score under the profile: positive in a window, negative outside. */
  weight: number;
}

/**
 * Per-row weights of a file of n rows with the given windows (sorted, non-overlapping), under a
 * profile. Rows in probation keep their weight for inspection but are marked ignored.
 */
export function rowWeights(n: number, windows: readonly Window[], profile: Profile): RowWeight[] {
  const probation = probationLength(n);
  const out: RowWeight[] = new Array(n);
  let w = 0;
  let prevEnd = -1;
  let prevWidth = 0;
  for (let i = 0; i < n; i++) {
    while (w < windows.length && windows[w][1] < i) {
      prevEnd = windows[w][1];
      prevWidth = windows[w][1] - windows[w][0] + 1;
      w++;
    }
    const inWindow = w < windows.length && windows[w][0] <= i;
    let weight: number;
    if (inWindow) {
      const [first, last] = windows[w];
      const width = last - first + 1;
      weight = (scaledSigmoid(-(last - i + 1) / width) * profile.tp) / MAX_TP;
    } else {
      // A window of width 1 has no "width - 1": NAB divides by zero there; treat it as far behind.
      const y = prevEnd < 0 || prevWidth <= 1 ? 3 : Math.abs(i - prevEnd) / (prevWidth - 1);
      weight = scaledSigmoid(y) * profile.fp;
    }
    out[i] = { window: inWindow ? w : -1, probation: i < probation, weight };
  }
  return out;
}

/** Windows that are scored: those with at least one row after the probationary period. */
export function scoredWindows(n: number, windows: readonly Window[]): number[] {
  const probation = probationLength(n);
  return windows.map((_, i) => i).filter((i) => windows[i][1] >= probation);
}

/** The outcome of scoring one file's flags. */
export interface FileScore {
  raw: number;
  /** Scored windows (the null detector's false negatives). */
  windows: number;
  /** Windows with a flag inside. */
  detected: number;
  /** Flagged rows outside every window (after probation). */
  falsePositives: number;
  /** Per scored window: the index of its first flag, or -1; and that flag's score. */
  detections: { window: number; first: number; last: number; flag: number; score: number }[];
}

/** Scores one file's boolean flags (one per row) under a profile. */
export function scoreFile(flags: ArrayLike<boolean>, windows: readonly Window[], profile: Profile): FileScore {
  const n = flags.length;
  const weights = rowWeights(n, windows, profile);
  const scored = scoredWindows(n, windows);
  const best = new Map<number, { flag: number; score: number }>();
  let fpSum = 0;
  let falsePositives = 0;
  for (let i = 0; i < n; i++) {
    if (!flags[i]) continue;
    const rw = weights[i];
    if (rw.probation) continue;
    if (rw.window < 0) {
      fpSum += rw.weight;
      falsePositives++;
    } else if (!best.has(rw.window)) {
      best.set(rw.window, { flag: i, score: rw.weight });
    }
  }
  let raw = fpSum;
  const detections = scored.map((w) => {
    const b = best.get(w);
    raw += b ? Math.max(b.score, -profile.fn) : -profile.fn;
    return { window: w, first: windows[w][0], last: windows[w][1], flag: b?.flag ?? -1, score: b ? b.score : -profile.fn };
  });
  return { raw, windows: scored.length, detected: best.size, falsePositives, detections };
}

/** Corpus totals and the normalised score. */
export interface CorpusScore {
  profile: ProfileName;
  raw: number;
  null: number;
  perfect: number;
  /** 100·(raw - null)/(perfect - null). */
  score: number;
  windows: number;
  detected: number;
  falsePositives: number;
}

/** Adds up files scored with one profile and normalises. */
export function corpusScore(files: readonly FileScore[], profile: Profile): CorpusScore {
  let raw = 0;
  let windows = 0;
  let detected = 0;
  let falsePositives = 0;
  for (const f of files) {
    raw += f.raw;
    windows += f.windows;
    detected += f.detected;
    falsePositives += f.falsePositives;
  }
  const nul = -profile.fn * windows;
  const perfect = profile.tp * windows;
  const score = perfect === nul ? 0 : (100 * (raw - nul)) / (perfect - nul);
  return { profile: profile.name, raw, null: nul, perfect, score, windows, detected, falsePositives };
}

/** One file's rows for a threshold sweep: a score per row and its windows. */
export interface ScoredFile {
  scores: ArrayLike<number>;
  windows: readonly Window[];
}

/** The best single threshold over a corpus (flag = score >= threshold), as NAB's optimiser seeks. */
export interface ThresholdResult extends CorpusScore {
  threshold: number;
}

/**
 * Exact sweep of every distinct score value as a threshold over the whole corpus (one threshold for
 * all files): rows are visited from the highest score down, keeping each window's best flag and the
 * false-positive sum, so the corpus score at each threshold costs O(1) amortised. Returns the
 * threshold with the highest normalised score (the highest such threshold on ties).
 */
export function bestThreshold(files: readonly ScoredFile[], profile: Profile): ThresholdResult {
  interface Row { score: number; file: number; weight: number; window: number }
  const rows: Row[] = [];
  const windowBase: number[] = [];
  let windowCount = 0;
  let scoredWindowCount = 0;
  const scoredSet = new Set<number>();
  files.forEach((f, fi) => {
    const n = f.scores.length;
    windowBase.push(windowCount);
    for (const w of scoredWindows(n, f.windows)) scoredSet.add(windowCount + w);
    scoredWindowCount += scoredWindows(n, f.windows).length;
    const weights = rowWeights(n, f.windows, profile);
    for (let i = 0; i < n; i++) {
      const s = f.scores[i];
      if (weights[i].probation || !Number.isFinite(s)) continue;
      rows.push({ score: s, file: fi, weight: weights[i].weight, window: weights[i].window < 0 ? -1 : windowCount + weights[i].window });
    }
    windowCount += f.windows.length;
  });
  rows.sort((a, b) => b.score - a.score);
  const nul = -profile.fn * scoredWindowCount;
  const perfect = profile.tp * scoredWindowCount;
  const norm = (raw: number) => (perfect === nul ? 0 : (100 * (raw - nul)) / (perfect - nul));
  const windowBest = new Map<number, number>();
  let raw = nul;
  let falsePositives = 0;
  let best: ThresholdResult = {
    profile: profile.name, threshold: Infinity, raw: nul, null: nul, perfect, score: 0,
    windows: scoredWindowCount, detected: 0, falsePositives: 0,
  };
  for (let i = 0; i < rows.length; ) {
    const threshold = rows[i].score;
    for (; i < rows.length && rows[i].score === threshold; i++) {
      const r = rows[i];
      if (r.window < 0) {
        falsePositives++;
        raw += r.weight;
      } else if (scoredSet.has(r.window)) {
        const prev = windowBest.get(r.window);
        const value = Math.max(r.weight, -profile.fn);
        if (prev === undefined) {
          raw += value + profile.fn;
          windowBest.set(r.window, value);
        } else if (value > prev) {
          raw += value - prev;
          windowBest.set(r.window, value);
        }
      }
    }
    const score = norm(raw);
    if (score > best.score) {
      best = { profile: profile.name, threshold, raw, null: nul, perfect, score, windows: scoredWindowCount, detected: windowBest.size, falsePositives };
    }
  }
  return best;
}
