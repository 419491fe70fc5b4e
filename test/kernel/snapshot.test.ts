// Snapshot and restore (forest_snapshot_size, forest_snapshot, forest_restore; IsolationForest
// snapshot() and restore()): bit-identical continuation, the documented byte layout, and corrupt
// input of every kind returning a code, never trapping.
import { describe, expect, it } from 'vitest';
import { ERR, IsolationForest, Kernel, KernelError, readSnapshotHeader } from '../../src/kernel/index.js';
import { codeOf } from '../support/kernel-code.js';
import { bits, decodeSnapshot, fixCrc, paperSum, rangeAwareSum, scoreOf, uniform } from './helpers.js';

const kernel = Kernel.load();
const k = kernel.exports;
const bytesEqual = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

/** A model in the middle of its rebuild schedule: window wrapped, sinceRebuild and nextTree non-zero. */
function streamed(kern: Kernel, opts: { rangeAware?: boolean } = {}): IsolationForest {
  const f = kern.forest({ trees: 40, sampleSize: 64, dims: 3, seed: 2n ** 64n - 5n, window: 300, ...opts });
  f.fit(uniform(500, 3, 1));
  const X = uniform(777, 3, 2);
  for (let i = 0; i < 777; i += 37) f.update(X.subarray(i * 3, Math.min(777, i + 37) * 3));
  return f;
}

/** Restores raw bytes through the raw ABI: the handle or the code. */
function rawRestore(kern: Kernel, bytes: Uint8Array): number {
  const p = kern.buffer(Math.max(bytes.length, 8));
  new Uint8Array(kern.exports.memory.buffer, p, bytes.length).set(bytes);
  return kern.exports.forest_restore(p, bytes.length);
}

