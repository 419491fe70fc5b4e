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
//
// Extensions, in subdirectories so that a host replaying only the files above is unaffected
// (test/vectors/snapshot/*.json, test/vectors/range-aware/*.json); each file repeats this in "format":
//   {op: "set_range_aware", on: 0|1, expected_code?}      forest_set_range_aware(h, on)
//   {op: "snapshot", expected_length, expected_crc32, expected_sha256, expected_base64?}
//        forest_snapshot_size(h) must be expected_length, forest_snapshot(h, buf, expected_length)
//        must return it, the CRC-32 (IEEE, hex) of all bytes but the 4-byte trailer (which holds it)
//        and the SHA-256 (hex) of all bytes must match (and the bytes themselves when
//        expected_base64 is given)
//   {op: "restore", source: "last_snapshot" | "base64", base64?, expected_code?}
//        forest_restore of the bytes of the latest snapshot step (or of base64); on success the host
//        frees the current model and continues with the restored one; on failure (expected_code)
//        it keeps the current one. The expected results after a restore are those of the original
//        model carrying on without it: the generator computes them so, and checks that the restored
//        model gives the same bits.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';

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

function takeSnapshot(h) {
  const size = kernel.forest_snapshot_size(h);
  if (size < 0) throw new Error(`forest_snapshot_size returned ${size}`);
  const p = kernel.alloc(size);
  const n = kernel.forest_snapshot(h, p, size);
  if (n !== size) throw new Error(`forest_snapshot returned ${n}, size ${size}`);
  const bytes = new Uint8Array(kernel.memory.buffer, p, n).slice();
  kernel.free(p);
  return bytes;
}

function restoreBytes(bytes) {
  const p = kernel.alloc(Math.max(bytes.length, 8));
  new Uint8Array(kernel.memory.buffer, p, bytes.length).set(bytes);
  const h = kernel.forest_restore(p, bytes.length);
  kernel.free(p);
  return h;
}

const hex32 = (x) => (x >>> 0).toString(16).padStart(8, '0');
const b64 = (bytes) => Buffer.from(bytes).toString('base64');

/**
 * Runs a case's steps on one model. replay = false: a restore of the latest snapshot is skipped
 * (the original carries on: that gives the expected results); replay = true: it is performed.
 * Returns the steps as written to the file.
 */
function execute(c, replay) {
  const { trees, psi, dims, seed, window } = c.params;
  let h = kernel.forest_new(trees, psi, dims, BigInt(seed));
  if (h < 0) throw new Error(`${c.name}: forest_new returned ${h}`);
  if (window !== null && kernel.forest_set_window(h, window) !== 0) throw new Error(`${c.name}: set_window failed`);
  let last = null;
  const steps = c.steps.map((s) => {
    const out = { op: s.op };
    let code;
    if (s.op === 'set_range_aware') {
      out.on = s.on;
      code = kernel.forest_set_range_aware(h, s.on);
    } else if (s.op === 'snapshot') {
      last = takeSnapshot(h);
      code = 0;
      out.expected_length = last.length;
      out.expected_crc32 = hex32(crc32(last.subarray(0, last.length - 4))); // = the trailer
      out.expected_sha256 = createHash('sha256').update(last).digest('hex');
      if (s.embed) out.expected_base64 = b64(last);
    } else if (s.op === 'restore') {
      out.source = s.base64 === undefined ? 'last_snapshot' : 'base64';
      if (s.base64 !== undefined) out.base64 = b64(s.base64);
      if (s.base64 === undefined && !replay) {
        code = 0; // the original carries on
      } else {
        const h2 = restoreBytes(s.base64 ?? last);
        code = h2 < 0 ? h2 : 0;
        if (h2 >= 0) {
          kernel.forest_free(h);
          h = h2;
        }
      }
    } else {
      out.rows = s.rows;
      const n = s.rows.length;
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
    }
    if (code !== 0) out.expected_code = code;
    if (s.expect !== undefined && s.expect !== code) throw new Error(`${c.name}: ${s.op} gave ${code}, meant ${s.expect}`);
    if (s.expect === undefined && code !== 0) throw new Error(`${c.name}: ${s.op} failed with ${code}`);
    return out;
  });
  kernel.forest_free(h);
  return steps;
}

function run(c) {
  const steps = execute(c, false);
  if (c.steps.some((s) => s.op === 'restore')) {
    const replayed = JSON.stringify(execute(c, true));
    if (replayed !== JSON.stringify(steps)) throw new Error(`${c.name}: the restored model does not carry on as the original`);
  }
  const v = { name: c.name, description: c.description };
  if (c.dir) v.format = EXTENDED_FORMAT;
  return { ...v, params: { ...c.params, seed: String(c.params.seed) }, steps };
}

