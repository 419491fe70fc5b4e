// Snapshot and restore of a model: everything that decides its future scores and updates (trees,
// per-tree sample boxes and 1/c(psi_t), the window, the rebuild schedule, the RNG state, the
// feature permutation the splits draw from, flags) in a versioned little-endian byte format with a
// CRC-32 (IEEE) trailer. A restored model scores, updates and snapshots bit-identically to the
// original. The byte layout is documented in docs/kernel.md ("Snapshot format"); its constants are
// generated from abi.json into abi.ts.
//
//   header (SNAP_HEADER_BYTES)   magic, format and ABI versions, total length, parameters, counters, flags
//   rng    (SNAP_RNG_BYTES)      xoshiro256** state s0..s3 (u64)
//   feat   i32[dims]            the feature permutation, zero-padded to a multiple of 8 bytes
//   when built:
//     counts u32[trees]         nodes in use per tree (odd, 1 .. 2 psi - 1)
//     depths i32[trees]         deepest leaf per tree (the walk's step count)
//     invC   f64[trees]         1 / c(psi_t) per tree (0 for a one-point tree)
//     boxes  f64[trees*dims*2]  [min, max] per feature per tree
//     nodes  16 B per node, tree after tree, in memory order:
//              internal [f64 split][i32 feature][i32 left child index]
//              leaf     [f64 leaf value][i32 -1][i32 0]
//   window f64[count*dims]       the ring buffer's slots 0 .. count-1 (head says where the next row goes)
//   crc    u32                   CRC-32 of every byte before it
//
// Only the nodes a tree uses are written (a tree's nodes are [0, count): children are allocated in
// pairs as it grows), and a leaf's value travels in its split slot, so the format is canonical: the
// same model state always gives the same bytes, whatever stale data unused memory holds.

import { allocBytes, freeBytes } from './alloc';
import {
  ABI_VERSION, ERR_LIMIT, ERR_NOMEM, ERR_SNAPSHOT, ERR_SNAPSHOT_VERSION, SNAP_FLAG_BUILT, SNAP_FLAG_RANGE_AWARE,
  SNAP_FORMAT_VERSION, SNAP_HEADER_BYTES, SNAP_LEAF_FEATURE, SNAP_MAGIC, SNAP_NODE_BYTES, SNAP_OFF_ABI_VERSION,
  SNAP_OFF_DIMS, SNAP_OFF_FLAGS, SNAP_OFF_FORMAT_VERSION, SNAP_OFF_HEADER_BYTES, SNAP_OFF_MAGIC, SNAP_OFF_MAX_DEPTH,
  SNAP_OFF_NEXT_TREE, SNAP_OFF_PSI, SNAP_OFF_RESERVED, SNAP_OFF_SINCE_REBUILD, SNAP_OFF_TOTAL_BYTES,
  SNAP_OFF_TOTAL_NODES, SNAP_OFF_TREES, SNAP_OFF_WINDOW_CAP, SNAP_OFF_WINDOW_COUNT, SNAP_OFF_WINDOW_HEAD,
  SNAP_RNG_BYTES, SNAP_TRAILER_BYTES,
} from './abi';
import { RA_MAX_DIMS, ensureRangeScratch } from './forest';
import {
  MAX_DIMS, MAX_PSI, MAX_TREES, MAX_WINDOW, Model, NODE_BYTES, allocWindow, newModel, register, releaseModel,
} from './model';
import { heightLimit } from './pathlen';

// ---- CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320: zlib's, Go's hash/crc32.ChecksumIEEE) ----

const crcTable: usize = memory.data(256 * 4);
let crcReady = false;

/** CRC-32 of the n bytes at p. */
export function crc32(p: usize, n: usize): u32 {
  if (!crcReady) {
    for (let i: u32 = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xedb88320 ^ (c >> 1) : c >> 1;
      store<u32>(crcTable + (<usize>i << 2), c);
    }
    crcReady = true;
  }
  let c: u32 = 0xffffffff;
  for (let i: usize = 0; i < n; i++) {
    c = load<u32>(crcTable + (<usize>((c ^ <u32>load<u8>(p + i)) & 0xff) << 2)) ^ (c >> 8);
  }
  return ~c;
}

