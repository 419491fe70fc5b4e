// Generated from assembly/abi.json by scripts/build-wasm.mjs: do not edit (edit abi.json, then run node scripts/build-wasm.mjs).
// Kernel ABI constants for hosts: ABI version, error codes, export names and signatures, snapshot format.

/** Kernel ABI version this host speaks (`abi_version()`). */
export const ABI_VERSION = 1;

/** Every kernel error code: its name, the short message hosts put in errors, and the meaning docs/kernel.md gives. */
export const KERNEL_ERRORS = {
  [-1]: { name: "ERR_HANDLE", meaning: "unknown or already freed model handle", doc: "unknown handle: never returned by `forest_new` or `forest_restore`, negative, or already freed" },
  [-2]: { name: "ERR_PARAM", meaning: "invalid parameter (trees, psi, dims or window out of range, range-aware flag, or snapshot buffer too small)", doc: "`trees` not in 1..100000, `psi` not in 1..2^24, `dims` not in 1..65536, or window not in 1..2^26; `forest_set_range_aware` with a flag other than 0 and 1, or 1 with `dims` above 16; `forest_snapshot` with `cap` below `forest_snapshot_size`" },
  [-3]: { name: "ERR_EMPTY", meaning: "no rows (n <= 0)", doc: "`n <= 0`" },
  [-4]: { name: "ERR_BOUNDS", meaning: "buffer outside the kernel heap", doc: "`rows_ptr .. rows_ptr + n*dims*8`, `out_ptr .. out_ptr + n*8`, `out_ptr .. out_ptr + cap` or `in_ptr .. in_ptr + len` is not inside the heap (below the heap base, i.e. static data, or past the end of memory), or `cap` / `len` is negative" },
  [-5]: { name: "ERR_NONFINITE", meaning: "input contains NaN or Infinity", doc: "an input value is NaN, +Infinity or -Infinity" },
  [-6]: { name: "ERR_NOMEM", meaning: "out of memory in the kernel", doc: "`memory.grow` failed or a size exceeds 32-bit memory (e.g. `trees * (2 psi - 1) * 24` bytes of trees)" },
  [-7]: { name: "ERR_NOT_FITTED", meaning: "model has no trees yet (fit it, or update it with at least min(psi, window) points)", doc: "`forest_score` before the model has trees: no fit, and the window has not yet held `min(psi, window)` points" },
  [-8]: { name: "ERR_DIMS", meaning: "row width differs from the model dims", doc: "a row's width differs from the model's `dims`. The raw ABI passes `n` rows of `dims` values, so hosts detect this themselves (before calling the kernel) and report this code" },
  [-9]: { name: "ERR_LIMIT", meaning: "too many live models in this kernel instance", doc: "2^20 models are already live in this instance" },
  [-10]: { name: "ERR_SNAPSHOT", meaning: "not a valid forest snapshot (wrong magic, truncated, checksum mismatch or inconsistent contents)", doc: "`forest_restore`: not a snapshot this kernel can read: wrong magic, shorter or longer than the length in its header, CRC-32 mismatch, or contents that fail validation (parameters out of range, malformed trees, non-finite values, non-zero padding)" },
  [-11]: { name: "ERR_SNAPSHOT_VERSION", meaning: "snapshot of another snapshot format or kernel ABI version", doc: "`forest_restore`: the magic matches but the snapshot's format version or kernel ABI version is not this kernel's (checked before the length and the checksum)" },
} as const;

/** Kernel error codes by name without the `ERR_` prefix (`ERR.NOT_FITTED === -7`). */
export const ERR = {
  HANDLE: -1,
  PARAM: -2,
  EMPTY: -3,
  BOUNDS: -4,
  NONFINITE: -5,
  NOMEM: -6,
  NOT_FITTED: -7,
  DIMS: -8,
  LIMIT: -9,
  SNAPSHOT: -10,
  SNAPSHOT_VERSION: -11,
} as const;

/** Export names with their wasm signatures: core = ABI v1 proper, extensions = additive (optional for hosts). */
export const KERNEL_EXPORTS = {
  core: [
    { name: "abi_version", params: [], result: "i32" },
    { name: "alloc", params: [["bytes","i32"]], result: "i32" },
    { name: "free", params: [["ptr","i32"]], result: null },
    { name: "forest_new", params: [["trees","i32"],["psi","i32"],["dims","i32"],["seed","i64"]], result: "i32" },
    { name: "forest_fit", params: [["h","i32"],["rows_ptr","i32"],["n","i32"]], result: "i32" },
    { name: "forest_update", params: [["h","i32"],["rows_ptr","i32"],["n","i32"]], result: "i32" },
    { name: "forest_score", params: [["h","i32"],["rows_ptr","i32"],["n","i32"],["out_ptr","i32"]], result: "i32" },
    { name: "forest_free", params: [["h","i32"]], result: "i32" },
  ],
  extensions: [
    { name: "forest_set_window", params: [["h","i32"],["w","i32"]], result: "i32" },
    { name: "forest_set_range_aware", params: [["h","i32"],["on","i32"]], result: "i32" },
    { name: "forest_window_len", params: [["h","i32"]], result: "i32" },
    { name: "forest_is_fitted", params: [["h","i32"]], result: "i32" },
    { name: "forest_max_depth", params: [["h","i32"]], result: "i32" },
    { name: "forest_count", params: [], result: "i32" },
    { name: "memory_bytes", params: [], result: "f64" },
    { name: "avg_path_length", params: [["n","i32"]], result: "f64" },
    { name: "forest_snapshot_size", params: [["h","i32"]], result: "f64" },
    { name: "forest_snapshot", params: [["h","i32"],["out_ptr","i32"],["cap","i32"]], result: "i32" },
    { name: "forest_restore", params: [["in_ptr","i32"],["len","i32"]], result: "i32" },
  ],
} as const;

/** Snapshot format constants (docs/kernel.md, "Snapshot format"); HEADER gives each header field's byte offset and type. */
export const SNAPSHOT = {
  /** magic: the bytes "MIFS" read as a little-endian u32 */
  MAGIC: 0x5346494d,
  /** snapshot format version written and accepted */
  FORMAT_VERSION: 1,
  /** fixed header */
  HEADER_BYTES: 64,
  /** RNG state after the header (4 x u64) */
  RNG_BYTES: 32,
  /** one tree node in a snapshot */
  NODE_BYTES: 16,
  /** CRC-32 trailer */
  TRAILER_BYTES: 4,
  /** flags bit: the model has trees */
  FLAG_BUILT: 1,
  /** flags bit: range-aware scoring on */
  FLAG_RANGE_AWARE: 2,
  /** feature field of a leaf node in a snapshot */
  LEAF_FEATURE: -1,
  HEADER: {
    magic: { offset: 0, type: "u32" },
    format_version: { offset: 4, type: "u16" },
    abi_version: { offset: 6, type: "u16" },
    total_bytes: { offset: 8, type: "u32" },
    header_bytes: { offset: 12, type: "u32" },
    trees: { offset: 16, type: "i32" },
    psi: { offset: 20, type: "i32" },
    dims: { offset: 24, type: "i32" },
    window_cap: { offset: 28, type: "i32" },
    window_count: { offset: 32, type: "i32" },
    window_head: { offset: 36, type: "i32" },
    since_rebuild: { offset: 40, type: "i32" },
    next_tree: { offset: 44, type: "i32" },
    max_depth: { offset: 48, type: "i32" },
    flags: { offset: 52, type: "u32" },
    total_nodes: { offset: 56, type: "u32" },
    reserved: { offset: 60, type: "u32" },
  },
} as const;
