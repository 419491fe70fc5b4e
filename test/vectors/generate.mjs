#!/usr/bin/env node
// Writes the golden vectors test/vectors/*.json by running build/isolation_forest.wasm through
// its raw ABI (no TypeScript wrapper), so every host (Node, Go/wazero) can replay them and must
// reproduce each score bit for bit. Run after a deliberate kernel change: `npm run vectors`.
//
// Format (shared with the Go processor's tests):
//   {name, description, params: {trees, psi, dims, seed: "<u64 decimal>", window: int|null},
//    steps: [{op: "fit"|"update", rows, expected_code?}, {op: "score", rows, expected_bits, expected} | {op: "score", rows, expected_code}]}
// A host calls forest_new(trees, psi, dims, seed), then forest_set_window(h, window) when window
// is not null, then each step in order. Rows whose length differs from dims are rejected by the
// host itself with ERR_DIMS (-8) without calling the kernel. Non-finite values cannot be written
// in JSON, so nonfinite.json spells them as the strings "NaN", "Infinity", "-Infinity".
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const wasmPath = process.argv[2] ?? resolve(here, '../../build/isolation_forest.wasm');
const kernel = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(wasmPath)), {}).exports;
const ERR_DIMS = -8;

/** Deterministic data (a 31-bit LCG), rounded to 1e-4 so JSON round-trips the exact f64. */
function lcg(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 1) / 2 ** 31;
  };
}
const round = (x) => Math.round(x * 1e4) / 1e4;
function cloud(seed, n, dims, centre = 0, spread = 1) {
  const r = lcg(seed);
  return Array.from({ length: n }, () => Array.from({ length: dims }, () => round(centre + spread * (r() - 0.5) * 2)));
}

const toNumber = (v) => (typeof v === 'string' ? Number(v) : v); // "NaN", "Infinity", "-Infinity"
const bitsOf = (x) => {
  const b = new DataView(new ArrayBuffer(8));
  b.setFloat64(0, x);
  return b.getBigUint64(0).toString(16).padStart(16, '0');
};

function stage(rows, dims, extra) {
  const n = rows.length;
  const p = kernel.alloc(Math.max(n * dims * 8 + extra, 8));
  const view = new Float64Array(kernel.memory.buffer, p, n * dims);
  rows.forEach((row, i) => row.forEach((v, j) => (view[i * dims + j] = toNumber(v))));
  return p;
}

function run(c) {
  const { trees, psi, dims, seed, window } = c.params;
  const h = kernel.forest_new(trees, psi, dims, BigInt(seed));
  if (h < 0) throw new Error(`${c.name}: forest_new returned ${h}`);
  if (window !== null && kernel.forest_set_window(h, window) !== 0) throw new Error(`${c.name}: set_window failed`);
  const steps = c.steps.map((s) => {
    const out = { op: s.op, rows: s.rows };
    const n = s.rows.length;
    let code;
    if (s.rows.some((r) => r.length !== dims)) code = ERR_DIMS;
    else if (s.op === 'score') {
      const p = stage(s.rows, dims, n * 8);
      code = kernel.forest_score(h, p, n, p + n * dims * 8);
      if (code === 0) {
        const scores = Array.from(new Float64Array(kernel.memory.buffer, p + n * dims * 8, n));
        out.expected_bits = scores.map(bitsOf);
        out.expected = scores;
      }
      kernel.free(p);
    } else {
      const p = stage(s.rows, dims, 0);
      code = s.op === 'fit' ? kernel.forest_fit(h, p, n) : kernel.forest_update(h, p, n);
      kernel.free(p);
    }
    if (code !== 0 || s.op !== 'score') {
      if (code !== 0) out.expected_code = code;
    }
    if (s.expect !== undefined && s.expect !== code) throw new Error(`${c.name}: ${s.op} gave ${code}, meant ${s.expect}`);
    return out;
  });
  kernel.forest_free(h);
  return { name: c.name, description: c.description, params: { ...c.params, seed: String(seed) }, steps };
}