// ---- sizes ----

@inline function pad8(x: u64): u64 {
  return (x + 7) & ~(<u64>7);
}

/** Nodes in use by tree t: indices [0, count), found by following the children (O(count)). */
function treeNodeCount(m: Model, t: i32): i32 {
  const tree = m.nodes + <usize>t * <usize>m.stride * NODE_BYTES;
  let end = 1;
  for (let i = 0; i < end; i++) {
    const p = tree + <usize>i * NODE_BYTES;
    if (load<f64>(p) != Infinity) {
      const e = load<i32>(p, 12) + 2;
      if (e > end) end = e;
    }
  }
  return end;
}

/** Bytes of everything but the nodes, for these parameters. */
function fixedBytes(trees: i32, dims: i32, built: bool, windowCount: i32): u64 {
  let size = <u64>SNAP_HEADER_BYTES + <u64>SNAP_RNG_BYTES + pad8(<u64>dims << 2);
  if (built) size += <u64>trees * (16 + (<u64>dims << 4));
  size += (<u64>windowCount * <u64>dims << 3) + <u64>SNAP_TRAILER_BYTES;
  return size;
}

function totalNodes(m: Model): u64 {
  if (m.built == 0) return 0;
  let n: u64 = 0;
  for (let t = 0; t < m.trees; t++) n += <u64>treeNodeCount(m, t);
  return n;
}

/** Size in bytes of m's snapshot. */
export function snapshotSize(m: Model): u64 {
  return fixedBytes(m.trees, m.dims, m.built != 0, m.windowCount) + totalNodes(m) * <u64>SNAP_NODE_BYTES;
}

// ---- writing ----

/** Writes m's snapshot (size bytes, from snapshotSize) at out. Reads the model only. */
export function writeSnapshot(m: Model, out: usize, size: u64): void {
  const trees = m.trees, dims = m.dims;
  const built = m.built != 0;
  memory.fill(out, 0, SNAP_HEADER_BYTES);
  store<u32>(out + SNAP_OFF_MAGIC, SNAP_MAGIC);
  store<u16>(out + SNAP_OFF_FORMAT_VERSION, <u16>SNAP_FORMAT_VERSION);
  store<u16>(out + SNAP_OFF_ABI_VERSION, <u16>ABI_VERSION);
  store<u32>(out + SNAP_OFF_TOTAL_BYTES, <u32>size);
  store<u32>(out + SNAP_OFF_HEADER_BYTES, <u32>SNAP_HEADER_BYTES);
  store<i32>(out + SNAP_OFF_TREES, trees);
  store<i32>(out + SNAP_OFF_PSI, m.psi);
  store<i32>(out + SNAP_OFF_DIMS, dims);
  store<i32>(out + SNAP_OFF_WINDOW_CAP, m.windowCap);
  store<i32>(out + SNAP_OFF_WINDOW_COUNT, m.windowCount);
  store<i32>(out + SNAP_OFF_WINDOW_HEAD, m.windowHead);
  store<i32>(out + SNAP_OFF_SINCE_REBUILD, m.sinceRebuild);
  store<i32>(out + SNAP_OFF_NEXT_TREE, m.nextTree);
  store<i32>(out + SNAP_OFF_MAX_DEPTH, m.maxDepth);
  store<u32>(out + SNAP_OFF_FLAGS, (built ? SNAP_FLAG_BUILT : 0) | (m.rangeAware != 0 ? SNAP_FLAG_RANGE_AWARE : 0));
  store<u32>(out + SNAP_OFF_TOTAL_NODES, <u32>totalNodes(m));
  store<u32>(out + SNAP_OFF_RESERVED, 0);
  let p = out + SNAP_HEADER_BYTES;
  memory.copy(p, changetype<usize>(m), SNAP_RNG_BYTES); // rng0..rng3 lead the record
  p += SNAP_RNG_BYTES;
  const featBytes = <usize>pad8(<u64>dims << 2);
  memory.fill(p, 0, featBytes);
  memory.copy(p, m.feat, <usize>dims << 2);
  p += featBytes;
  if (built) {
    const counts = p, depths = p + (<usize>trees << 2);
    memory.copy(depths, m.depths, <usize>trees << 2);
    p = depths + (<usize>trees << 2);
    memory.copy(p, m.invC, <usize>trees << 3);
    p += <usize>trees << 3;
    memory.copy(p, m.boxes, <usize>trees * <usize>dims << 4);
    p += <usize>trees * <usize>dims << 4;
    for (let t = 0; t < trees; t++) {
      const count = treeNodeCount(m, t);
      store<u32>(counts + (<usize>t << 2), <u32>count);
      const tree = m.nodes + <usize>t * <usize>m.stride * NODE_BYTES;
      const leaves = m.leaves + (<usize>t * <usize>m.stride << 3);
      for (let i = 0; i < count; i++) {
        const node = tree + <usize>i * NODE_BYTES;
        const split = load<f64>(node);
        if (split == Infinity) {
          store<f64>(p, load<f64>(leaves + (<usize>i << 3)));
          store<i32>(p, SNAP_LEAF_FEATURE, 8);
          store<i32>(p, 0, 12);
        } else {
          store<f64>(p, split);
          store<i32>(p, load<i32>(node, 8), 8);
          store<i32>(p, load<i32>(node, 12), 12);
        }
        p += SNAP_NODE_BYTES;
      }
    }
  }
  const windowBytes = <usize>m.windowCount * <usize>dims << 3;
  if (windowBytes > 0) memory.copy(p, m.window, windowBytes);
  p += windowBytes;
  store<u32>(p, crc32(out, p - out));
}