const EXTENDED_FORMAT =
  'Create the model: forest_new(trees, psi, dims, seed as u64), then forest_set_window(h, window) unless window is null. ' +
  'Run the steps in order; expected_code absent means the call succeeds. fit/update: rows (n rows of dims f64, row-major). ' +
  'score: rows -> expected_bits (IEEE-754 hex of each score, to match exactly) and expected. set_range_aware: forest_set_range_aware(h, on). ' +
  'snapshot: forest_snapshot_size(h) == expected_length, forest_snapshot(h, buf, expected_length) returns it, CRC-32 (IEEE, zlib/Go hash/crc32) ' +
  'of all bytes but the last 4 == expected_crc32 (hex; the last 4 bytes hold it, little-endian) and SHA-256 of all bytes == expected_sha256 (hex); expected_base64, when present, is the bytes. ' +
  'restore: forest_restore of the latest snapshot step\'s bytes (source last_snapshot) or of base64 (source base64); on success free the current ' +
  'model and continue with the restored one, on failure (expected_code) keep the current one. Results after a restore are those of the original ' +
  'model had it carried on, so a host checks that a restored model continues bit for bit. Snapshot layout: docs/kernel.md "Snapshot format".';

/** Bytes of a snapshot of a model built by raw calls (for restore-from-bytes and corrupt cases). */
function snapshotOf({ trees, psi, dims, seed: sd, window }, rows, { rangeAware = false, update = [] } = {}) {
  const h = kernel.forest_new(trees, psi, dims, BigInt(sd));
  if (window !== null) kernel.forest_set_window(h, window);
  if (rangeAware) kernel.forest_set_range_aware(h, 1);
  for (const [op, rs] of [['fit', rows], ['update', update]]) {
    if (rs.length === 0) continue;
    const p = stage(rs, dims, 0);
    const code = op === 'fit' ? kernel.forest_fit(h, p, rs.length) : kernel.forest_update(h, p, rs.length);
    kernel.free(p);
    if (code !== 0) throw new Error(`snapshotOf: ${op} returned ${code}`);
  }
  const bytes = takeSnapshot(h);
  kernel.forest_free(h);
  return bytes;
}

