// Isolation forest (Liu, Ting & Zhou 2008) with the paper's and scikit-learn's semantics:
// each tree is grown on a sub-sample of psi points drawn without replacement; at each node a
// random feature that is not constant within the node is chosen (a node whose features are all
// constant becomes a leaf) and split at a value uniform in [min, max); growth stops at
// ceil(log2 psi) or at one point. Path length h(x) = depth of the leaf + c(leaf size), and
// s(x) = 2^(-E[h(x)] / c(psi)).
//
// Trees are flat arrays of 16-byte nodes: [f64 split value][i32 feature][i32 child], plus a
// parallel f64 array of leaf values and the depth of each tree's deepest leaf.
//   internal node: split value, feature, child = index of the left child; the right child is
//                  child + 1 (x[feature] <= value goes left, as in scikit-learn).
//   leaf:          value = +Infinity, feature = 0, child = its own index, so one more step of a
//                  walk stays on the leaf. Scoring therefore walks every tree for exactly its
//                  depth with no data-dependent branch and interleaves 8 rows (independent
//                  load chains), then adds the leaf value (depth + c(size)) / c(psi_t), the
//                  leaf's normalised path length precomputed at build time. (psi_t = points the
//                  tree was grown on; when c(psi_t) = 0, i.e. one point, the value is 1 as in
//                  scikit-learn.)

import { allocBytes, freeBytes } from './alloc';
import { Model, NODE_BYTES } from './model';
import { rngBelow, rngUniform } from './rng';
import { avgPathLength, heightLimit } from './pathlen';

// build context (module globals: the recursion stays cheap and allocation-free)
let bRows: usize = 0; // base of the rows the sample indices refer to
let bRowBytes: usize = 0;
let bIdx: usize = 0; // u32 sample indices, partitioned in place
let bTree: usize = 0; // first node of the tree being built
let bLeaves: usize = 0; // its leaf values
let bNext: i32 = 0; // next free node
let bLimit: i32 = 0;
let bInvC: f64 = 0; // 1 / c(psi_t), 0 when c(psi_t) = 0
let bFeat: usize = 0;
let bDims: i32 = 0;
let bRng: usize = 0;
let bMaxDepth: i32 = 0; // deepest leaf of the tree being built

// the sample being grown, copied out of the caller's index array so that partitioning (which
// reorders it) never changes what later trees sample; shared by all models (calls never overlap)
let sampleScratch: usize = 0;
let sampleScratchLen: i32 = 0;

/** Makes room to grow a tree on psi samples; false when out of memory. */
export function ensureSampleScratch(psi: i32): bool {
  if (!ensurePathTable(psi)) return false;
  if (psi <= sampleScratchLen) return true;
  const p = allocBytes(<u64>psi << 2);
  if (p == 0) return false;
  freeBytes(sampleScratch);
  sampleScratch = p;
  sampleScratchLen = psi;
  return true;
}

@inline function sampleValue(i: i32, f: i32): f64 {
  return load<f64>(bRows + <usize>load<u32>(bIdx + (<usize>i << 2)) * bRowBytes + (<usize>f << 3));
}

// c(0..cTableLen-1), filled once per instance and grown on demand, so a leaf costs a load instead
// of a log (same values, so the same bits)
let cTable: usize = 0;
let cTableLen: i32 = 0;

/** Makes c(n) available for n <= psi; false when out of memory. */
export function ensurePathTable(psi: i32): bool {
  if (psi < cTableLen) return true;
  const len = psi + 1;
  const t = allocBytes(<u64>len << 3);
  if (t == 0) return false;
  for (let n = 0; n < len; n++) store<f64>(t + (<usize>n << 3), avgPathLength(n));
  freeBytes(cTable);
  cTable = t;
  cTableLen = len;
  return true;
}

function makeLeaf(node: i32, size: i32, depth: i32): void {
  const p = bTree + <usize>node * NODE_BYTES;
  store<f64>(p, Infinity);
  store<i32>(p, 0, 8);
  store<i32>(p, node, 12);
  const c = load<f64>(cTable + (<usize>size << 3));
  store<f64>(bLeaves + (<usize>node << 3), bInvC > 0 ? (<f64>depth + c) * bInvC : 1.0);
  if (depth > bMaxDepth) bMaxDepth = depth;
}