const outliers = [[3, 3], [-3, 2.5], [0, 0], [0.5, -0.25]];
const cases = [
  {
    name: 'tiny-fit-score',
    description: '10 trees, psi 8, 20 points in [-1,1]^2; scores the training points and 4 probes (2 far outliers)',
    params: { trees: 10, psi: 8, dims: 2, seed: '42', window: null },
    steps: [{ op: 'fit', rows: cloud(1, 20, 2) }, { op: 'score', rows: [...cloud(1, 20, 2), ...outliers] }],
  },
  {
    name: 'psi-above-n',
    description: 'psi 256 but only 50 rows: every tree uses psi_eff = n = 50 (height limit 6)',
    params: { trees: 25, psi: 256, dims: 3, seed: '7', window: null },
    steps: [{ op: 'fit', rows: cloud(2, 50, 3) }, { op: 'score', rows: [...cloud(3, 10, 3), [5, 5, 5]] }],
  },
  {
    name: 'duplicates-constant-feature',
    description: 'duplicate rows and a constant feature (column 1 is always 2.5): splits use column 0 or 2 only',
    params: { trees: 20, psi: 16, dims: 3, seed: '123456789', window: null },
    steps: [
      { op: 'fit', rows: [...cloud(4, 12, 3).map((r) => [r[0], 2.5, r[2]]), ...Array(12).fill([0.25, 2.5, -0.5])] },
      { op: 'score', rows: [[0.25, 2.5, -0.5], [0.9, 2.5, 0.9], [0.25, 100, -0.5], [-4, 2.5, 4]] },
    ],
  },
  {
    name: 'all-rows-identical',
    description: 'every row equal: each tree is one leaf of psi points, so every score is 2^(-c(psi)/c(psi)) = 0.5',
    params: { trees: 5, psi: 32, dims: 2, seed: '1', window: null },
    steps: [{ op: 'fit', rows: Array(40).fill([1, -1]) }, { op: 'score', rows: [[1, -1], [2, 2]] }],
  },
  {
    name: 'u64-seed-realistic',
    description: '100 trees, psi 256, 600 points (a cluster plus 12 far points), seed 2^64-1 (tests u64 passing)',
    params: { trees: 100, psi: 256, dims: 3, seed: '18446744073709551615', window: null },
    steps: [
      { op: 'fit', rows: [...cloud(5, 588, 3), ...cloud(6, 12, 3, 4, 0.5)] },
      { op: 'score', rows: [...cloud(7, 20, 3), ...cloud(8, 5, 3, 4, 0.5), [10, -10, 10]] },
    ],
  },
  {
    name: 'streaming-window',
    description:
      'window 32, 8 trees, psi 16: update before enough points (score -> ERR_NOT_FITTED), trees built once the window ' +
      'holds 16 points, oldest tree rebuilt every ceil(32/8) = 4 points; the data drifts from 0 to 5',
    params: { trees: 8, psi: 16, dims: 2, seed: '99', window: 32 },
    steps: [
      { op: 'update', rows: cloud(9, 10, 2) },
      { op: 'score', rows: [[0, 0]], expect: -7 },
      { op: 'update', rows: cloud(10, 10, 2) },
      { op: 'score', rows: [[0, 0], [5, 5], [0.9, -0.9]] },
      { op: 'update', rows: cloud(11, 7, 2, 5, 1) },
      { op: 'score', rows: [[0, 0], [5, 5]] },
      { op: 'update', rows: cloud(12, 40, 2, 5, 1) },
      { op: 'score', rows: [[0, 0], [5, 5], [5.5, 4.5]] },
    ],
  },
  {
    name: 'fit-then-stream-default-window',
    description: 'fit on 100 points, then updates with the default window (4 * psi = 64): the fit seeds the window',
    params: { trees: 16, psi: 16, dims: 2, seed: '2024', window: null },
    steps: [
      { op: 'fit', rows: cloud(13, 100, 2) },
      { op: 'score', rows: [[0, 0], [3, 3]] },
      { op: 'update', rows: cloud(14, 3, 2, 3, 0.2) },
      { op: 'score', rows: [[0, 0], [3, 3]] },
      { op: 'update', rows: cloud(15, 70, 2, 3, 0.2) },
      { op: 'score', rows: [[0, 0], [3, 3]] },
    ],
  },
  {
    name: 'error-codes',
    description:
      'ERR_NOT_FITTED (-7) before fit, ERR_EMPTY (-3) for zero rows, ERR_DIMS (-8, host-side) for a row of the wrong ' +
      'width; the model keeps working after each error',
    params: { trees: 4, psi: 8, dims: 2, seed: '5', window: null },
    steps: [
      { op: 'score', rows: [[0, 0]], expect: -7 },
      { op: 'fit', rows: [], expect: -3 },
      { op: 'fit', rows: [[1, 2, 3]], expect: -8 },
      { op: 'fit', rows: cloud(16, 8, 2) },
      { op: 'score', rows: [], expect: -3 },
      { op: 'update', rows: [[1]], expect: -8 },
      { op: 'score', rows: [[0, 0], [2, 2]] },
    ],
  },
  {
    name: 'nonfinite',
    description:
      'ERR_NONFINITE (-5): NaN/Infinity anywhere in fit, update or score rows (spelled as strings in this file); ' +
      'a failed call changes nothing',
    params: { trees: 4, psi: 8, dims: 2, seed: '6', window: null },
    steps: [
      { op: 'fit', rows: [[0, 0], [1, 'NaN']], expect: -5 },
      { op: 'fit', rows: cloud(17, 8, 2) },
      { op: 'update', rows: [['Infinity', 0]], expect: -5 },
      { op: 'score', rows: [[0, 0], [0, '-Infinity']], expect: -5 },
      { op: 'score', rows: [[0, 0], [1, 1]] },
    ],
  },
];

for (const c of cases) {
  const v = run(c);
  const file = join(here, `${c.name}.json`);
  // one row per line: readable diffs without a line per number
  const text = JSON.stringify(v, null, 1).replace(/\[\s*([^[\]{}]*?)\s*\]/g, (_, inner) => `[${inner.replace(/\s+/g, '')}]`);
  writeFileSync(file, text + '\n');
  console.log(`vectors: ${file} (${v.steps.length} steps)`);
}
