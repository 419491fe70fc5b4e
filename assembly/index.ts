// Mirador isolation forest kernel, ABI v1 (see ../docs/kernel.md; the contract's constants live in
// abi.json). Raw exports only: numbers and pointers, no managed objects, so Node and Go (wazero)
// drive it identically. Every export validates its input and returns a negative code from abi.ts
// instead of trapping.

import { allocBytes, freeBytes, inHeap, memoryEnd } from './alloc';
import {
  ABI_VERSION, ERR_BOUNDS, ERR_EMPTY, ERR_HANDLE, ERR_LIMIT, ERR_NOMEM, ERR_NONFINITE, ERR_NOT_FITTED, ERR_PARAM,
} from './abi';
import {
  MAX_DIMS, MAX_PSI, MAX_TREES, MAX_WINDOW, Model, allocWindow, liveModels, lookup, newModel, register, releaseModel,
  unregister,
} from './model';
import { rngSeed } from './rng';
import { RA_MAX_DIMS, ensureRangeScratch, ensureSampleScratch, fitRows, rebuildFromWindow, scoreRows } from './forest';
import { avgPathLength } from './pathlen';
import { restoreSnapshot, snapshotSize, writeSnapshot } from './snapshot';

// the error codes, exported as immutable i32 globals (test/kernel/abi.test.ts checks this list is complete)
export {
  ERR_HANDLE, ERR_PARAM, ERR_EMPTY, ERR_BOUNDS, ERR_NONFINITE, ERR_NOMEM, ERR_NOT_FITTED, ERR_DIMS, ERR_LIMIT,
  ERR_SNAPSHOT, ERR_SNAPSHOT_VERSION,
} from './abi';

/** Default window when forest_set_window was not called: 4 * psi rows. */
const DEFAULT_WINDOW_FACTOR: i32 = 4;

export function abi_version(): i32 {
  return ABI_VERSION;
}

/** Host I/O buffer of `bytes` bytes (8-byte aligned); 0 when out of memory. */
export function alloc(bytes: u32): usize {
  return allocBytes(<u64>bytes);
}

/** Releases a buffer from alloc; pointers that are not live buffers are ignored. */
export function free(ptr: usize): void {
  freeBytes(ptr);
}

/** New model: handle >= 0, or ERR_PARAM / ERR_NOMEM / ERR_LIMIT. */
export function forest_new(trees: i32, psi: i32, dims: i32, seed: u64): i32 {
  if (trees < 1 || trees > MAX_TREES || psi < 1 || psi > MAX_PSI || dims < 1 || dims > MAX_DIMS) return ERR_PARAM;
  const m = newModel(trees, psi, dims);
  if (m === null) return ERR_NOMEM;
  m.windowCap = psi * DEFAULT_WINDOW_FACTOR < MAX_WINDOW ? psi * DEFAULT_WINDOW_FACTOR : MAX_WINDOW;
  rngSeed(changetype<usize>(m), seed);
  const h = register(m);
  if (h < 0) {
    releaseModel(m);
    return ERR_LIMIT;
  }
  return h;
}

/** Frees a model: 0, or ERR_HANDLE for an unknown or already freed handle. */
export function forest_free(h: i32): i32 {
  const m = unregister(h);
  if (m === null) return ERR_HANDLE;
  releaseModel(m);
  return 0;
}

/** Validates handle, row count, buffer bounds and finiteness; 0 or an error code. */
function checkRows(m: Model | null, rows: usize, n: i32): i32 {
  if (m === null) return ERR_HANDLE;
  if (n <= 0) return ERR_EMPTY;
  const values = <u64>n * <u64>m.dims;
  if (!inHeap(rows, values << 3)) return ERR_BOUNDS;
  for (let i: u64 = 0; i < values; i++) {
    const x = load<f64>(rows + <usize>(i << 3));
    if (x - x != 0) return ERR_NONFINITE; // NaN or +-Inf (Inf - Inf is NaN)
  }
  return 0;
}

/** Allocates the window ring buffer if it is not there yet; false when out of memory. */
function ensureWindow(m: Model): bool {
  return m.window != 0 || allocWindow(m);
}

/**
 * Batch fit: grows all trees on n rows (psi_eff = min(psi, n)), replacing any previous trees,
 * and seeds the streaming window with the last min(n, window) rows.
 */