function buildNode(node: i32, lo: i32, hi: i32, depth: i32): void {
  const size = hi - lo;
  if (depth >= bLimit || size <= 1) {
    makeLeaf(node, size, depth);
    return;
  }
  // draw features without replacement until one is not constant in this node
  let f: i32 = -1;
  let mn: f64 = 0, mx: f64 = 0;
  for (let k = 0; k < bDims; k++) {
    const j = k + <i32>rngBelow(bRng, <u32>(bDims - k));
    const pk = bFeat + (<usize>k << 2), pj = bFeat + (<usize>j << 2);
    const cand = load<i32>(pj);
    store<i32>(pj, load<i32>(pk));
    store<i32>(pk, cand);
    mn = sampleValue(lo, cand);
    mx = mn;
    for (let i = lo + 1; i < hi; i++) {
      const x = sampleValue(i, cand);
      if (x < mn) mn = x;
      if (x > mx) mx = x;
    }
    if (mx > mn) {
      f = cand;
      break;
    }
  }
  if (f < 0) {
    makeLeaf(node, size, depth);
    return;
  }
  let split = mn + rngUniform(bRng) * (mx - mn);
  if (!(split < mx) || split < mn) split = mn; // rounding up to max (or overflow) would empty the right side
  // partition (branch-free Lomuto: the side each sample goes to is unpredictable, so a branch
  // per sample would mostly mispredict): afterwards [lo, i) has x <= split and [i, hi) has x > split,
  // both non-empty. Only membership matters to the tree, not the order within each side.
  let i = lo;
  for (let j = lo; j < hi; j++) {
    const pj = bIdx + (<usize>j << 2), pi = bIdx + (<usize>i << 2);
    const t = load<u32>(pj);
    const goesLeft = <i32>(load<f64>(bRows + <usize>t * bRowBytes + (<usize>f << 3)) <= split);
    store<u32>(pj, load<u32>(pi));
    store<u32>(pi, t);
    i += goesLeft;
  }
  const left = bNext;
  bNext += 2;
  const p = bTree + <usize>node * NODE_BYTES;
  store<f64>(p, split);
  store<i32>(p, f, 8);
  store<i32>(p, left, 12);
  buildNode(left, lo, i, depth + 1);
  buildNode(left + 1, i, hi, depth + 1);
}

/** Grows tree t of m on the first `psi` indices at idx (row indices into rows); needs ensureSampleScratch(psi). */
export function buildTree(m: Model, t: i32, rows: usize, idx: usize, psi: i32): void {
  memory.copy(sampleScratch, idx, <usize>psi << 2);
  bRows = rows;
  bRowBytes = <usize>m.dims << 3;
  bIdx = sampleScratch;
  bTree = m.nodes + <usize>t * <usize>m.stride * NODE_BYTES;
  bLeaves = m.leaves + (<usize>t * <usize>m.stride << 3);
  bNext = 1;
  bLimit = heightLimit(psi);
  const c = avgPathLength(psi);
  bInvC = c > 0 ? 1.0 / c : 0.0;
  bFeat = m.feat;
  bDims = m.dims;
  bRng = changetype<usize>(m);
  bMaxDepth = 0;
  buildNode(0, 0, psi, 0);
  store<i32>(m.depths + (<usize>t << 2), bMaxDepth);
  store<f64>(m.invC + (<usize>t << 3), bInvC);
  recordBox(m, t, rows, idx, psi);
  if (bMaxDepth > m.maxDepth) m.maxDepth = bMaxDepth;
}

/** Stores the bounding box of tree t's sample (the first psi indices at idx) for range-aware scoring. */
function recordBox(m: Model, t: i32, rows: usize, idx: usize, psi: i32): void {
  const rowBytes = <usize>m.dims << 3;
  const box = m.boxes + (<usize>t * <usize>m.dims << 4);
  for (let f = 0; f < m.dims; f++) {
    let mn = Infinity, mx = -Infinity;
    for (let i = 0; i < psi; i++) {
      const x = load<f64>(rows + <usize>load<u32>(idx + (<usize>i << 2)) * rowBytes + (<usize>f << 3));
      if (x < mn) mn = x;
      if (x > mx) mx = x;
    }
    store<f64>(box + (<usize>f << 4), mn);
    store<f64>(box + (<usize>f << 4), mx, 8);
  }
  m.iboxStale = 1;
}

