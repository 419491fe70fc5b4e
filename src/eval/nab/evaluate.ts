/**
 * Turns a detector's per-row output over the NAB corpus into the benchmark's figures: the three
 * profile scores of its flags, the best single threshold on its score per profile (as NAB's
 * scoreboard tunes every detector), per-file recall, false alarms per 1000 rows (points and
 * episodes) and detection delay.
 */
import type { NabFile } from './corpus.js';
import {
  PROFILES, bestThreshold, corpusScore, probationLength, scoreFile, type CorpusScore, type ThresholdResult,
} from './scoring.js';

/** A detector's output for one file, one entry per row (null score: the row was not scored). */
export interface DetectorRows {
  scores: (number | null)[];
  flags: boolean[];
}

export interface FileFigures {
  name: string;
  rows: number;
  scoredRows: number;
  windows: number;
  detected: number;
  /** Flagged rows outside every window, after probation. */
  falseAlarmPoints: number;
  /** Runs of consecutive flagged rows with no row inside a window, after probation. */
  falseAlarmEpisodes: number;
  /** Per detected window: the first flag's position, 0 at the window's start, 1 at its end. */
  positions: number[];
  /** Standard-profile raw score of this file's flags. */
  standardRaw: number;
}

export interface Evaluation {
  detector: string;
  files: FileFigures[];
  /** The flags as emitted, under each profile. */
  flags: CorpusScore[];
  /** The best single threshold on the score, per profile (null: the detector gives no scores). */
  bestThreshold: ThresholdResult[] | null;
  totals: {
    rows: number;
    /** Rows after probation (where flags count). */
    judgedRows: number;
    scoredRows: number;
    windows: number;
    detected: number;
    recall: number;
    falseAlarmPoints: number;
    falseAlarmEpisodes: number;
    falseAlarmPointsPer1000: number;
    falseAlarmEpisodesPer1000: number;
    /** Median first-flag position in detected windows (0 = start, 1 = end). */
    medianPosition: number | null;
  };
}

const median = (xs: number[]) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Evaluates one detector's rows (keyed by file name) against the corpus. */
export function evaluate(detector: string, corpus: readonly NabFile[], rows: ReadonlyMap<string, DetectorRows>): Evaluation {
  const files: FileFigures[] = [];
  const perProfile = PROFILES.map(() => [] as ReturnType<typeof scoreFile>[]);
  let hasScores = false;
  for (const f of corpus) {
    const r = rows.get(f.name);
    if (!r) throw new Error(`${detector}: no output for ${f.name}`);
    if (r.flags.length !== f.values.length || r.scores.length !== f.values.length) {
      throw new Error(`${detector}: ${f.name} has ${f.values.length} rows but ${r.flags.length} flags and ${r.scores.length} scores`);
    }
    PROFILES.forEach((p, i) => perProfile[i].push(scoreFile(r.flags, f.windows, p)));
    const std = perProfile[0][perProfile[0].length - 1];
    const probation = probationLength(f.values.length);
    const inWindow = (i: number) => f.windows.some(([a, b]) => i >= a && i <= b);
    let fpPoints = 0;
    let fpEpisodes = 0;
    for (let i = Math.ceil(probation); i < r.flags.length; ) {
      if (!r.flags[i]) { i++; continue; }
      let j = i;
      let touchesWindow = false;
      for (; j < r.flags.length && r.flags[j]; j++) {
        if (inWindow(j)) touchesWindow = true;
        else fpPoints++;
      }
      if (!touchesWindow) fpEpisodes++;
      i = j;
    }
    const scoredRows = r.scores.filter((s) => s !== null).length;
    if (scoredRows > 0) hasScores = true;
    files.push({
      name: f.name, rows: f.values.length, scoredRows, windows: std.windows, detected: std.detected,
      falseAlarmPoints: fpPoints, falseAlarmEpisodes: fpEpisodes,
      positions: std.detections.filter((d) => d.flag >= 0).map((d) => (d.flag - d.first) / Math.max(1, d.last - d.first)),
      standardRaw: std.raw,
    });
  }
  const flags = PROFILES.map((p, i) => corpusScore(perProfile[i], p));
  const sweepInput = corpus.map((f) => ({
    scores: rows.get(f.name)!.scores.map((s) => (s === null ? -Infinity : s)),
    windows: f.windows,
  }));
  const best = hasScores ? PROFILES.map((p) => bestThreshold(sweepInput, p)) : null;
  const sum = (k: keyof FileFigures) => files.reduce((a, f) => a + (f[k] as number), 0);
  const judgedRows = corpus.reduce((a, f) => a + f.values.length - Math.ceil(probationLength(f.values.length)), 0);
  const windows = sum('windows');
  const detected = sum('detected');
  return {
    detector, files, flags, bestThreshold: best,
    totals: {
      rows: sum('rows'), judgedRows, scoredRows: sum('scoredRows'), windows, detected,
      recall: windows ? detected / windows : 0,
      falseAlarmPoints: sum('falseAlarmPoints'), falseAlarmEpisodes: sum('falseAlarmEpisodes'),
      falseAlarmPointsPer1000: (1000 * sum('falseAlarmPoints')) / judgedRows,
      falseAlarmEpisodesPer1000: (1000 * sum('falseAlarmEpisodes')) / judgedRows,
      medianPosition: median(files.flatMap((f) => f.positions)),
    },
  };
}

/** One line per profile: flags, and best threshold. */
export function summarize(e: Evaluation): string {
  const fmt = (x: number) => x.toFixed(1);
  const lines = [`${e.detector}: flags ${e.flags.map((s) => `${s.profile} ${fmt(s.score)}`).join(', ')}`];
  if (e.bestThreshold) lines.push(`  best threshold: ${e.bestThreshold.map((s) => `${s.profile} ${fmt(s.score)} @ ${s.threshold.toPrecision(4)}`).join(', ')}`);
  const t = e.totals;
  lines.push(`  windows ${t.detected}/${t.windows} (recall ${(100 * t.recall).toFixed(0)}%), false alarms ${t.falseAlarmPoints} points / ${t.falseAlarmEpisodes} episodes (${t.falseAlarmPointsPer1000.toFixed(2)} / ${t.falseAlarmEpisodesPer1000.toFixed(2)} per 1000 rows), median position in window ${t.medianPosition === null ? '-' : t.medianPosition.toFixed(2)}`);
  return lines.join('\n');
}
