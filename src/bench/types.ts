// Shapes shared by the bench runner, the peers and the reports.

export interface BenchParams {
  trees: number;
  sampleSize: number;
  seeds: number;
  label: string;
  stream: boolean;
  window: number | null;
  batch: number;
}

/** One fit + score of one implementation with one seed. */
export interface SeedRun {
  rocAuc: number;
  prAuc: number;
  fitMs: number;
  scoreMs: number;
  peakMemMB: number;
}

/** Means over seeds (peak memory: the largest). */
export interface Figures {
  rocAuc: number;
  prAuc: number;
  fitMs: number;
  scoreMs: number;
  pointsPerSec: number;
  peakMemMB: number;
  seeds: number;
  note?: string;
}

export interface Unavailable {
  unavailable: string;
}

export type PeerResult = Figures | Unavailable;

export interface BenchResult {
  dataset: string;
  rows: number;
  dims: number;
  params: BenchParams;
  ours: Figures;
  peers: Record<string, PeerResult>;
}

export const isUnavailable = (r: PeerResult): r is Unavailable => 'unavailable' in r;