/** Partial Fisher-Yates: moves a uniform sample of k of the n indices at idx to its front. */
export function drawSample(m: Model, idx: usize, n: i32, k: i32): void {
  const rng = changetype<usize>(m);
  for (let i = 0; i < k; i++) {
    const j = i + <i32>rngBelow(rng, <u32>(n - i));
    const pi = idx + (<usize>i << 2), pj = idx + (<usize>j << 2);
    const t = load<u32>(pi);
    store<u32>(pi, load<u32>(pj));
    store<u32>(pj, t);
  }
}

/** Grows every tree of m on n rows at `rows`; returns false when scratch memory is exhausted. */
export function fitRows(m: Model, rows: usize, n: i32): bool {
  const psi = n < m.psi ? n : m.psi;
  if (!ensureSampleScratch(psi)) return false;
  const idx = allocBytes(<u64>n << 2);
  if (idx == 0) return false;
  for (let i = 0; i < n; i++) store<u32>(idx + (<usize>i << 2), <u32>i);
  m.maxDepth = 0;
  // the index array stays a permutation of [0, n) (only sampling swaps it; trees are grown on a
  // copy), so each tree can draw from it without re-initialising it
  for (let t = 0; t < m.trees; t++) {
    drawSample(m, idx, n, psi);
    buildTree(m, t, rows, idx, psi);
  }
  freeBytes(idx);
  m.built = 1;
  return true;
}

/** Re-grows tree t from a fresh sub-sample of the window; needs ensureSampleScratch(min(psi, window)). */
export function rebuildFromWindow(m: Model, t: i32): void {
  const n = m.windowCount; // slots [0, n) are filled while the window is not yet full
  const idx = m.windowIdx;
  for (let i = 0; i < n; i++) store<u32>(idx + (<usize>i << 2), <u32>i);
  const psi = n < m.psi ? n : m.psi;
  drawSample(m, idx, n, psi);
  buildTree(m, t, m.window, idx, psi);
}

// rows scored per block: the block's rows stay in cache while every tree walks them
const BLOCK: i32 = 256;

/** One step of a walk: node byte offset -> child byte offset (a leaf maps to itself). */
@inline function step(tree: usize, p: usize, row: usize): usize {
  const n = tree + p;
  const go = <i32>(load<f64>(row + (<usize>load<i32>(n, 8) << 3)) > load<f64>(n));
  return <usize>(load<i32>(n, 12) + go) << 4;
}

/** Writes s(x) for n rows at `rows` to out (n f64). The model must be built. */
export function scoreRows(m: Model, rows: usize, n: i32, out: usize): void {
  const rowBytes = <usize>m.dims << 3;
  const treeBytes = <usize>m.stride * NODE_BYTES;
  const trees = m.trees;
  const invT = 1.0 / <f64>trees;
  for (let b = 0; b < n; b += BLOCK) {
    const e = b + BLOCK < n ? b + BLOCK : n;
    for (let r = b; r < e; r++) store<f64>(out + (<usize>r << 3), 0.0);
    let tree = m.nodes;
    let leaves = m.leaves;
    for (let t = 0; t < trees; t++) {
      const depth = load<i32>(m.depths + (<usize>t << 2));
      let r = b;
      let row = rows + <usize>b * rowBytes;
      for (; r + 8 <= e; r += 8) {
        const x0 = row, x1 = x0 + rowBytes, x2 = x1 + rowBytes, x3 = x2 + rowBytes;
        const x4 = x3 + rowBytes, x5 = x4 + rowBytes, x6 = x5 + rowBytes, x7 = x6 + rowBytes;
        let p0: usize = 0, p1: usize = 0, p2: usize = 0, p3: usize = 0;
        let p4: usize = 0, p5: usize = 0, p6: usize = 0, p7: usize = 0;
        for (let d = 0; d < depth; d++) {
          p0 = step(tree, p0, x0);
          p1 = step(tree, p1, x1);
          p2 = step(tree, p2, x2);
          p3 = step(tree, p3, x3);
          p4 = step(tree, p4, x4);
          p5 = step(tree, p5, x5);
          p6 = step(tree, p6, x6);
          p7 = step(tree, p7, x7);
        }
        const o = out + (<usize>r << 3);
        store<f64>(o, load<f64>(o) + load<f64>(leaves + (p0 >> 1)));
        store<f64>(o, load<f64>(o, 8) + load<f64>(leaves + (p1 >> 1)), 8);
        store<f64>(o, load<f64>(o, 16) + load<f64>(leaves + (p2 >> 1)), 16);
        store<f64>(o, load<f64>(o, 24) + load<f64>(leaves + (p3 >> 1)), 24);
        store<f64>(o, load<f64>(o, 32) + load<f64>(leaves + (p4 >> 1)), 32);
        store<f64>(o, load<f64>(o, 40) + load<f64>(leaves + (p5 >> 1)), 40);
        store<f64>(o, load<f64>(o, 48) + load<f64>(leaves + (p6 >> 1)), 48);
        store<f64>(o, load<f64>(o, 56) + load<f64>(leaves + (p7 >> 1)), 56);
        row += rowBytes << 3;
      }
      for (; r < e; r++) {
        let p: usize = 0;
        for (let d = 0; d < depth; d++) p = step(tree, p, row);
        const o = out + (<usize>r << 3);
        store<f64>(o, load<f64>(o) + load<f64>(leaves + (p >> 1)));
        row += rowBytes;
      }
      tree += treeBytes;
      leaves += <usize>m.stride << 3;
    }
    if (m.rangeAware != 0) rangeAwareBlock(m, rows, b, e, out);
    for (let r = b; r < e; r++) {
      const o = out + (<usize>r << 3);
      store<f64>(o, Math.pow(2.0, -load<f64>(o) * invT));
    }
  }
}