export function forest_fit(h: i32, rows: usize, n: i32): i32 {
  const m = lookup(h);
  const err = checkRows(m, rows, n);
  if (err != 0) return err;
  const model = changetype<Model>(changetype<usize>(m));
  if (!ensureWindow(model)) return ERR_NOMEM;
  if (!fitRows(model, rows, n)) return ERR_NOMEM;
  const rowBytes = <usize>model.dims << 3;
  const keep = n < model.windowCap ? n : model.windowCap;
  memory.copy(model.window, rows + <usize>(n - keep) * rowBytes, <usize>keep * rowBytes);
  model.windowCount = keep;
  model.windowHead = keep % model.windowCap;
  model.sinceRebuild = 0;
  model.nextTree = 0;
  return 0;
}

/**
 * Streaming: appends n rows to the window (oldest dropped when full). Every ceil(window/trees)
 * rows the oldest tree is re-grown from a fresh sub-sample of the window, so the whole forest is
 * renewed once per window of points at a constant amortised cost per point. A model without trees
 * grows all of them once the window holds min(psi, window) points.
 */
export function forest_update(h: i32, rows: usize, n: i32): i32 {
  const m = lookup(h);
  const err = checkRows(m, rows, n);
  if (err != 0) return err;
  const model = changetype<Model>(changetype<usize>(m));
  if (!ensureWindow(model)) return ERR_NOMEM;
  const rowBytes = <usize>model.dims << 3;
  const cap = model.windowCap;
  if (!ensureSampleScratch(model.psi < cap ? model.psi : cap)) return ERR_NOMEM;
  const every = (cap + model.trees - 1) / model.trees;
  const needed = model.psi < cap ? model.psi : cap;
  for (let r = 0; r < n; r++) {
    memory.copy(model.window + <usize>model.windowHead * rowBytes, rows + <usize>r * rowBytes, rowBytes);
    model.windowHead = model.windowHead + 1 == cap ? 0 : model.windowHead + 1;
    if (model.windowCount < cap) model.windowCount++;
    if (model.built != 0) {
      if (++model.sinceRebuild >= every) {
        rebuildFromWindow(model, model.nextTree);
        model.nextTree = model.nextTree + 1 == model.trees ? 0 : model.nextTree + 1;
        model.sinceRebuild = 0;
      }
    } else if (model.windowCount >= needed) {
      model.maxDepth = 0;
      for (let t = 0; t < model.trees; t++) rebuildFromWindow(model, t);
      model.built = 1;
      model.sinceRebuild = 0;
      model.nextTree = 0;
    }
  }
  return 0;
}

/** Scores n rows into out (n f64, s(x) in (0, 1]); ERR_NOT_FITTED before the model has trees. */
export function forest_score(h: i32, rows: usize, n: i32, out: usize): i32 {
  const m = lookup(h);
  const err = checkRows(m, rows, n);
  if (err != 0) return err;
  const model = changetype<Model>(changetype<usize>(m));
  if (!inHeap(out, <u64>n << 3)) return ERR_BOUNDS;
  if (model.built == 0) return ERR_NOT_FITTED;
  scoreRows(model, rows, n, out);
  return 0;
}

// ---- extensions (additive to ABI v1) ----

/**
 * Size in bytes of the model's snapshot (what forest_snapshot writes now), or ERR_HANDLE (as f64).
 * The layout is in docs/kernel.md ("Snapshot format"); it changes whenever the model does.
 */
export function forest_snapshot_size(h: i32): f64 {
  const m = lookup(h);
  if (m === null) return <f64>ERR_HANDLE;
  return <f64>snapshotSize(m);
}

/**
 * Writes the model's snapshot (trees, sample boxes, window, rebuild schedule, RNG state, flags;
 * versioned, CRC-32 trailer) to out_ptr .. out_ptr + cap. Returns the bytes written, or
 * ERR_HANDLE, ERR_BOUNDS (the buffer is outside the heap, or cap < 0), ERR_PARAM (cap below
 * forest_snapshot_size) or ERR_NOMEM (larger than 2^31 - 1 bytes). The model is not changed.
 */
export function forest_snapshot(h: i32, out: usize, cap: i32): i32 {
  const m = lookup(h);
  if (m === null) return ERR_HANDLE;
  if (cap < 0 || !inHeap(out, <u64>cap)) return ERR_BOUNDS;
  const size = snapshotSize(m);
  if (size > <u64>cap) return ERR_PARAM;
  if (size > <u64>i32.MAX_VALUE) return ERR_NOMEM;
  writeSnapshot(m, out, size);
  return <i32>size;
}