describe('snapshot round trip', () => {
  it('a fitted, streamed model restores bit for bit and then streams, refits and re-windows identically', () => {
    const a = streamed(kernel);
    const snap = a.snapshot();
    const hdr = readSnapshotHeader(snap)!;
    // the state is mid-schedule, so the schedule and RNG really are carried
    expect(hdr.windowCount).toBe(300);
    expect(hdr.windowHead).not.toBe(0);
    expect(hdr.sinceRebuild).not.toBe(0);
    expect(hdr.nextTree).not.toBe(0);
    const perm = decodeSnapshot(snap).feat; // the permutation the splits draw features from
    expect(perm).not.toEqual([...perm].sort());
    const b = IsolationForest.restore(kernel, snap); // same instance
    const fresh = Kernel.load();
    const c = IsolationForest.restore(fresh, snap); // another instance
    expect([b.trees, b.sampleSize, b.dims, c.windowLength, c.maxDepth, c.fitted]).toEqual([40, 64, 3, 300, a.maxDepth, true]);
    const probe = uniform(200, 3, 3).map((x) => x * 1.4 - 0.2);
    const models = [a, b, c];
    const same = () => {
      const s = models.map((m) => bits(m.score(probe)));
      expect(s[1]).toEqual(s[0]);
      expect(s[2]).toEqual(s[0]);
    };
    same();
    // a full window of updates: every tree is re-grown from the carried RNG stream
    const more = uniform(400, 3, 4).map((x) => x + 0.3);
    for (let i = 0; i < 400; i += 23) {
      for (const m of models) m.update(more.subarray(i * 3, Math.min(400, i + 23) * 3));
      same();
    }
    const snaps = models.map((m) => m.snapshot());
    expect(bytesEqual(snaps[1], snaps[0]) && bytesEqual(snaps[2], snaps[0])).toBe(true);
    expect(bytesEqual(snaps[0], snap)).toBe(false);
    for (const m of models) m.fit(uniform(300, 3, 5)); // fit continues the RNG stream too
    same();
    for (const m of models) m.setWindow(50).update(uniform(60, 3, 6));
    same();
    for (const m of models) m.free();
  });

  it('models without trees: never fed, partly filled window, window set but empty', () => {
    const cases: [string, (f: IsolationForest) => void][] = [
      ['never fed', () => {}],
      ['partly filled', (f) => f.update(uniform(20, 2, 7))],
      ['window set, empty', (f) => f.setWindow(45)],
    ];
    for (const [name, prepare] of cases) {
      const a = kernel.forest({ trees: 8, sampleSize: 32, dims: 2, seed: 9 });
      prepare(a);
      const b = IsolationForest.restore(kernel, a.snapshot());
      expect(b.fitted, name).toBe(false);
      expect(b.windowLength, name).toBe(a.windowLength);
      expect(codeOf(() => b.score(Float64Array.of(0, 0))), name).toBe(ERR.NOT_FITTED);
      const X = uniform(100, 2, 8);
      for (let i = 0; i < 100; i += 10) {
        a.update(X.subarray(i * 2, (i + 10) * 2));
        b.update(X.subarray(i * 2, (i + 10) * 2));
      }
      expect(bits(b.score(X)), name).toEqual(bits(a.score(X)));
      expect(bytesEqual(b.snapshot(), a.snapshot()), name).toBe(true);
      a.free();
      b.free();
    }
  });

  it('carries the range-aware flag', () => {
    const a = streamed(kernel, { rangeAware: true });
    const snap = a.snapshot();
    expect(readSnapshotHeader(snap)!.rangeAware).toBe(true);
    const b = IsolationForest.restore(kernel, snap);
    const far = Float64Array.of(5, 0.5, 0.5, 0.5, -3, 0.5);
    expect(bits(b.score(far))).toEqual(bits(a.score(far)));
    b.setRangeAware(false);
    expect(bits(b.score(far))).not.toEqual(bits(a.score(far)));
    expect(readSnapshotHeader(b.snapshot())!.rangeAware).toBe(false);
    a.free();
    b.free();
  });

  it('taking a snapshot changes nothing: a twin never snapshotted ends identical', () => {
    const a = kernel.forest({ trees: 16, sampleSize: 32, dims: 2, seed: 77, window: 100 });
    const twin = kernel.forest({ trees: 16, sampleSize: 32, dims: 2, seed: 77, window: 100 });
    const X = uniform(400, 2, 10);
    for (let i = 0; i < 400; i += 20) {
      const batch = X.subarray(i * 2, (i + 20) * 2);
      a.snapshot();
      a.update(batch);
      a.snapshot();
      twin.update(batch);
    }
    expect(bits(a.score(X))).toEqual(bits(twin.score(X)));
    expect(bytesEqual(a.snapshot(), twin.snapshot())).toBe(true);
    a.free();
    twin.free();
  });

  it('is canonical (a restored model snapshots to the same bytes) and outlives the original', () => {
    const a = streamed(kernel);
    const snap = a.snapshot();
    const probe = uniform(50, 3, 11);
    const expected = bits(a.score(probe));
    a.free();
    const b = IsolationForest.restore(kernel, snap);
    expect(bytesEqual(b.snapshot(), snap)).toBe(true);
    expect(bits(b.score(probe))).toEqual(expected);
    b.free();
  });

  it('forest_snapshot_size is the length forest_snapshot writes, and the host uses the scratch buffer only', () => {
    const a = streamed(kernel);
    const size = k.forest_snapshot_size((a as unknown as { handle: number }).handle);
    expect(a.snapshot().length).toBe(size);
    a.free();
  });
});