// ---- range-aware scoring (extension) ----
//
// A split is drawn between the minimum and maximum of the node's sample, so a tree cannot tell a
// point just beyond its sample's range from one a thousand times further out: both end in the
// boundary leaf (and when a feature is constant in the sample, it is never split at all; when
// every feature is, the tree is a single leaf). This is why a constant series scores 0.5 for every
// value, a change from it included. Range-aware scoring asks instead, at every node on the point's
// path, the leaf where it ends included, what the split would have done had the point been part of
// the node's sample: a feature drawn among those the augmented sample does not hold constant, and a
// split uniform over the augmented range, lands between the point and the sample with probability
//   q = (1 / F) sum over features f of excess_f / (span_f + excess_f)
// (F = features with span_f > 0 or excess_f > 0; excess_f = how far x_f lies beyond the node's
// range in f, span_f = the range's width), and then the point is isolated one level below the
// node. The node's range is not stored; it lies within the tree's root box narrowed by the splits
// above the node (a point that went right at "x_f > v" has the node's samples above v in f), so
// that bound is used (it can only understate q). With q_k at the k-th internal node of the path
// and q_L at the leaf (depth L), the expected path length is
//   h' = sum_k (prod_{j<k} (1 - q_j)) q_k (k + 1)
//        + (prod_k (1 - q_k)) (q_L min(L + 1, h) + (1 - q_L) h),
// h being the walk's own path length (L + c(leaf size)). At the leaf the isolated length is
// min(L + 1, h) because a one-point leaf (h = L) has nothing left to split off. Every term is at
// most h, so the rule never lowers a score. A point inside a tree's box has every q = 0 and scores
// bit for bit as with the paper's rule. A point far beyond the box in every feature approaches
// h' = 1 (q -> 1 at the root; a tree that is one leaf gives h' = 1 for any point off its constant
// sample); far beyond in j of F varying features, q -> j/F at each node.

/** Largest feature count range-aware scoring tracks per node (the bounds live on the stack). */
export const RA_MAX_DIMS: i32 = 16;

/** Recomputes the intersection of the trees' boxes (a row inside it is inside every tree's box). */
function refreshIbox(m: Model): void {
  for (let f = 0; f < m.dims; f++) {
    let lo = -Infinity, hi = Infinity;
    for (let t = 0; t < m.trees; t++) {
      const box = m.boxes + ((<usize>t * <usize>m.dims + <usize>f) << 4);
      const a = load<f64>(box), z = load<f64>(box, 8);
      if (a > lo) lo = a;
      if (z < hi) hi = z;
    }
    store<f64>(m.ibox + (<usize>f << 4), lo);
    store<f64>(m.ibox + (<usize>f << 4), hi, 8);
  }
  m.iboxStale = 0;
}

