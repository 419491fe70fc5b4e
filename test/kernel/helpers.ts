// Helpers of the kernel suites: deterministic data, bit views, and an independent reading of the
// snapshot format and of both scoring rules, written from docs/kernel.md (literal offsets, not the
// generated constants), so the tests check the kernel against the documentation.
import { crc32 } from 'node:zlib';

/** Deterministic pseudo-random data (mulberry32), row-major n x dims in [0, 1). */
export function uniform(n: number, dims: number, seed = 1): Float64Array {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Float64Array.from({ length: n * dims }, next);
}

/** The IEEE-754 bits of each value, for exact comparisons. */
export const bits = (xs: Float64Array) => Array.from(new BigUint64Array(xs.buffer.slice(xs.byteOffset, xs.byteOffset + xs.byteLength)));

/** c(n) of the paper with scikit-learn's harmonic approximation (independent of the kernel's). */
export const cOf = (n: number) => (n <= 1 ? 0 : n === 2 ? 1 : 2 * (Math.log(n - 1) + 0.5772156649015329) - (2 * (n - 1)) / n);

export interface DecodedTree {
  depth: number;
  invC: number;
  box: [number, number][]; // per feature [min, max]
  /** per node: leaf → {leaf: value, child (0 in a valid snapshot)}; internal → {split, feature, left} */
  nodes: ({ leaf: number; child: number } | { split: number; feature: number; left: number })[];
}

export interface DecodedSnapshot {
  magic: string;
  formatVersion: number;
  abiVersion: number;
  totalBytes: number;
  headerBytes: number;
  trees: number;
  psi: number;
  dims: number;
  windowCap: number;
  windowCount: number;
  windowHead: number;
  sinceRebuild: number;
  nextTree: number;
  maxDepth: number;
  flags: number;
  totalNodes: number;
  reserved: number;
  rng: bigint[];
  feat: number[];
  padding: number[];
  forest: DecodedTree[];
  window: Float64Array; // windowCount rows, slots 0 .. count-1
  crc: number;
  /** CRC-32 (zlib) of every byte before the trailer */
  crcComputed: number;
}

/** Reads a snapshot by the byte table of docs/kernel.md ("Snapshot format"). Throws when it runs off the end. */
export function decodeSnapshot(bytes: Uint8Array): DecodedSnapshot {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const i32 = (o: number) => v.getInt32(o, true);
  const u32 = (o: number) => v.getUint32(o, true);
  const d: Partial<DecodedSnapshot> = {
    magic: String.fromCharCode(...bytes.subarray(0, 4)),
    formatVersion: v.getUint16(4, true),
    abiVersion: v.getUint16(6, true),
    totalBytes: u32(8),
    headerBytes: u32(12),
    trees: i32(16),
    psi: i32(20),
    dims: i32(24),
    windowCap: i32(28),
    windowCount: i32(32),
    windowHead: i32(36),
    sinceRebuild: i32(40),
    nextTree: i32(44),
    maxDepth: i32(48),
    flags: u32(52),
    totalNodes: u32(56),
    reserved: u32(60),
  };
  const { trees, dims } = d as DecodedSnapshot;
  let p = 64;
  d.rng = [0, 1, 2, 3].map((i) => v.getBigUint64(p + 8 * i, true));
  p += 32;
  d.feat = Array.from({ length: dims }, (_, i) => i32(p + 4 * i));
  const featEnd = p + Math.ceil((4 * dims) / 8) * 8;
  d.padding = Array.from(bytes.subarray(p + 4 * dims, featEnd));
  p = featEnd;
  d.forest = [];
  if ((d.flags! & 1) !== 0) {
    const counts = Array.from({ length: trees }, (_, t) => u32(p + 4 * t));
    const depths = Array.from({ length: trees }, (_, t) => i32(p + 4 * trees + 4 * t));
    p += 8 * trees;
    const invC = Array.from({ length: trees }, (_, t) => v.getFloat64(p + 8 * t, true));
    p += 8 * trees;
    const boxes = Array.from({ length: trees }, (_, t) =>
      Array.from({ length: dims }, (_, f) => [v.getFloat64(p + 16 * (t * dims + f), true), v.getFloat64(p + 16 * (t * dims + f) + 8, true)] as [number, number]),
    );
    p += 16 * trees * dims;
    for (let t = 0; t < trees; t++) {
      const nodes: DecodedTree['nodes'] = [];
      for (let i = 0; i < counts[t]; i++, p += 16) {
        const value = v.getFloat64(p, true), feature = i32(p + 8), child = i32(p + 12);
        nodes.push(feature === -1 ? { leaf: value, child } : { split: value, feature, left: child });
      }
      d.forest.push({ depth: depths[t], invC: invC[t], box: boxes[t], nodes });
    }
  }
  const values = d.windowCount! * dims;
  d.window = Float64Array.from({ length: values }, (_, i) => v.getFloat64(p + 8 * i, true));
  p += 8 * values;
  d.crc = u32(p);
  d.crcComputed = crc32(bytes.subarray(0, p)) >>> 0;
  if (p + 4 !== bytes.length) throw new Error(`decoded ${p + 4} bytes of ${bytes.length}`);
  return d as DecodedSnapshot;
}