// ---- validation ----

@inline function finite(x: f64): bool {
  return x - x == 0; // false for NaN and +-Infinity
}

// state of the tree check (module globals, like the builder's, so the recursion stays cheap)
let vNodes: usize = 0; // the tree's first node in the snapshot
let vCount: i32 = 0;
let vNext: i32 = 0; // next child pair the builder would have allocated
let vDims: i32 = 0;
let vLimit: i32 = 0;
let vDeepest: i32 = 0;

/**
 * True when node i (at depth) and its subtree are what the builder writes: an internal node has a
 * feature in [0, dims), a finite split, depth below the height limit, and its children are the
 * next pair in allocation order (pre-order, pairs from index 1); a leaf has feature -1, child 0 and
 * a finite value >= 0. Recursion depth is bounded by the height limit (at most 25).
 */
function checkNode(i: i32, depth: i32): bool {
  const p = vNodes + <usize>i * SNAP_NODE_BYTES;
  const v = load<f64>(p);
  const f = load<i32>(p, 8);
  const c = load<i32>(p, 12);
  if (f == SNAP_LEAF_FEATURE) {
    if (c != 0 || !finite(v) || v < 0) return false;
    if (depth > vDeepest) vDeepest = depth;
    return true;
  }
  if (f < 0 || f >= vDims || !finite(v) || depth >= vLimit || c != vNext || c > vCount - 2) return false;
  vNext += 2;
  return checkNode(c, depth + 1) && checkNode(c + 1, depth + 1);
}

/** True when the n i32 at p are a permutation of [0, n) (uses n bytes of scratch); -1 when out of memory. */
function isPermutation(p: usize, n: i32): i32 {
  const seen = allocBytes(<u64>n);
  if (seen == 0) return -1;
  memory.fill(seen, 0, <usize>n);
  let ok = 1;
  for (let i = 0; i < n; i++) {
    const v = load<i32>(p + (<usize>i << 2));
    if (v < 0 || v >= n || load<u8>(seen + <usize>v) != 0) {
      ok = 0;
      break;
    }
    store<u8>(seen + <usize>v, 1);
  }
  freeBytes(seen);
  return ok;
}

// ---- restoring ----

/**
 * Restores a model from the len bytes at src (bounds already checked): a new handle, or
 * ERR_SNAPSHOT / ERR_SNAPSHOT_VERSION / ERR_NOMEM / ERR_LIMIT. Every field is validated before
 * anything is allocated for the model, so a failed restore leaves the instance as it was.
 */