/** Rows [b, e) that lie outside some tree's box get their summed path lengths recomputed. */
function rangeAwareBlock(m: Model, rows: usize, b: i32, e: i32, out: usize): void {
  if (m.iboxStale != 0) refreshIbox(m);
  const dims = m.dims;
  const rowBytes = <usize>dims << 3;
  for (let r = b; r < e; r++) {
    const row = rows + <usize>r * rowBytes;
    let inside = true;
    for (let f = 0; f < dims; f++) {
      const x = load<f64>(row + (<usize>f << 3));
      if (x < load<f64>(m.ibox + (<usize>f << 4)) || x > load<f64>(m.ibox + (<usize>f << 4), 8)) {
        inside = false;
        break;
      }
    }
    if (!inside) store<f64>(out + (<usize>r << 3), rangeAwareSum(m, row));
  }
}

/** q at the current node: the chance its split, drawn as if row were in its sample, isolates row. */
@inline function isolationChance(row: usize, dims: i32): f64 {
  let q: f64 = 0;
  let splittable: i32 = 0;
  for (let f = 0; f < dims; f++) {
    const x = load<f64>(row + (<usize>f << 3));
    const lo = load<f64>(raLo + (<usize>f << 3)), hi = load<f64>(raHi + (<usize>f << 3));
    const excess = x < lo ? lo - x : x > hi ? x - hi : 0.0;
    const span = hi - lo;
    if (span > 0 || excess > 0) {
      splittable++;
      if (excess > 0) q += excess / (span + excess);
    }
  }
  return q > 0 ? q / <f64>splittable : 0.0;
}

/** Sum over trees of the range-aware normalised path length of one row. */
function rangeAwareSum(m: Model, row: usize): f64 {
  const dims = m.dims;
  const treeBytes = <usize>m.stride * NODE_BYTES;
  let sum: f64 = 0;
  let tree = m.nodes;
  let leaves = m.leaves;
  for (let t = 0; t < m.trees; t++) {
    const invC = load<f64>(m.invC + (<usize>t << 3));
    const box = m.boxes + (<usize>t * <usize>dims << 4);
    // the node's bounds: the root box, narrowed by each split taken
    for (let f = 0; f < dims; f++) {
      store<f64>(raLo + (<usize>f << 3), load<f64>(box + (<usize>f << 4)));
      store<f64>(raHi + (<usize>f << 3), load<f64>(box + (<usize>f << 4), 8));
    }
    let survive: f64 = 1;
    let isolated: f64 = 0; // sum of (k + 1) weighted by the probability of isolation at node k
    let p: usize = 0;
    let k: i32 = 0;
    while (true) {
      const node = tree + p;
      const split = load<f64>(node);
      const q = isolationChance(row, dims);
      if (split == Infinity) {
        // the leaf: h = (depth + c(size)) / c(psi_t), or 1 when c(psi_t) = 0
        const h = load<f64>(leaves + (p >> 1));
        if (invC > 0) {
          let last = h;
          if (q > 0) {
            const iso = <f64>(k + 1) * invC;
            last = q * (iso < h ? iso : h) + (1.0 - q) * h;
          }
          sum += isolated * invC + survive * last;
        } else {
          sum += h; // a one-point tree tells nothing about ranges: keep its value
        }
        break;
      }
      if (q > 0) {
        isolated += survive * q * <f64>(k + 1);
        survive *= 1.0 - q;
      }
      const f = load<i32>(node, 8);
      if (load<f64>(row + (<usize>f << 3)) > split) {
        if (split > load<f64>(raLo + (<usize>f << 3))) store<f64>(raLo + (<usize>f << 3), split);
        p = <usize>(load<i32>(node, 12) + 1) << 4;
      } else {
        if (split < load<f64>(raHi + (<usize>f << 3))) store<f64>(raHi + (<usize>f << 3), split);
        p = <usize>load<i32>(node, 12) << 4;
      }
      k++;
    }
    tree += treeBytes;
    leaves += <usize>m.stride << 3;
  }
  return sum;
}

// per-dimension node bounds of the walk in progress (scratch, RA_MAX_DIMS f64 each)
let raLo: usize = 0;
let raHi: usize = 0;

/** Makes room for the node bounds of range-aware scoring; false when out of memory. */
export function ensureRangeScratch(): bool {
  if (raLo != 0) return true;
  raLo = allocBytes(<u64>RA_MAX_DIMS << 3);
  raHi = allocBytes(<u64>RA_MAX_DIMS << 3);
  return raLo != 0 && raHi != 0;
}
