// The model record and the handle table. A model is a plain struct in linear memory
// (allocated by alloc.ts, never by a managed runtime); hosts refer to it by an i32 handle
// = slot index (low 20 bits) | generation (next 11 bits), so a freed handle stays invalid
// even after its slot is reused.

import { allocBytes, freeBytes } from './alloc';

/** Bytes per tree node: [f64 value][i32 feature][i32 child]. See forest.ts. */
export const NODE_BYTES: usize = 16;

// parameter limits (ERR_PARAM outside them from forest_new / forest_set_window, ERR_SNAPSHOT in a snapshot)
export const MAX_TREES: i32 = 100_000;
export const MAX_PSI: i32 = 1 << 24;
export const MAX_DIMS: i32 = 1 << 16;
export const MAX_WINDOW: i32 = 1 << 26;

@unmanaged
export class Model {
  rng0: u64; // xoshiro256** state (4 words), first so its address is the record's
  rng1: u64;
  rng2: u64;
  rng3: u64;
  trees: i32;
  psi: i32; // requested sub-sample size; each tree uses min(psi, points available)
  dims: i32;
  stride: i32; // nodes reserved per tree: 2*psi - 1 (a binary tree over psi points)
  nodes: usize; // trees * stride nodes of NODE_BYTES
  leaves: usize; // f64[trees * stride]: normalised path length of each leaf node
  depths: usize; // i32[trees]: deepest leaf of each tree (the walk's fixed step count)
  feat: usize; // i32[dims]: feature permutation drawn from at each split
  built: i32; // 1 once every tree has been built
  maxDepth: i32; // deepest leaf of the trees built so far (for tests of the height limit)
  // streaming window: ring buffer of windowCap rows, allocated on first fit/update
  windowCap: i32;
  windowCount: i32;
  windowHead: i32; // slot the next row is written to
  sinceRebuild: i32; // rows added since the last tree rebuild
  nextTree: i32; // oldest tree, rebuilt next
  window: usize; // f64[windowCap * dims]
  windowIdx: usize; // u32[windowCap]: sampling scratch
  // range-aware scoring (extension, forest_set_range_aware): the bounding box of each tree's
  // sub-sample, and their intersection (a row inside it is inside every tree's box)
  boxes: usize; // f64[trees * dims * 2]: [min, max] per dim per tree
  invC: usize; // f64[trees]: 1 / c(psi_t) of each tree (0 for a one-point tree)
  ibox: usize; // f64[dims * 2]: intersection of the built trees' boxes
  iboxStale: i32; // 1 when a tree was rebuilt since ibox was computed
  rangeAware: i32; // 1: score with the range-aware path length (forest.ts)
}

/**
 * Allocates a model record and its tree arrays for `trees` trees of up to `psi` points over `dims`
 * features (parameters already validated): zeroed fields, identity feature permutation, no window
 * yet (windowCap 0), RNG unseeded. null when out of memory (nothing is left allocated).
 */
export function newModel(trees: i32, psi: i32, dims: i32): Model | null {
  const stride = 2 * psi - 1;
  const m = changetype<Model>(allocBytes(offsetof<Model>()));
  if (changetype<usize>(m) == 0) return null;
  memory.fill(changetype<usize>(m), 0, offsetof<Model>());
  m.nodes = allocBytes(<u64>trees * <u64>stride * <u64>NODE_BYTES);
  m.leaves = allocBytes(<u64>trees * <u64>stride << 3);
  m.depths = allocBytes(<u64>trees << 2);
  m.feat = allocBytes(<u64>dims << 2);
  m.boxes = allocBytes(<u64>trees * <u64>dims << 4);
  m.invC = allocBytes(<u64>trees << 3);
  m.ibox = allocBytes(<u64>dims << 4);
  if (m.nodes == 0 || m.leaves == 0 || m.depths == 0 || m.feat == 0 || m.boxes == 0 || m.invC == 0 || m.ibox == 0) {
    releaseModel(m);
    return null;
  }
  m.trees = trees;
  m.psi = psi;
  m.dims = dims;
  m.stride = stride;
  for (let i = 0; i < dims; i++) store<i32>(m.feat + (<usize>i << 2), i);
  return m;
}

