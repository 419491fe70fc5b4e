// Node host of the kernel: loads build/isolation_forest.wasm and wraps ABI v1 in a typed class.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERR, KernelError } from './errors.js';

/** The raw exports of ABI v1 plus the extensions (see docs/kernel.md). */
export interface KernelExports {
  memory: WebAssembly.Memory;
  abi_version(): number;
  alloc(bytes: number): number;
  free(ptr: number): void;
  forest_new(trees: number, psi: number, dims: number, seed: bigint): number;
  forest_fit(h: number, rows: number, n: number): number;
  forest_update(h: number, rows: number, n: number): number;
  forest_score(h: number, rows: number, n: number, out: number): number;
  forest_free(h: number): number;
  forest_set_window(h: number, w: number): number;
  forest_window_len(h: number): number;
  forest_is_fitted(h: number): number;
  forest_max_depth(h: number): number;
  forest_count(): number;
  memory_bytes(): number;
  avg_path_length(n: number): number;
}

export const ABI_VERSION = 1;

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

  constructor(kernel: Kernel, opts: ForestOptions) {
    this.kernel = kernel;
    this.trees = opts.trees ?? 100;
    this.sampleSize = opts.sampleSize ?? 256;
    this.dims = opts.dims;
    const seed = BigInt.asUintN(64, BigInt(opts.seed ?? 0));
    const h = kernel.exports.forest_new(this.trees, this.sampleSize, this.dims, seed);
    if (h < 0) throw new KernelError(h, 'forest_new');
    this.handle = h;
    if (opts.window !== undefined) this.setWindow(opts.window);
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
