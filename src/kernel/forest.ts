// Node host of the kernel: loads build/isolation_forest.wasm and wraps ABI v1 in a typed class.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ABI_VERSION, KERNEL_EXPORTS, SNAPSHOT } from './abi.js';
import { ERR, KernelError } from './errors.js';

type WasmType = 'i32' | 'i64' | 'f64';
type JsOf<T> = T extends 'i64' ? bigint : number;
type ExportFn<E> = E extends { params: infer P extends readonly (readonly [string, WasmType])[]; result: infer R }
  ? (...args: { -readonly [K in keyof P]: JsOf<P[K][1]> }) => R extends WasmType ? JsOf<R> : void
  : never;
type ExportsOf<L extends readonly { name: string }[]> = { [E in L[number] as E['name']]: ExportFn<E> };

/**
 * The raw exports of ABI v1 plus the extensions, typed from their wasm signatures in
 * assembly/abi.json (i32 and f64 are numbers, i64 is a bigint; docs/kernel.md describes each).
 */
export type KernelExports = { memory: WebAssembly.Memory } & ExportsOf<typeof KERNEL_EXPORTS.core> &
  ExportsOf<typeof KERNEL_EXPORTS.extensions>;

const compiled = new Map<string, WebAssembly.Module>();

/** Default kernel path: build/isolation_forest.wasm at the project root, or $MIRADOR_KERNEL. */
export function defaultKernelPath(): string {
  if (process.env.MIRADOR_KERNEL) return process.env.MIRADOR_KERNEL;
  // src/kernel/forest.ts and the bundled dist/mirador.js are both two levels below the root
  let dir = dirname(fileURLToPath(import.meta.url));
  if (dir.endsWith('dist')) dir = resolve(dir, '..');
  else dir = resolve(dir, '../..');
  return resolve(dir, 'build/isolation_forest.wasm');
}

export interface ForestOptions {
  trees?: number;
  sampleSize?: number;
  dims: number;
  seed?: bigint | number;
  /** streaming window in rows (default 4 * sampleSize) */
  window?: number;
  /** range-aware scoring (default false: the paper's rule); see IsolationForest.setRangeAware */
  rangeAware?: boolean;
}

/** The header fields of a snapshot (docs/kernel.md, "Snapshot format"); counts are rows, sizes bytes. */
export interface SnapshotHeader {
  formatVersion: number;
  abiVersion: number;
  totalBytes: number;
  trees: number;
  psi: number;
  dims: number;
  windowCap: number;
  windowCount: number;
  windowHead: number;
  sinceRebuild: number;
  nextTree: number;
  maxDepth: number;
  built: boolean;
  rangeAware: boolean;
  totalNodes: number;
}

/**
 * Reads a snapshot's header without validating the rest (forest_restore does that): null when the
 * bytes are shorter than the header or do not start with the magic "MIFS". Lets a host compare a
 * stored snapshot's parameters and versions with its configuration before restoring it.
 */
export function readSnapshotHeader(bytes: Uint8Array): SnapshotHeader | null {
  if (bytes.length < SNAPSHOT.HEADER_BYTES) return null;
  const v = new DataView(bytes.buffer, bytes.byteOffset, SNAPSHOT.HEADER_BYTES);
  const H = SNAPSHOT.HEADER;
  if (v.getUint32(H.magic.offset, true) !== SNAPSHOT.MAGIC) return null;
  const i32 = (o: number) => v.getInt32(o, true);
  const flags = v.getUint32(H.flags.offset, true);
  return {
    formatVersion: v.getUint16(H.format_version.offset, true),
    abiVersion: v.getUint16(H.abi_version.offset, true),
    totalBytes: v.getUint32(H.total_bytes.offset, true),
    trees: i32(H.trees.offset),
    psi: i32(H.psi.offset),
    dims: i32(H.dims.offset),
    windowCap: i32(H.window_cap.offset),
    windowCount: i32(H.window_count.offset),
    windowHead: i32(H.window_head.offset),
    sinceRebuild: i32(H.since_rebuild.offset),
    nextTree: i32(H.next_tree.offset),
    maxDepth: i32(H.max_depth.offset),
    built: (flags & SNAPSHOT.FLAG_BUILT) !== 0,
    rangeAware: (flags & SNAPSHOT.FLAG_RANGE_AWARE) !== 0,
    totalNodes: v.getUint32(H.total_nodes.offset, true),
  };
}