/** Frees a model record and every array it owns (fields that are 0 are skipped). */
export function releaseModel(m: Model): void {
  freeBytes(m.nodes);
  freeBytes(m.leaves);
  freeBytes(m.depths);
  freeBytes(m.feat);
  freeBytes(m.boxes);
  freeBytes(m.invC);
  freeBytes(m.ibox);
  freeBytes(m.window);
  freeBytes(m.windowIdx);
  freeBytes(changetype<usize>(m));
}

/** Allocates the window ring buffer (windowCap rows) and its sampling scratch, empty; false when out of memory. */
export function allocWindow(m: Model): bool {
  const w = allocBytes(<u64>m.windowCap * <u64>m.dims << 3);
  const wi = allocBytes(<u64>m.windowCap << 2);
  if (w == 0 || wi == 0) {
    freeBytes(w);
    freeBytes(wi);
    return false;
  }
  m.window = w;
  m.windowIdx = wi;
  m.windowCount = 0;
  m.windowHead = 0;
  return true;
}

const SLOT_BITS: i32 = 20;
export const MAX_MODELS: i32 = 1 << SLOT_BITS;
const GEN_MASK: u32 = 0x7ff;
const ENTRY: usize = 12; // [u32 model ptr][u32 generation][u32 next free slot + 1]

let table: usize = 0;
let tableCap: i32 = 0;
let tableUsed: i32 = 0; // slots handed out at least once
let freeHead: i32 = -1; // first reusable slot
let live: i32 = 0;

export function liveModels(): i32 {
  return live;
}

export function lookup(h: i32): Model | null {
  if (h < 0) return null;
  const slot = h & (MAX_MODELS - 1);
  if (slot >= tableUsed) return null;
  const e = table + <usize>slot * ENTRY;
  const ptr = load<u32>(e);
  if (ptr == 0 || load<u32>(e, 4) != (<u32>h >> SLOT_BITS)) return null;
  return changetype<Model>(<usize>ptr);
}

/** Registers a model and returns its handle, or -1 when the table is full or cannot grow. */
export function register(m: Model): i32 {
  let slot: i32;
  if (freeHead >= 0) {
    slot = freeHead;
    freeHead = <i32>load<u32>(table + <usize>slot * ENTRY, 8) - 1;
  } else {
    if (tableUsed == MAX_MODELS) return -1;
    if (tableUsed == tableCap) {
      const cap = tableCap == 0 ? 64 : tableCap * 2;
      const t = allocBytes(<u64>cap * ENTRY);
      if (t == 0) return -1;
      if (table != 0) {
        memory.copy(t, table, <usize>tableCap * ENTRY);
        freeBytes(table);
      }
      table = t;
      tableCap = cap;
    }
    slot = tableUsed++;
    store<u32>(table + <usize>slot * ENTRY, 0, 4);
  }
  const e = table + <usize>slot * ENTRY;
  store<u32>(e, <u32>changetype<usize>(m));
  live++;
  return slot | <i32>(load<u32>(e, 4) << SLOT_BITS);
}

/** Removes a handle from the table; returns the model it named, or null. */
export function unregister(h: i32): Model | null {
  const m = lookup(h);
  if (m === null) return null;
  const slot = h & (MAX_MODELS - 1);
  const e = table + <usize>slot * ENTRY;
  store<u32>(e, 0);
  store<u32>(e, (load<u32>(e, 4) + 1) & GEN_MASK, 4);
  store<u32>(e, <u32>(freeHead + 1), 8);
  freeHead = slot;
  live--;
  return m;
}