/** A copy of bytes with f applied to a DataView of it, and (fixCrc) the CRC-32 trailer recomputed. */
function edited(bytes, f, fixCrc = true) {
  const c = bytes.slice();
  f(new DataView(c.buffer));
  if (fixCrc) new DataView(c.buffer).setUint32(c.length - 4, crc32(c.subarray(0, c.length - 4)) >>> 0, true);
  return c;
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

const c32 = (n) => 2 * (Math.log(n - 1) + 0.5772156649015329) - (2 * (n - 1)) / n;
const corruptBase = { trees: 4, psi: 8, dims: 2, seed: '11', window: 16 };
const corruptSnap = snapshotOf(corruptBase, cloud(30, 12, 2), { update: cloud(31, 5, 2) });
const crossBase = { trees: 12, psi: 16, dims: 3, seed: '9007199254740993', window: 48 };
const crossSnap = snapshotOf(crossBase, cloud(32, 40, 3), { update: cloud(33, 11, 3, 0.5, 1), rangeAware: true });

cases.push(
  {
    dir: 'snapshot',
    name: 'snapshot-roundtrip-streaming',
    description:
      '8 trees, psi 16, window 32: fit, 13 updates (mid rebuild schedule, window wrapped), snapshot (bytes embedded), restore, ' +
      'then scores and further updates (every tree re-grown from the carried RNG state) must equal the original\'s; a second snapshot ' +
      'must equal the original\'s bytes',
    params: { trees: 8, psi: 16, dims: 2, seed: '99', window: 32 },
    steps: [
      { op: 'fit', rows: cloud(20, 40, 2) },
      { op: 'update', rows: cloud(21, 13, 2, 0.5, 1) },
      { op: 'score', rows: [[0, 0], [0.5, 0.5], [3, -3]] },
      { op: 'snapshot', embed: true },
      { op: 'restore' },
      { op: 'score', rows: [[0, 0], [0.5, 0.5], [3, -3]] },
      { op: 'update', rows: cloud(22, 40, 2, 2, 1) },
      { op: 'score', rows: [[0, 0], [2, 2], [3, -3]] },
      { op: 'snapshot', embed: true },
    ],
  },
  {
    dir: 'snapshot',
    name: 'snapshot-roundtrip-realistic',
    description:
      '100 trees, psi 256, dims 3, window 2048, seed 2^64-2: fit 600 points, stream 300, snapshot (about 0.3 MB: length, CRC-32 and ' +
      'SHA-256 only), restore, score, stream 700 more (hundreds of rebuilds), score and snapshot again',
    params: { trees: 100, psi: 256, dims: 3, seed: '18446744073709551614', window: 2048 },
    steps: [
      { op: 'fit', rows: cloud(23, 600, 3) },
      { op: 'update', rows: cloud(24, 300, 3, 0.2, 1) },
      { op: 'snapshot' },
      { op: 'restore' },
      { op: 'score', rows: [...cloud(25, 10, 3), [4, 4, 4], [-6, 0, 6]] },
      { op: 'update', rows: cloud(26, 700, 3, 1, 1) },
      { op: 'score', rows: [...cloud(27, 10, 3), [4, 4, 4], [-6, 0, 6]] },
      { op: 'snapshot' },
    ],
  },
  {
    dir: 'snapshot',
    name: 'snapshot-unfitted',
    description:
      'a model without trees: snapshot of an empty model, restore, 10 points (still no trees: score -> ERR_NOT_FITTED), snapshot, ' +
      'restore, 10 more points build the trees from the restored window',
    params: { trees: 6, psi: 16, dims: 2, seed: '3', window: 40 },
    steps: [
      { op: 'snapshot', embed: true },
      { op: 'restore' },
      { op: 'update', rows: cloud(28, 10, 2) },
      { op: 'score', rows: [[0, 0]], expect: -7 },
      { op: 'snapshot', embed: true },
      { op: 'restore' },
      { op: 'update', rows: cloud(29, 10, 2) },
      { op: 'score', rows: [[0, 0], [1, 1], [5, 5]] },
      { op: 'snapshot', embed: true },
    ],
  },
  {
    dir: 'snapshot',
    name: 'snapshot-restore-bytes',
    description:
      'restores bytes written by the Node generator (12 trees, psi 16, dims 3, window 48, range-aware on; fit 40 points, 11 updates) ' +
      'in place of the model the params create, then scores (range-aware, carried by the snapshot), streams and snapshots: a host ' +
      'reading another host\'s snapshot',
    params: crossBase,
    steps: [
      { op: 'restore', base64: crossSnap },
      { op: 'score', rows: [[0.5, 0.5, 0.5], [0, 0, 0], [3, 0.5, 0.5], [30, 0.5, 0.5], [30, 30, -30]] },
      { op: 'update', rows: cloud(34, 60, 3, 1, 1) },
      { op: 'score', rows: [[0.5, 0.5, 0.5], [0, 0, 0], [3, 0.5, 0.5], [30, 0.5, 0.5], [30, 30, -30]] },
      { op: 'snapshot', embed: true },
    ],
  },
  {
    dir: 'snapshot',
    name: 'snapshot-corrupt',
    description:
      'restore of damaged bytes of a valid snapshot (4 trees, psi 8, window 16) fails with a code and leaves the current model in ' +
      'place: empty, truncated by one byte, one byte too many, wrong magic, one payload bit flipped -> ERR_SNAPSHOT (-10); format ' +
      'version 2 or kernel ABI version 2 (checksum recomputed) -> ERR_SNAPSHOT_VERSION (-11); a feature index out of range with the ' +
      'checksum recomputed -> ERR_SNAPSHOT; then the intact bytes restore',
    params: corruptBase,
    steps: [
      { op: 'fit', rows: cloud(35, 12, 2) },
      { op: 'score', rows: [[0, 0], [2, 2]] },
      { op: 'restore', base64: new Uint8Array(0), expect: -10 },
      { op: 'restore', base64: corruptSnap.subarray(0, corruptSnap.length - 1), expect: -10 },
      { op: 'restore', base64: Uint8Array.from([...corruptSnap, 0]), expect: -10 },
      { op: 'restore', base64: edited(corruptSnap, (v) => v.setUint8(0, 0x4e), false), expect: -10 },
      { op: 'restore', base64: edited(corruptSnap, (v) => v.setUint8(200, v.getUint8(200) ^ 0x10), false), expect: -10 },
      { op: 'restore', base64: edited(corruptSnap, (v) => v.setUint16(4, 2, true)), expect: -11 },
      { op: 'restore', base64: edited(corruptSnap, (v) => v.setUint16(6, 2, true)), expect: -11 },
      { op: 'restore', base64: edited(corruptSnap, (v) => v.setInt32(96, 7, true)), expect: -10 },
      { op: 'score', rows: [[0, 0], [2, 2]] },
      { op: 'restore', base64: corruptSnap },
      { op: 'score', rows: [[0, 0], [2, 2]] },
    ],
  },
  {
    dir: 'range-aware',
    name: 'range-aware-constant',
    description:
      'every training row is [7, -7]: with the paper\'s rule every tree is one leaf and every point scores 0.5; with range-aware ' +
      `on, [7, -7] still scores 0.5 and any point off it 2^(-1/c(32)) = ${Math.pow(2, -1 / c32(32))}; off again, 0.5 everywhere`,
    params: { trees: 20, psi: 32, dims: 2, seed: '17', window: null },
    steps: [
      { op: 'fit', rows: Array(50).fill([7, -7]) },
      { op: 'score', rows: [[7, -7], [7.001, -7], [8, -7], [1000, -1000]] },
      { op: 'set_range_aware', on: 1 },
      { op: 'score', rows: [[7, -7], [7.001, -7], [8, -7], [1000, -1000]] },
      { op: 'set_range_aware', on: 0 },
      { op: 'score', rows: [[7, -7], [1000, -1000]] },
    ],
  },
  {
    dir: 'range-aware',
    name: 'range-aware-distance',
    description:
      '50 trees, psi 64, 500 points in [-1, 1]^2: scores with range-aware off, then on, for points inside every tree\'s sample box ' +
      '(same bits either way), then 1.001, 1.01, 1.1, 2, 11, 101 and 1e6 in x (scores increase with the distance) and the same beyond both ' +
      'features',
    params: { trees: 50, psi: 64, dims: 2, seed: '2718281828', window: null },
    steps: [
      { op: 'fit', rows: cloud(36, 500, 2) },
      { op: 'score', rows: [[0, 0], [0.3, -0.2], ...[1.001, 1.01, 1.1, 2, 11, 101, 1e6].map((x) => [x, 0]), ...[1.001, 1.01, 1.1, 2, 11, 101, 1e6].map((x) => [x, -x])] },
      { op: 'set_range_aware', on: 1 },
      { op: 'score', rows: [[0, 0], [0.3, -0.2], ...[1.001, 1.01, 1.1, 2, 11, 101, 1e6].map((x) => [x, 0]), ...[1.001, 1.01, 1.1, 2, 11, 101, 1e6].map((x) => [x, -x])] },
    ],
  },
  {
    dir: 'range-aware',
    name: 'range-aware-streaming',
    description:
      'range-aware on before any data (window 64, 16 trees, psi 16): trees built from the window after 16 points, rebuilt every ' +
      '4 points; the data drifts from 0 to 4, so the sample boxes move with it',
    params: { trees: 16, psi: 16, dims: 2, seed: '5', window: 64 },
    steps: [
      { op: 'set_range_aware', on: 1 },
      { op: 'update', rows: cloud(37, 20, 2) },
      { op: 'score', rows: [[0, 0], [1.5, 0], [4, 4], [40, -40]] },
      { op: 'update', rows: cloud(38, 80, 2, 4, 1) },
      { op: 'score', rows: [[0, 0], [1.5, 0], [4, 4], [40, -40]] },
    ],
  },
  {
    dir: 'range-aware',
    name: 'range-aware-errors',
    description: 'forest_set_range_aware: ERR_PARAM (-2) for on = 2 or -1, and for on = 1 with dims 17 (the rule tracks at most 16); off (0) is fine',
    params: { trees: 2, psi: 4, dims: 17, seed: '1', window: null },
    steps: [
      { op: 'set_range_aware', on: 2, expect: -2 },
      { op: 'set_range_aware', on: -1, expect: -2 },
      { op: 'set_range_aware', on: 1, expect: -2 },
      { op: 'set_range_aware', on: 0 },
    ],
  },
);

for (const c of cases) {
  const v = run(c);
  const dir = c.dir ? join(here, c.dir) : here;
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${c.name}.json`);
  // one row per line: readable diffs without a line per number
  const text = JSON.stringify(v, null, 1).replace(/\[\s*([^[\]{}]*?)\s*\]/g, (_, inner) => `[${inner.replace(/\s+/g, '')}]`);
  writeFileSync(file, text + '\n');
  console.log(`vectors: ${file} (${v.steps.length} steps)`);
}