/** A handle the kernel already made (by forest_restore), for the IsolationForest constructor. */
class Adopt {
  private readonly adopted = true;
  constructor(
    readonly handle: number,
    readonly trees: number,
    readonly sampleSize: number,
    readonly dims: number,
  ) {}
}

/** One WebAssembly instance; many models live in it by handle. Not safe for concurrent use. */
export class Kernel {
  readonly exports: KernelExports;
  private scratch = 0;
  private scratchBytes = 0;

  private constructor(instance: WebAssembly.Instance) {
    this.exports = instance.exports as unknown as KernelExports;
    const v = this.exports.abi_version();
    if (v !== ABI_VERSION) throw new Error(`kernel ABI version ${v}, this host speaks ${ABI_VERSION}`);
  }

  /** Instantiates the kernel at path; the compiled module is cached per path (instances are not shared). */
  static load(path: string = defaultKernelPath()): Kernel {
    let mod = compiled.get(path);
    if (!mod) {
      let bytes: Uint8Array<ArrayBuffer>;
      try {
        bytes = new Uint8Array(readFileSync(path));
      } catch (e) {
        throw new Error(`cannot read kernel ${path} (run npm run build:wasm): ${(e as Error).message}`);
      }
      mod = new WebAssembly.Module(bytes);
      compiled.set(path, mod);
    }
    return new Kernel(new WebAssembly.Instance(mod, {}));
  }

  static fromBytes(bytes: BufferSource): Kernel {
    return new Kernel(new WebAssembly.Instance(new WebAssembly.Module(bytes), {}));
  }

  forest(opts: ForestOptions): IsolationForest {
    return new IsolationForest(this, opts);
  }

  /** A kernel buffer of at least `bytes` bytes, reused across calls (contents not preserved). */
  buffer(bytes: number): number {
    if (bytes > this.scratchBytes) {
      if (this.scratch) this.exports.free(this.scratch);
      this.scratch = 0;
      this.scratchBytes = 0;
      const p = this.exports.alloc(Math.max(bytes, 4096));
      if (p === 0) throw new KernelError(ERR.NOMEM, 'alloc');
      this.scratch = p;
      this.scratchBytes = Math.max(bytes, 4096);
    }
    return this.scratch;
  }

  /** Copies values into the scratch buffer (plus `extraBytes` after them) and returns its address. */
  stage(values: Float64Array, extraBytes = 0): number {
    const p = this.buffer(values.byteLength + extraBytes);
    new Float64Array(this.exports.memory.buffer, p, values.length).set(values);
    return p;
  }
}

/** An isolation forest model inside a Kernel. Rows are row-major Float64Array of n * dims. */
export class IsolationForest {
  readonly kernel: Kernel;
  readonly dims: number;
  readonly trees: number;
  readonly sampleSize: number;
  private handle: number;

  constructor(kernel: Kernel, opts: ForestOptions | Adopt) {
    this.kernel = kernel;
    if (opts instanceof Adopt) {
      ({ trees: this.trees, sampleSize: this.sampleSize, dims: this.dims, handle: this.handle } = opts);
      return;
    }
    this.trees = opts.trees ?? 100;
    this.sampleSize = opts.sampleSize ?? 256;
    this.dims = opts.dims;
    const seed = BigInt.asUintN(64, BigInt(opts.seed ?? 0));
    const h = kernel.exports.forest_new(this.trees, this.sampleSize, this.dims, seed);
    if (h < 0) throw new KernelError(h, 'forest_new');
    this.handle = h;
    try {
      if (opts.window !== undefined) this.setWindow(opts.window);
      if (opts.rangeAware) this.setRangeAware(true);
    } catch (e) {
      this.free();
      throw e;
    }
  }

  /**
   * Restores a model from bytes written by snapshot() (in this or another kernel instance or
   * process, or by the Go host: the format is the kernel's). The new model's scores, updates and
   * later snapshots are bit-identical to those of the model the snapshot was taken of, as if it
   * had carried on (same RNG continuation). Throws KernelError: ERR_SNAPSHOT (-10) for bytes that
   * are not a valid snapshot (wrong magic, truncated, checksum, malformed contents),
   * ERR_SNAPSHOT_VERSION (-11) for another format or ABI version, ERR_NOMEM, ERR_LIMIT.
   */
  static restore(kernel: Kernel, bytes: Uint8Array): IsolationForest {
    const p = kernel.buffer(Math.max(bytes.length, 8));
    new Uint8Array(kernel.exports.memory.buffer, p, bytes.length).set(bytes);
    const h = kernel.exports.forest_restore(p, bytes.length);
    if (h < 0) throw new KernelError(h, 'forest_restore');
    const hdr = readSnapshotHeader(bytes);
    if (hdr === null) throw new Error('forest_restore accepted bytes without a snapshot header'); // cannot happen
    return new IsolationForest(kernel, new Adopt(h, hdr.trees, hdr.psi, hdr.dims));
  }