/** A tree walk by the paper's rule: (leaf node index, depth). */
function walk(tree: DecodedTree, x: ArrayLike<number>): number {
  let i = 0;
  for (;;) {
    const n = tree.nodes[i];
    if ('leaf' in n) return i;
    i = x[n.feature] <= n.split ? n.left : n.left + 1;
  }
}

/** Sum over trees of the normalised path length by the paper's rule (the leaf values). */
export function paperSum(forest: DecodedTree[], x: ArrayLike<number>): number {
  let sum = 0;
  for (const t of forest) sum += (t.nodes[walk(t, x)] as { leaf: number }).leaf;
  return sum;
}

/** Sum over trees of the normalised range-aware path length, by the rule in docs/kernel.md. */
export function rangeAwareSum(forest: DecodedTree[], x: ArrayLike<number>): number {
  let sum = 0;
  for (const t of forest) {
    const lo = t.box.map((b) => b[0]), hi = t.box.map((b) => b[1]);
    const chance = () => {
      let q = 0, F = 0;
      for (let f = 0; f < x.length; f++) {
        const excess = x[f] < lo[f] ? lo[f] - x[f] : x[f] > hi[f] ? x[f] - hi[f] : 0;
        const span = hi[f] - lo[f];
        if (span > 0 || excess > 0) {
          F++;
          if (excess > 0) q += excess / (span + excess);
        }
      }
      return q > 0 ? q / F : 0;
    };
    let survive = 1, isolated = 0, i = 0, k = 0;
    for (;;) {
      const n = t.nodes[i];
      const q = chance();
      if ('leaf' in n) {
        const h = n.leaf;
        if (t.invC > 0) {
          const last = q > 0 ? q * Math.min((k + 1) * t.invC, h) + (1 - q) * h : h;
          sum += isolated * t.invC + survive * last;
        } else sum += h;
        break;
      }
      if (q > 0) {
        isolated += survive * q * (k + 1);
        survive *= 1 - q;
      }
      if (x[n.feature] > n.split) {
        lo[n.feature] = Math.max(lo[n.feature], n.split);
        i = n.left + 1;
      } else {
        hi[n.feature] = Math.min(hi[n.feature], n.split);
        i = n.left;
      }
      k++;
    }
  }
  return sum;
}

/** s = 2^(-sum / trees). */
export const scoreOf = (sum: number, trees: number) => Math.pow(2, -sum / trees);

/** Rewrites the CRC-32 trailer of a (modified) snapshot so only the contents checks judge it. */
export function fixCrc(bytes: Uint8Array): Uint8Array {
  const n = bytes.length;
  new DataView(bytes.buffer, bytes.byteOffset, n).setUint32(n - 4, crc32(bytes.subarray(0, n - 4)) >>> 0, true);
  return bytes;
}
