// One bench run: our kernel over the seeds, then (with compare) each peer, on one dataset.
import { Kernel } from '../kernel/index.js';
import type { Dataset } from './dataset.js';
import { runMlIsolationForest, runNpmIsolationForest } from './peers/npm.js';
import { runOursBatch, runOursStream } from './peers/ours.js';
import { PYTHON_PEERS, runPythonPeers, type PythonPeer } from './peers/python.js';
import { summarize } from './summarize.js';
import type { BenchParams, BenchResult, PeerResult, SeedRun } from './types.js';

export interface RunOptions {
  compare: boolean;
  kernelPath?: string;
  /** called after every seed of every implementation */
  onProgress?: (done: number, total: number, what: string) => void;
}

/**
 * Seed caps for peers that are very slow on large data (measured on this machine: npm
 * isolation-forest 0.0.9 grows every tree on all rows, ml-isolation-forest 0.1.0 grows full-depth
 * trees on all rows). Above `rows`, a peer runs `seeds` seeds; above `skipRows` it is not run.
 */
const CAPS: Record<string, { rows: number; seeds: number; skipRows: number }> = {
  'isolation-forest': { rows: 20_000, seeds: 1, skipRows: Infinity },
  'ml-isolation-forest': { rows: 20_000, seeds: 1, skipRows: 150_000 },
  'scikit-learn': { rows: Infinity, seeds: 0, skipRows: Infinity },
  isotree: { rows: Infinity, seeds: 0, skipRows: Infinity },
};

function plannedSeeds(peer: string, rows: number, seeds: number): { seeds: number; note?: string } {
  const cap = CAPS[peer];
  if (rows > cap.skipRows) return { seeds: 0, note: `not run above ${cap.skipRows} rows (too slow: every tree is grown on all rows)` };
  if (rows > cap.rows && seeds > cap.seeds) return { seeds: cap.seeds, note: `${cap.seeds} seed(s) only above ${cap.rows} rows (slow)` };
  return { seeds };
}

const seedList = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/**
 * A small synthetic dataset of the same width, for unmeasured warm-up runs: the first calls of
 * JavaScript and WebAssembly code run in baseline tiers while the optimising compiler works in
 * the background (the kernel's first fit was measured 3x slower than the next), so every
 * in-process implementation runs once on this before its timed seeds.
 */
function warmupData(ds: Dataset, rows = 2000): Dataset {
  const X = new Float64Array(rows * ds.dims);
  const y = new Uint8Array(rows);
  for (let i = 0; i < X.length; i++) X[i] = ((i * 2654435761) % 1000) / 1000;
  for (let i = 0; i < rows; i += 50) y[i] = 1;
  return { ...ds, name: `${ds.name}-warmup`, X, y, rows };
}

export async function runBench(ds: Dataset, p: BenchParams, opts: RunOptions): Promise<BenchResult> {
  const kernel = Kernel.load(opts.kernelPath);
  const jsPeers = {
    'isolation-forest': runNpmIsolationForest,
    'ml-isolation-forest': runMlIsolationForest,
  } as const;
  const compare = opts.compare && !p.stream;
  const plan = compare
    ? [...Object.keys(jsPeers), ...PYTHON_PEERS].map((peer) => ({ peer, ...plannedSeeds(peer, ds.rows, p.seeds) }))
    : [];
  const total = p.seeds + plan.reduce((a, x) => a + x.seeds, 0);
  let done = 0;
  const tick = (what: string) => opts.onProgress?.(++done, total, what);

  const warm = warmupData(ds);
  for (let i = 0; i < 3; i++) {
    if (p.stream) runOursStream(kernel, warm, p, 1000 + i);
    else runOursBatch(kernel, warm, p, 1000 + i);
  }
  const ourRuns: SeedRun[] = [];
  let warmup = 0;
  for (const seed of seedList(p.seeds)) {
    if (p.stream) {
      const r = runOursStream(kernel, ds, p, seed);
      warmup = r.warmup;
      ourRuns.push(r);
    } else {
      ourRuns.push(runOursBatch(kernel, ds, p, seed));
    }
    tick(`mirador seed ${seed}`);
  }
  const ours = summarize(ourRuns, p.stream ? ds.rows - warmup : ds.rows,
    p.stream ? `streaming: each batch of ${p.batch} scored before it is learned; first ${warmup} rows (warm-up) not scored` : undefined);

  const peers: Record<string, PeerResult> = {};
  if (opts.compare && p.stream) {
    return { dataset: ds.name, rows: ds.rows, dims: ds.dims, params: p, ours, peers: { all: { unavailable: 'peers have no streaming API; run without --stream to compare' } } };
  }
  for (const { peer, seeds, note } of plan) {
    if (seeds === 0 && note) peers[peer] = { unavailable: note };
  }
  for (const { peer, seeds, note } of plan.filter((x) => x.peer in jsPeers && x.seeds > 0)) {
    const run = jsPeers[peer as keyof typeof jsPeers];
    run(warmupData(ds, 300), p);
    const runs: SeedRun[] = [];
    for (const seed of seedList(seeds)) {
      runs.push(run(ds, p));
      tick(`${peer} seed ${seed}`);
    }
    peers[peer] = summarize(runs, ds.rows, note);
  }
  const py = plan.filter((x) => (PYTHON_PEERS as readonly string[]).includes(x.peer) && x.seeds > 0);
  const pyRuns: Record<string, SeedRun[]> = {};
  await runPythonPeers(ds, p, py.map((x) => ({ peer: x.peer as PythonPeer, seeds: seedList(x.seeds) })), (line) => {
    if ('unavailable' in line) {
      peers[line.peer] = { unavailable: line.unavailable };
      return;
    }
    (pyRuns[line.peer] ??= []).push(line);
    tick(`${line.peer} seed ${line.seed}`);
  });
  for (const { peer, note } of py) {
    if (pyRuns[peer]?.length) peers[peer] = summarize(pyRuns[peer], ds.rows, note);
  }
  return { dataset: ds.name, rows: ds.rows, dims: ds.dims, params: p, ours, peers };
}
