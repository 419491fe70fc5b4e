#!/usr/bin/env node
// Records scikit-learn's ROC-AUC for seeds 1..20 (100 trees, max_samples 256) on the parity datasets
// into test/data/sklearn-parity.json, which test/kernel/parity.test.ts compares against. 20 seeds,
// not 5: a 5-seed mean varies by up to ~0.008 (1 sd of the difference of two such means on
// annthyroid), so a 0.01 tolerance on 5 seeds would pass or fail a correct kernel by seed luck.
// Usage: bash scripts/python-env.sh && node test/data/record-sklearn-parity.mjs
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const python = join(root, '.venv/bin/python');
const DATASETS = ['shuttle', 'mammography', 'annthyroid', 'breastw', 'cardio'];
const params = { trees: 100, psi: 256, seeds: Array.from({ length: 20 }, (_, i) => i + 1) };

const version = execFileSync(python, ['-c', 'import sklearn; print(sklearn.__version__)'], { encoding: 'utf8' }).trim();
const datasets = {};
for (const name of DATASETS) {
  const arg = { data: resolve(root, '../shared/datasets', `${name}.csv`), label: 'label', trees: params.trees, psi: params.psi, seeds: params.seeds, peers: ['scikit-learn'] };
  const out = execFileSync(python, [join(root, 'src/bench/peers/python_peer.py'), JSON.stringify(arg)], { encoding: 'utf8' });
  const runs = out.trim().split('\n').map((l) => JSON.parse(l));
  if (runs.some((r) => r.unavailable)) throw new Error(`${name}: ${runs[0].unavailable}`);
  const perSeed = runs.map((r) => r.rocAuc);
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  datasets[name] = { rocAuc: mean(perSeed), rocAucSeeds1to5: mean(perSeed.slice(0, 5)), perSeed };
  console.log(`${name}: scikit-learn mean ROC-AUC ${datasets[name].rocAuc.toFixed(4)} (seeds 1-5: ${datasets[name].rocAucSeeds1to5.toFixed(4)})`);
}
const record = {
  command: 'bash scripts/python-env.sh && node test/data/record-sklearn-parity.mjs',
  recorded: new Date().toISOString().slice(0, 10),
  sklearn: version,
  model: `IsolationForest(n_estimators=${params.trees}, max_samples=min(${params.psi}, n), random_state=seed, n_jobs=1); score = -score_samples(X) on the training rows`,
  params,
  datasets,
};
writeFileSync(join(here, 'sklearn-parity.json'), JSON.stringify(record, null, 1) + '\n');
