#!/usr/bin/env node
// Records scikit-learn's mean ROC-AUC over seeds 1..5 (100 trees, max_samples 256) on the parity
// datasets into test/data/sklearn-parity.json, which test/kernel/parity.test.ts compares against.
// Usage: bash scripts/python-env.sh && node test/data/record-sklearn-parity.mjs
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const python = join(root, '.venv/bin/python');
const DATASETS = ['shuttle', 'mammography', 'annthyroid', 'breastw', 'cardio'];
const params = { trees: 100, psi: 256, seeds: [1, 2, 3, 4, 5] };

const version = execFileSync(python, ['-c', 'import sklearn; print(sklearn.__version__)'], { encoding: 'utf8' }).trim();
const datasets = {};
for (const name of DATASETS) {
  const arg = { data: resolve(root, '../shared/datasets', `${name}.csv`), label: 'label', trees: params.trees, psi: params.psi, seeds: params.seeds, peers: ['scikit-learn'] };
  const out = execFileSync(python, [join(root, 'src/bench/peers/python_peer.py'), JSON.stringify(arg)], { encoding: 'utf8' });
  const runs = out.trim().split('\n').map((l) => JSON.parse(l));
  if (runs.some((r) => r.unavailable)) throw new Error(`${name}: ${runs[0].unavailable}`);
  const perSeed = runs.map((r) => r.rocAuc);
  datasets[name] = { rocAuc: perSeed.reduce((a, b) => a + b, 0) / perSeed.length, perSeed };
  console.log(`${name}: scikit-learn mean ROC-AUC ${datasets[name].rocAuc.toFixed(4)}`);
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