  private rowsOf(rows: Float64Array, op: string): number {
    if (this.handle < 0) throw new KernelError(ERR.HANDLE, op);
    if (rows.length % this.dims !== 0) throw new KernelError(ERR.DIMS, op);
    return rows.length / this.dims;
  }

  private check(code: number, op: string): void {
    if (code < 0) throw new KernelError(code, op);
  }

  fit(rows: Float64Array): this {
    const n = this.rowsOf(rows, 'forest_fit');
    const p = n > 0 ? this.kernel.stage(rows) : this.kernel.buffer(8);
    this.check(this.kernel.exports.forest_fit(this.handle, p, n), 'forest_fit');
    return this;
  }

  update(rows: Float64Array): this {
    const n = this.rowsOf(rows, 'forest_update');
    const p = n > 0 ? this.kernel.stage(rows) : this.kernel.buffer(8);
    this.check(this.kernel.exports.forest_update(this.handle, p, n), 'forest_update');
    return this;
  }

  score(rows: Float64Array): Float64Array {
    const n = this.rowsOf(rows, 'forest_score');
    const p = this.kernel.stage(rows, Math.max(n, 1) * 8);
    const out = p + rows.byteLength;
    this.check(this.kernel.exports.forest_score(this.handle, p, n, out), 'forest_score');
    return new Float64Array(this.kernel.exports.memory.buffer, out, n).slice();
  }

  /**
   * The model's snapshot: a self-describing byte string (docs/kernel.md, "Snapshot format": header
   * with magic, format and ABI versions and parameters; trees, per-tree sample boxes, the window,
   * the rebuild schedule and RNG state; CRC-32 trailer) that IsolationForest.restore turns back
   * into an identical model. About 16 bytes per tree node plus 8 * dims per window row; 0.6 MB at
   * trees 100, psi 256, dims 3, window 2048. Does not change the model. Throws KernelError
   * (ERR_HANDLE after free).
   */
  snapshot(): Uint8Array {
    if (this.handle < 0) throw new KernelError(ERR.HANDLE, 'forest_snapshot');
    const k = this.kernel.exports;
    const size = k.forest_snapshot_size(this.handle);
    this.check(size, 'forest_snapshot_size');
    const p = this.kernel.buffer(size);
    const n = k.forest_snapshot(this.handle, p, size);
    this.check(n, 'forest_snapshot');
    return new Uint8Array(k.memory.buffer, p, n).slice();
  }

  /**
   * Range-aware scoring on or off (off, the paper's rule, is the default). With it, a point
   * beyond a tree's sample range in some feature is isolated, at each node of its path, with
   * probability excess / (span + excess) averaged over the features (span: the node's range,
   * excess: how far beyond it the point lies), instead of always landing in the boundary leaf. So
   * a point far outside everything learnt scores near 1, even when the training set was constant
   * (where the paper's rule scores 0.5 everywhere), and the score grows with the distance beyond
   * the range; a point inside every tree's sample box scores exactly as with the paper's rule.
   * Takes effect for the next score call; carried by snapshots. Throws KernelError: ERR_PARAM
   * when on with dims above 16, ERR_NOMEM, ERR_HANDLE.
   */
  setRangeAware(on: boolean): this {
    if (this.handle < 0) throw new KernelError(ERR.HANDLE, 'forest_set_range_aware');
    this.check(this.kernel.exports.forest_set_range_aware(this.handle, on ? 1 : 0), 'forest_set_range_aware');
    return this;
  }

  setWindow(window: number): this {
    this.check(this.kernel.exports.forest_set_window(this.handle, window), 'forest_set_window');
    return this;
  }

  get fitted(): boolean {
    return this.kernel.exports.forest_is_fitted(this.handle) === 1;
  }

  get windowLength(): number {
    return this.kernel.exports.forest_window_len(this.handle);
  }

  get maxDepth(): number {
    return this.kernel.exports.forest_max_depth(this.handle);
  }

  free(): void {
    if (this.handle < 0) return;
    this.kernel.exports.forest_free(this.handle);
    this.handle = -1;
  }
}