export function restoreSnapshot(src: usize, len: i32): i32 {
  const n = <u64>len;
  if (n < 8 || load<u32>(src + SNAP_OFF_MAGIC) != SNAP_MAGIC) return ERR_SNAPSHOT;
  if (<i32>load<u16>(src + SNAP_OFF_FORMAT_VERSION) != SNAP_FORMAT_VERSION || <i32>load<u16>(src + SNAP_OFF_ABI_VERSION) != ABI_VERSION) {
    return ERR_SNAPSHOT_VERSION;
  }
  if (n < <u64>SNAP_HEADER_BYTES + <u64>SNAP_RNG_BYTES + 8 + <u64>SNAP_TRAILER_BYTES) return ERR_SNAPSHOT;
  if (<u64>load<u32>(src + SNAP_OFF_TOTAL_BYTES) != n || load<u32>(src + SNAP_OFF_HEADER_BYTES) != <u32>SNAP_HEADER_BYTES) return ERR_SNAPSHOT;
  if (crc32(src, <usize>(n - SNAP_TRAILER_BYTES)) != load<u32>(src + <usize>(n - SNAP_TRAILER_BYTES))) return ERR_SNAPSHOT;

  const trees = load<i32>(src + SNAP_OFF_TREES);
  const psi = load<i32>(src + SNAP_OFF_PSI);
  const dims = load<i32>(src + SNAP_OFF_DIMS);
  const cap = load<i32>(src + SNAP_OFF_WINDOW_CAP);
  const count = load<i32>(src + SNAP_OFF_WINDOW_COUNT);
  const head = load<i32>(src + SNAP_OFF_WINDOW_HEAD);
  const sinceRebuild = load<i32>(src + SNAP_OFF_SINCE_REBUILD);
  const nextTree = load<i32>(src + SNAP_OFF_NEXT_TREE);
  const maxDepth = load<i32>(src + SNAP_OFF_MAX_DEPTH);
  const flags = load<u32>(src + SNAP_OFF_FLAGS);
  const nodes = load<u32>(src + SNAP_OFF_TOTAL_NODES);
  const built = (flags & SNAP_FLAG_BUILT) != 0;
  const rangeAware = (flags & SNAP_FLAG_RANGE_AWARE) != 0;
  if (trees < 1 || trees > MAX_TREES || psi < 1 || psi > MAX_PSI || dims < 1 || dims > MAX_DIMS) return ERR_SNAPSHOT;
  if (cap < 1 || cap > MAX_WINDOW || count < 0 || count > cap || head < 0 || head >= cap || (count < cap && head != count)) return ERR_SNAPSHOT;
  const limit = heightLimit(psi);
  if (sinceRebuild < 0 || nextTree < 0 || nextTree >= trees || maxDepth < 0 || maxDepth > limit) return ERR_SNAPSHOT;
  if ((flags & ~(SNAP_FLAG_BUILT | SNAP_FLAG_RANGE_AWARE)) != 0 || (rangeAware && dims > RA_MAX_DIMS)) return ERR_SNAPSHOT;
  if (load<u32>(src + SNAP_OFF_RESERVED) != 0) return ERR_SNAPSHOT;
  const stride = 2 * psi - 1;
  if (built ? <u64>nodes < <u64>trees || <u64>nodes > <u64>trees * <u64>stride : nodes != 0) return ERR_SNAPSHOT;
  if (fixedBytes(trees, dims, built, count) + <u64>nodes * <u64>SNAP_NODE_BYTES != n) return ERR_SNAPSHOT;

  // the sizes add up: every offset below lies inside [src, src + len)
  let p = src + SNAP_HEADER_BYTES;
  const rng = p;
  if ((load<u64>(rng) | load<u64>(rng, 8) | load<u64>(rng, 16) | load<u64>(rng, 24)) == 0) return ERR_SNAPSHOT; // xoshiro's dead state
  p += SNAP_RNG_BYTES;
  const feat = p;
  const featBytes = <usize>pad8(<u64>dims << 2);
  for (let b = <usize>dims << 2; b < featBytes; b++) if (load<u8>(feat + b) != 0) return ERR_SNAPSHOT;
  const perm = isPermutation(feat, dims);
  if (perm < 0) return ERR_NOMEM;
  if (perm == 0) return ERR_SNAPSHOT;
  p += featBytes;
  let counts: usize = 0, depths: usize = 0, invC: usize = 0, boxes: usize = 0, treeNodes: usize = 0;
  if (built) {
    counts = p;
    depths = counts + (<usize>trees << 2);
    invC = depths + (<usize>trees << 2);
    boxes = invC + (<usize>trees << 3);
    treeNodes = boxes + (<usize>trees * <usize>dims << 4);
    let sum: u64 = 0;
    let q = treeNodes;
    for (let t = 0; t < trees; t++) {
      const c = load<i32>(counts + (<usize>t << 2));
      const d = load<i32>(depths + (<usize>t << 2));
      const ic = load<f64>(invC + (<usize>t << 3));
      if (c < 1 || c > stride || (c & 1) == 0 || d < 0 || d > limit || !finite(ic) || ic < 0) return ERR_SNAPSHOT;
      sum += <u64>c;
      if (sum > <u64>nodes) return ERR_SNAPSHOT;
      for (let f = 0; f < dims; f++) {
        const b = boxes + ((<usize>t * <usize>dims + <usize>f) << 4);
        const lo = load<f64>(b), hi = load<f64>(b, 8);
        if (!finite(lo) || !finite(hi) || lo > hi) return ERR_SNAPSHOT;
      }
      vNodes = q;
      vCount = c;
      vNext = 1;
      vDims = dims;
      vLimit = limit;
      vDeepest = 0;
      if (!checkNode(0, 0) || vNext != c || vDeepest != d) return ERR_SNAPSHOT;
      q += <usize>c * SNAP_NODE_BYTES;
    }
    if (sum != <u64>nodes) return ERR_SNAPSHOT;
    p = q;
  }
  const window = p;
  const values = <usize>count * <usize>dims;
  for (let i: usize = 0; i < values; i++) if (!finite(load<f64>(window + (i << 3)))) return ERR_SNAPSHOT;

  // valid: build the model
  const m = newModel(trees, psi, dims);
  if (m === null) return ERR_NOMEM;
  m.windowCap = cap;
  if (count > 0 && !allocWindow(m) || rangeAware && !ensureRangeScratch()) {
    releaseModel(m);
    return ERR_NOMEM;
  }
  memory.copy(changetype<usize>(m), rng, SNAP_RNG_BYTES);
  memory.copy(m.feat, feat, <usize>dims << 2);
  if (built) {
    memory.copy(m.depths, depths, <usize>trees << 2);
    memory.copy(m.invC, invC, <usize>trees << 3);
    memory.copy(m.boxes, boxes, <usize>trees * <usize>dims << 4);
    let q = treeNodes;
    for (let t = 0; t < trees; t++) {
      const c = load<i32>(counts + (<usize>t << 2));
      const tree = m.nodes + <usize>t * <usize>stride * NODE_BYTES;
      const leaves = m.leaves + (<usize>t * <usize>stride << 3);
      for (let i = 0; i < c; i++) {
        const node = tree + <usize>i * NODE_BYTES;
        const v = load<f64>(q);
        if (load<i32>(q, 8) == SNAP_LEAF_FEATURE) {
          store<f64>(node, Infinity);
          store<i32>(node, 0, 8);
          store<i32>(node, i, 12);
          store<f64>(leaves + (<usize>i << 3), v);
        } else {
          store<f64>(node, v);
          store<i32>(node, load<i32>(q, 8), 8);
          store<i32>(node, load<i32>(q, 12), 12);
          store<f64>(leaves + (<usize>i << 3), 0);
        }
        q += SNAP_NODE_BYTES;
      }
    }
  }
  if (count > 0) memory.copy(m.window, window, values << 3);
  m.windowCount = count;
  m.windowHead = head;
  m.sinceRebuild = sinceRebuild;
  m.nextTree = nextTree;
  m.maxDepth = maxDepth;
  m.built = built ? 1 : 0;
  m.rangeAware = rangeAware ? 1 : 0;
  m.iboxStale = 1;
  const h = register(m);
  if (h < 0) {
    releaseModel(m);
    return ERR_LIMIT;
  }
  return h;
}