describe('size and time (the figures in docs/kernel.md)', () => {
  it('trees 100, psi 256, dims 3, window 2048: fitted, then a full window streamed', () => {
    const f = kernel.forest({ trees: 100, sampleSize: 256, dims: 3, seed: 1, window: 2048 });
    const empty = f.snapshot().length;
    f.fit(uniform(5000, 3, 16));
    const fitted = f.snapshot().length;
    const X = uniform(2048, 3, 17);
    for (let i = 0; i < 2048; i += 64) f.update(X.subarray(i * 3, (i + 64) * 3));
    const timeMs = (fn: () => void, n: number) => {
      fn();
      const ms: number[] = [];
      for (let i = 0; i < n; i++) {
        const t = process.hrtime.bigint();
        fn();
        ms.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
      return ms.sort((a, b) => a - b)[n >> 1];
    };
    let snap = f.snapshot();
    const snapMs = timeMs(() => (snap = f.snapshot()), 21);
    const restoreMs = timeMs(() => IsolationForest.restore(kernel, snap).free(), 21);
    const d = decodeSnapshot(snap);
    console.log(
      `snapshot at trees 100, psi 256, dims 3, window 2048: ${snap.length} bytes (${d.totalNodes} nodes, ` +
        `${(d.totalNodes / 100).toFixed(1)} per tree; ${fitted} bytes right after a fit of 5000 rows, ${empty} before any data); ` +
        `wall-clock median of 21: snapshot ${snapMs.toFixed(2)} ms, restore ${restoreMs.toFixed(2)} ms (2 shared cores)`,
    );
    expect(empty).toBe(96 + 16 + 4); // header, RNG, 3 features padded to 16 bytes, CRC
    expect(snap.length).toBe(96 + 16 + 100 * (16 + 48) + 16 * d.totalNodes + 2048 * 24 + 4);
    expect(d.totalNodes / 100).toBeGreaterThan(100); // about 2 * 256 / (a few points per leaf)
    expect(d.totalNodes / 100).toBeLessThan(511);
    f.free();
  });
});

describe('the bytes follow docs/kernel.md', () => {
  it('header, arrays, window and CRC-32 decode as documented, and the decoded trees score as the kernel does', () => {
    const X = uniform(600, 3, 12);
    const a = kernel.forest({ trees: 20, sampleSize: 64, dims: 3, seed: 5, window: 256 }).fit(X.subarray(0, 300 * 3));
    a.update(X.subarray(300 * 3));
    const snap = a.snapshot();
    const d = decodeSnapshot(snap);
    expect(d.magic).toBe('MIFS');
    expect([d.formatVersion, d.abiVersion, d.totalBytes, d.headerBytes, d.reserved]).toEqual([1, 1, snap.length, 64, 0]);
    expect([d.trees, d.psi, d.dims, d.windowCap, d.windowCount, d.maxDepth, d.flags]).toEqual([20, 64, 3, 256, 256, a.maxDepth, 1]);
    expect(d.crc).toBe(d.crcComputed);
    expect([...d.feat].sort()).toEqual([0, 1, 2]);
    expect(d.padding.every((b) => b === 0)).toBe(true);
    expect(d.rng.some((w) => w !== 0n)).toBe(true);
    // the rebuild schedule: 300 updates after the fit, a rebuild every ceil(256 / 20) = 13 rows, round robin
    expect(d.sinceRebuild).toBe(300 % 13);
    expect(d.nextTree).toBe(Math.floor(300 / 13) % 20);
    // the window: the fit kept its last 256 rows in slots 0..255 (head 0), then 300 updates went round the ring
    const ring = new Float64Array(256 * 3);
    for (let r = 44; r < 300; r++) ring.set(X.subarray(r * 3, r * 3 + 3), (r - 44) * 3);
    let head = 0;
    for (let r = 300; r < 600; r++, head = (head + 1) % 256) ring.set(X.subarray(r * 3, r * 3 + 3), head * 3);
    expect(d.windowHead).toBe(head);
    expect(bits(d.window)).toEqual(bits(ring));
    // trees: nodes = 2 * leaves - 1, counts add up, each tree's depth is its deepest leaf
    expect(d.forest.reduce((s, t) => s + t.nodes.length, 0)).toBe(d.totalNodes);
    for (const t of d.forest) {
      const leaves = t.nodes.filter((n) => 'leaf' in n).length;
      expect(t.nodes.length).toBe(2 * leaves - 1);
      expect(t.nodes.every((n) => !('leaf' in n) || n.child === 0)).toBe(true);
      const depthOf = new Map([[0, 0]]);
      t.nodes.forEach((n, i) => {
        if (!('leaf' in n)) for (const c of [n.left, n.left + 1]) depthOf.set(c, depthOf.get(i)! + 1);
      });
      expect(Math.max(...t.nodes.map((n, i) => ('leaf' in n ? depthOf.get(i)! : 0)))).toBe(t.depth);
    }
    // size: 96 + pad8(4 dims) + trees (16 + 16 dims) + 16 nodes + 8 dims count + 4
    expect(snap.length).toBe(96 + 16 + 20 * (16 + 48) + 16 * d.totalNodes + 8 * 3 * 256 + 4);
    // the decoded trees score as the kernel does, with both rules
    const probe = uniform(100, 3, 13).map((x) => x * 3 - 1);
    const paper = a.score(probe);
    a.setRangeAware(true);
    const ra = a.score(probe);
    for (let r = 0; r < 100; r++) {
      const x = probe.subarray(r * 3, r * 3 + 3);
      expect(Math.abs(paper[r] - scoreOf(paperSum(d.forest, x), 20))).toBeLessThan(1e-15);
      expect(Math.abs(ra[r] - scoreOf(rangeAwareSum(d.forest, x), 20))).toBeLessThan(1e-15);
    }
    a.free();
  });
});

describe('corrupt snapshots: a code, never a trap', () => {
  const small = () => {
    const f = kernel.forest({ trees: 6, sampleSize: 16, dims: 2, seed: 3, window: 40 }).fit(uniform(50, 2, 14));
    f.update(uniform(13, 2, 15));
    const snap = f.snapshot();
    f.free();
    return snap;
  };

  it('every truncation, and one byte too many, is ERR_SNAPSHOT', () => {
    const snap = small();
    const live = k.forest_count();
    for (let n = 0; n < snap.length; n++) expect(rawRestore(kernel, snap.subarray(0, n)), `length ${n}`).toBe(ERR.SNAPSHOT);
    const longer = new Uint8Array(snap.length + 1);
    longer.set(snap);
    expect(rawRestore(kernel, longer)).toBe(ERR.SNAPSHOT);
    expect(k.forest_count()).toBe(live);
  });

  it('every single-bit flip is ERR_SNAPSHOT (ERR_SNAPSHOT_VERSION in the version fields)', () => {
    const snap = small();
    const live = k.forest_count();
    let checked = 0;
    for (let i = 0; i < snap.length; i++) {
      for (let b = 0; b < 8; b++) {
        const c = snap.slice();
        c[i] ^= 1 << b;
        expect(rawRestore(kernel, c), `byte ${i} bit ${b}`).toBe(i >= 4 && i < 8 ? ERR.SNAPSHOT_VERSION : ERR.SNAPSHOT);
        checked++;
      }
    }
    expect(checked).toBe(snap.length * 8);
    expect(k.forest_count()).toBe(live);
  });

  it('random bytes are ERR_SNAPSHOT, also behind a valid magic, version, length and checksum', () => {
    let s = 99;
    const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 8) & 0xff;
    for (let i = 0; i < 500; i++) {
      const n = i < 250 ? i * 3 : 100 + ((i * 7919) % 3000);
      const junk = Uint8Array.from({ length: n }, rnd);
      expect(rawRestore(kernel, junk)).toBe(ERR.SNAPSHOT);
      if (n >= 108) {
        junk.set([0x4d, 0x49, 0x46, 0x53, 1, 0, 1, 0]); // MIFS, format 1, ABI 1
        new DataView(junk.buffer).setUint32(8, n, true);
        new DataView(junk.buffer).setUint32(12, 64, true);
        expect(rawRestore(kernel, fixCrc(junk))).toBe(ERR.SNAPSHOT);
      }
    }
  });

  it('wrong magic, format version or ABI version, with a valid checksum', () => {
    const snap = small();
    const edit = (at: number, value: number, size: 1 | 2) => {
      const c = snap.slice();
      if (size === 1) c[at] = value;
      else new DataView(c.buffer).setUint16(at, value, true);
      return fixCrc(c);
    };
    expect(rawRestore(kernel, edit(0, 0x4e, 1))).toBe(ERR.SNAPSHOT); // "NIFS"
    expect(rawRestore(kernel, edit(4, 2, 2))).toBe(ERR.SNAPSHOT_VERSION); // format 2
    expect(rawRestore(kernel, edit(4, 0, 2))).toBe(ERR.SNAPSHOT_VERSION);
    expect(rawRestore(kernel, edit(6, 2, 2))).toBe(ERR.SNAPSHOT_VERSION); // ABI 2
    const e = codeOf(() => IsolationForest.restore(kernel, edit(6, 2, 2)));
    expect(e).toBe(ERR.SNAPSHOT_VERSION);
    expect(rawRestore(kernel, fixCrc(snap.slice()))).toBeGreaterThanOrEqual(0); // the fix-up itself is harmless
  });

  it('contents that fail validation are ERR_SNAPSHOT even with a valid checksum', () => {
    const snap = small();
    const d = decodeSnapshot(snap);
    const dims = d.dims, trees = d.trees;
    const featAt = 96, countsAt = 96 + 8, depthsAt = countsAt + 4 * trees, invCAt = depthsAt + 4 * trees;
    const boxesAt = invCAt + 8 * trees, nodesAt = boxesAt + 16 * trees * dims;
    const windowAt = nodesAt + 16 * d.totalNodes;
    const firstLeaf = d.forest[0].nodes.findIndex((n) => 'leaf' in n);
    const firstInternal = d.forest[0].nodes.findIndex((n) => !('leaf' in n));
    const mutations: [string, (v: DataView) => void][] = [
      ['trees 0', (v) => v.setInt32(16, 0, true)],
      ['psi 0', (v) => v.setInt32(20, 0, true)],
      ['dims 0', (v) => v.setInt32(24, 0, true)],
      ['window cap below count', (v) => v.setInt32(28, d.windowCount - 1, true)],
      ['window count above cap', (v) => v.setInt32(32, d.windowCap + 1, true)],
      ['head off the end', (v) => v.setInt32(36, d.windowCap, true)],
      ['since_rebuild negative', (v) => v.setInt32(40, -1, true)],
      ['next_tree = trees', (v) => v.setInt32(44, trees, true)],
      ['max_depth above the height limit', (v) => v.setInt32(48, 5, true)],
      ['unknown flag bit', (v) => v.setUint32(52, d.flags | 4, true)],
      ['not built but nodes', (v) => v.setUint32(52, 0, true)],
      ['total_nodes off by 2', (v) => v.setUint32(56, d.totalNodes + 2, true)],
      ['reserved non-zero', (v) => v.setUint32(60, 1, true)],
      ['RNG all zero', (v) => [0, 8, 16, 24].forEach((o) => v.setBigUint64(64 + o, 0n, true))],
      ['feature permutation repeats', (v) => v.setInt32(featAt + 4, v.getInt32(featAt, true), true)],
      ['feature permutation out of range', (v) => v.setInt32(featAt, dims, true)],
      ['padding non-zero', (v) => v.setUint8(featAt + 4 * dims, 1)],
      ['tree node count even', (v) => v.setUint32(countsAt, d.forest[0].nodes.length + 1, true)],
      ['tree depth not its deepest leaf', (v) => v.setInt32(depthsAt, d.forest[0].depth + 1, true)],
      ['1/c NaN', (v) => v.setFloat64(invCAt, NaN, true)],
      ['1/c negative', (v) => v.setFloat64(invCAt, -1, true)],
      ['box min above max', (v) => v.setFloat64(boxesAt, d.forest[0].box[0][1] + 1, true)],
      ['box Infinity', (v) => v.setFloat64(boxesAt + 8, Infinity, true)],
      ['leaf with a child', (v) => v.setInt32(nodesAt + 16 * firstLeaf + 12, 1, true)],
      ['leaf value NaN', (v) => v.setFloat64(nodesAt + 16 * firstLeaf, NaN, true)],
      ['leaf value negative', (v) => v.setFloat64(nodesAt + 16 * firstLeaf, -0.5, true)],
      ['split NaN', (v) => v.setFloat64(nodesAt + 16 * firstInternal, NaN, true)],
      ['split feature out of range', (v) => v.setInt32(nodesAt + 16 * firstInternal + 8, dims, true)],
      ['child pointing back at the root', (v) => v.setInt32(nodesAt + 16 * firstInternal + 12, 0, true)],
      ['child past the tree', (v) => v.setInt32(nodesAt + 16 * firstInternal + 12, d.forest[0].nodes.length, true)],
      ['internal node turned into a leaf', (v) => {
        v.setInt32(nodesAt + 16 * firstInternal + 8, -1, true);
        v.setInt32(nodesAt + 16 * firstInternal + 12, 0, true);
      }],
      ['window value NaN', (v) => v.setFloat64(windowAt, NaN, true)],
      ['window value -Infinity', (v) => v.setFloat64(windowAt + 8, -Infinity, true)],
    ];
    const live = k.forest_count();
    for (const [name, mutate] of mutations) {
      const c = snap.slice();
      mutate(new DataView(c.buffer));
      expect(rawRestore(kernel, fixCrc(c)), name).toBe(ERR.SNAPSHOT);
    }
    expect(k.forest_count()).toBe(live);
  });

  it('range-aware on with dims above 16 is ERR_SNAPSHOT', () => {
    const f = kernel.forest({ trees: 2, sampleSize: 4, dims: 17, seed: 1 }).fit(uniform(8, 17));
    const c = f.snapshot();
    f.free();
    const v = new DataView(c.buffer);
    v.setUint32(52, v.getUint32(52, true) | 2, true);
    expect(rawRestore(kernel, fixCrc(c))).toBe(ERR.SNAPSHOT);
  });

  it('random mutations with a recomputed checksum: rejected, or a model that works; never a trap', () => {
    const kern = Kernel.load(); // a model with a mutated psi or window may reserve a lot of memory
    const ex = kern.exports;
    const snap = small();
    let s = 4242;
    const rnd = (n: number) => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) % n;
    const specials = [0, 1, 0xff, 0x7f, 0x80];
    let rejected = 0, restored = 0;
    for (let i = 0; i < 3000; i++) {
      const c = snap.slice();
      const edits = 1 + rnd(3);
      for (let e = 0; e < edits; e++) {
        const at = rnd(c.length - 4);
        if (rnd(2) === 0) c[at] ^= 1 << rnd(8);
        else c[at] = specials[rnd(specials.length)];
      }
      const h = rawRestore(kern, fixCrc(c));
      if (h < 0) {
        expect([ERR.SNAPSHOT, ERR.SNAPSHOT_VERSION, ERR.NOMEM]).toContain(h);
        rejected++;
        continue;
      }
      restored++;
      const p = kern.buffer(64 * 8);
      new Float64Array(ex.memory.buffer, p, 32).set(uniform(16, 2, i));
      const fitted = ex.forest_is_fitted(h);
      const scored = ex.forest_score(h, p, 16, p + 256);
      expect(scored).toBe(fitted === 1 ? 0 : ERR.NOT_FITTED);
      expect([0, ERR.NOMEM]).toContain(ex.forest_update(h, p, 16));
      expect(ex.forest_snapshot_size(h)).toBeGreaterThan(0);
      expect(ex.forest_free(h)).toBe(0);
    }
    console.log(`mutated snapshots: ${rejected} rejected, ${restored} restored (scored, updated, freed)`);
    expect(rejected).toBeGreaterThan(0);
    expect(ex.forest_count()).toBe(0);
    // the instance is still healthy
    const g = IsolationForest.restore(kern, snap);
    expect(g.score(uniform(3, 2)).length).toBe(3);
  });

  it('bounds, handles and buffer size', () => {
    const f = kernel.forest({ trees: 3, sampleSize: 8, dims: 2, seed: 1 }).fit(uniform(20, 2));
    const h = (f as unknown as { handle: number }).handle;
    const size = k.forest_snapshot_size(h);
    const p = kernel.buffer(size);
    const end = k.memory.buffer.byteLength;
    expect(k.forest_snapshot(h, p, size - 1)).toBe(ERR.PARAM);
    expect(k.forest_snapshot(h, p, -1)).toBe(ERR.BOUNDS);
    expect(k.forest_snapshot(h, 8, size)).toBe(ERR.BOUNDS);
    expect(k.forest_snapshot(h, end - 8, size)).toBe(ERR.BOUNDS);
    expect(k.forest_snapshot(h, p, size)).toBe(size);
    expect(k.forest_restore(p, -1)).toBe(ERR.BOUNDS);
    expect(k.forest_restore(0, size)).toBe(ERR.BOUNDS);
    expect(k.forest_restore(end - 4, 8)).toBe(ERR.BOUNDS);
    expect(k.forest_restore(p, 0)).toBe(ERR.SNAPSHOT);
    f.free();
    for (const bad of [h, -1, 0x7fffffff]) {
      expect(k.forest_snapshot_size(bad)).toBe(ERR.HANDLE);
      expect(k.forest_snapshot(bad, p, size)).toBe(ERR.HANDLE);
    }
    expect(codeOf(() => f.snapshot())).toBe(ERR.HANDLE);
    try {
      IsolationForest.restore(kernel, new Uint8Array(10));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(KernelError);
      expect((e as Error).message).toMatch(/forest_restore failed: ERR_SNAPSHOT \(-10\): not a valid forest snapshot/);
    }
  });
});