/**
 * Restores a model from the len bytes at in_ptr written by forest_snapshot (of this or another
 * instance or host): a new handle whose scores, updates and later snapshots are bit-identical to
 * the original's. ERR_BOUNDS (buffer outside the heap, or len < 0), ERR_SNAPSHOT_VERSION (another
 * format or ABI version), ERR_SNAPSHOT (wrong magic, truncated, checksum or contents invalid),
 * ERR_NOMEM or ERR_LIMIT. Never traps on any bytes.
 */
export function forest_restore(src: usize, len: i32): i32 {
  if (len < 0 || !inHeap(src, <u64>len)) return ERR_BOUNDS;
  return restoreSnapshot(src, len);
}

/**
 * Sets the streaming window to w rows (default 4 * psi); keeps the most recent min(count, w)
 * points already held. 0, ERR_HANDLE, ERR_PARAM (w < 1 or too large) or ERR_NOMEM.
 */
export function forest_set_window(h: i32, w: i32): i32 {
  const m = lookup(h);
  if (m === null) return ERR_HANDLE;
  if (w < 1 || w > MAX_WINDOW) return ERR_PARAM;
  if (m.window == 0) {
    m.windowCap = w;
    return 0;
  }
  const rowBytes = <usize>m.dims << 3;
  const nw = allocBytes(<u64>w * <u64>m.dims << 3);
  const ni = allocBytes(<u64>w << 2);
  if (nw == 0 || ni == 0) {
    freeBytes(nw);
    freeBytes(ni);
    return ERR_NOMEM;
  }
  // copy the newest `keep` rows, oldest first, to slots [0, keep)
  const keep = m.windowCount < w ? m.windowCount : w;
  let src = (m.windowHead - keep + m.windowCap) % m.windowCap;
  for (let i = 0; i < keep; i++) {
    memory.copy(nw + <usize>i * rowBytes, m.window + <usize>src * rowBytes, rowBytes);
    src = src + 1 == m.windowCap ? 0 : src + 1;
  }
  freeBytes(m.window);
  freeBytes(m.windowIdx);
  m.window = nw;
  m.windowIdx = ni;
  m.windowCap = w;
  m.windowCount = keep;
  m.windowHead = keep % w;
  m.sinceRebuild = 0;
  return 0;
}

/**
 * Range-aware scoring on (1) or off (0, the paper's rule, the default): with it, at each node of a
 * point's path (its final leaf included) the point is isolated with probability q, the chance that
 * a split drawn as if the point were in the node's sample falls between them (excess/(span +
 * excess) averaged over the features; forest.ts and docs/kernel.md give the rule). So a change
 * from a constant and a value far beyond everything learnt score near 1 instead of as the boundary
 * leaf, while a point inside every tree's sample box keeps its score bit for bit. Carried by
 * snapshots. 0, ERR_HANDLE, ERR_PARAM (on not 0 or 1, or 1 with dims > RA_MAX_DIMS) or ERR_NOMEM.
 */
export function forest_set_range_aware(h: i32, on: i32): i32 {
  const m = lookup(h);
  if (m === null) return ERR_HANDLE;
  if (on != 0 && on != 1 || on == 1 && m.dims > RA_MAX_DIMS) return ERR_PARAM;
  if (on == 1 && !ensureRangeScratch()) return ERR_NOMEM;
  m.rangeAware = on;
  return 0;
}

/** Points currently held in the model's window, or ERR_HANDLE. */
export function forest_window_len(h: i32): i32 {
  const m = lookup(h);
  return m === null ? ERR_HANDLE : m.windowCount;
}

/** 1 when the model has trees (score works), 0 when not yet, or ERR_HANDLE. */
export function forest_is_fitted(h: i32): i32 {
  const m = lookup(h);
  return m === null ? ERR_HANDLE : m.built;
}

/** Deepest leaf depth over the model's trees (bounded by ceil(log2 psi)), or ERR_HANDLE. */
export function forest_max_depth(h: i32): i32 {
  const m = lookup(h);
  return m === null ? ERR_HANDLE : m.maxDepth;
}

/** Live models in this instance. */
export function forest_count(): i32 {
  return liveModels();
}

/** Linear memory size in bytes (as f64: 4 GiB does not fit an i32). */
export function memory_bytes(): f64 {
  return <f64>memoryEnd();
}

/** c(n), the average path length the score is normalised by (exported for tests). */
export function avg_path_length(n: i32): f64 {
  return avgPathLength(n);
}
