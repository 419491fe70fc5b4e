// scikit-learn and isotree through python_peer.py, with the project's .venv python when present.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../proc/tools.js';
import type { Dataset } from '../dataset.js';
import type { BenchParams, SeedRun } from '../types.js';

export const PYTHON_PEERS = ['scikit-learn', 'isotree'] as const;
export type PythonPeer = (typeof PYTHON_PEERS)[number];

export type PythonLine = ({ peer: PythonPeer; seed: number } & SeedRun) | { peer: PythonPeer; unavailable: string };

/** The interpreter to use, or a reason why there is none. */
export function findPython(): { python: string } | { unavailable: string } {
  const venv = join(repoRoot(), '.venv/bin/python');
  if (existsSync(venv)) return { python: venv };
  const probe = spawnSync('python3', ['-c', 'import sklearn'], { stdio: 'ignore' });
  if (probe.error) return { unavailable: 'python3 not found (run bash scripts/python-env.sh)' };
  if (probe.status !== 0) return { unavailable: 'scikit-learn not installed (run bash scripts/python-env.sh)' };
  return { python: 'python3' };
}

/** Runs the requested peers for each seed; calls onLine for every result line as it arrives. */
export function runPythonPeers(
  ds: Dataset, p: BenchParams, peers: { peer: PythonPeer; seeds: number[] }[], onLine: (l: PythonLine) => void,
): Promise<void> {
  const found = findPython();
  if ('unavailable' in found) {
    for (const { peer } of peers) onLine({ peer, unavailable: found.unavailable });
    return Promise.resolve();
  }
  const script = join(repoRoot(), 'src/bench/peers/python_peer.py');
  // one process per peer: each gets its own seeds and a clean peak-RSS baseline
  return peers.reduce(
    (prev, { peer, seeds }) =>
      prev.then(
        () =>
          new Promise<void>((resolve, reject) => {
            const arg = JSON.stringify({ data: ds.path, label: p.label, trees: p.trees, psi: p.sampleSize, seeds, peers: [peer] });
            const child = spawn(found.python, [script, arg], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OMP_NUM_THREADS: '1' } });
            let buf = '', err = '';
            child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
              buf += chunk;
              let nl: number;
              while ((nl = buf.indexOf('\n')) >= 0) {
                const line = buf.slice(0, nl).trim();
                buf = buf.slice(nl + 1);
                if (line) onLine(JSON.parse(line) as PythonLine);
              }
            });
            child.stderr.setEncoding('utf8').on('data', (c: string) => (err = (err + c).slice(-2000)));
            child.on('error', reject);
            child.on('close', (code) => {
              if (code === 0) resolve();
              else {
                onLine({ peer, unavailable: `python peer exited with code ${code}: ${err.trim().split('\n').pop() ?? ''}` });
                resolve();
              }
            });
          }),
      ),
    Promise.resolve(),
  );
}
