// Generated from assembly/abi.json by scripts/build-wasm.mjs: do not edit (edit abi.json, then run node scripts/build-wasm.mjs).
// Kernel ABI constants: the ABI version, the error codes every export returns (0 = ok, a handle
// is >= 0, errors are < 0; the kernel never traps on bad input) and the snapshot format.

/** Kernel ABI version, returned by abi_version(). */
export const ABI_VERSION: i32 = 1;

/** unknown handle: never returned by `forest_new` or `forest_restore`, negative, or already freed */
export const ERR_HANDLE: i32 = -1;
/** `trees` not in 1..100000, `psi` not in 1..2^24, `dims` not in 1..65536, or window not in 1..2^26; `forest_set_range_aware` with a flag other than 0 and 1, or 1 with `dims` above 16; `forest_snapshot` with `cap` below `forest_snapshot_size` */
export const ERR_PARAM: i32 = -2;
/** `n <= 0` */
export const ERR_EMPTY: i32 = -3;
/** `rows_ptr .. rows_ptr + n*dims*8`, `out_ptr .. out_ptr + n*8`, `out_ptr .. out_ptr + cap` or `in_ptr .. in_ptr + len` is not inside the heap (below the heap base, i.e. static data, or past the end of memory), or `cap` / `len` is negative */
export const ERR_BOUNDS: i32 = -4;
/** an input value is NaN, +Infinity or -Infinity */
export const ERR_NONFINITE: i32 = -5;
/** `memory.grow` failed or a size exceeds 32-bit memory (e.g. `trees * (2 psi - 1) * 24` bytes of trees) */
export const ERR_NOMEM: i32 = -6;
/** `forest_score` before the model has trees: no fit, and the window has not yet held `min(psi, window)` points */
export const ERR_NOT_FITTED: i32 = -7;
/** a row's width differs from the model's `dims`. The raw ABI passes `n` rows of `dims` values, so hosts detect this themselves (before calling the kernel) and report this code */
export const ERR_DIMS: i32 = -8;
/** 2^20 models are already live in this instance */
export const ERR_LIMIT: i32 = -9;
/** `forest_restore`: not a snapshot this kernel can read: wrong magic, shorter or longer than the length in its header, CRC-32 mismatch, or contents that fail validation (parameters out of range, malformed trees, non-finite values, non-zero padding) */
export const ERR_SNAPSHOT: i32 = -10;
/** `forest_restore`: the magic matches but the snapshot's format version or kernel ABI version is not this kernel's (checked before the length and the checksum) */
export const ERR_SNAPSHOT_VERSION: i32 = -11;

// snapshot format (docs/kernel.md, "Snapshot format")
/** magic: the bytes "MIFS" read as a little-endian u32 */
export const SNAP_MAGIC: u32 = 0x5346494d;
/** snapshot format version written and accepted */
export const SNAP_FORMAT_VERSION: i32 = 1;
/** fixed header */
export const SNAP_HEADER_BYTES: usize = 64;
/** RNG state after the header (4 x u64) */
export const SNAP_RNG_BYTES: usize = 32;
/** one tree node in a snapshot */
export const SNAP_NODE_BYTES: usize = 16;
/** CRC-32 trailer */
export const SNAP_TRAILER_BYTES: usize = 4;
/** flags bit: the model has trees */
export const SNAP_FLAG_BUILT: u32 = 1;
/** flags bit: range-aware scoring on */
export const SNAP_FLAG_RANGE_AWARE: u32 = 2;
/** feature field of a leaf node in a snapshot */
export const SNAP_LEAF_FEATURE: i32 = -1;
// header field offsets
/** u32: the bytes `M I F S` (u32 0x5346494d) */
export const SNAP_OFF_MAGIC: usize = 0;
/** u16: snapshot format version, 1 */
export const SNAP_OFF_FORMAT_VERSION: usize = 4;
/** u16: kernel ABI version of the writer, 1 */
export const SNAP_OFF_ABI_VERSION: usize = 6;
/** u32: length of the whole snapshot, header and checksum included */
export const SNAP_OFF_TOTAL_BYTES: usize = 8;
/** u32: 64 */
export const SNAP_OFF_HEADER_BYTES: usize = 12;
/** i32: trees */
export const SNAP_OFF_TREES: usize = 16;
/** i32: requested sub-sample size */
export const SNAP_OFF_PSI: usize = 20;
/** i32: values per row */
export const SNAP_OFF_DIMS: usize = 24;
/** i32: window capacity in rows */
export const SNAP_OFF_WINDOW_CAP: usize = 28;
/** i32: rows held in the window (0..window_cap) */
export const SNAP_OFF_WINDOW_COUNT: usize = 32;
/** i32: ring slot the next row is written to (= window_count while the window is not full) */
export const SNAP_OFF_WINDOW_HEAD: usize = 36;
/** i32: rows added since the last tree rebuild */
export const SNAP_OFF_SINCE_REBUILD: usize = 40;
/** i32: tree rebuilt next (0..trees-1) */
export const SNAP_OFF_NEXT_TREE: usize = 44;
/** i32: deepest leaf of the trees grown so far (forest_max_depth) */
export const SNAP_OFF_MAX_DEPTH: usize = 48;
/** u32: bit 0: built (the model has trees); bit 1: range-aware scoring on; other bits 0 */
export const SNAP_OFF_FLAGS: usize = 52;
/** u32: nodes over all trees (0 when not built) */
export const SNAP_OFF_TOTAL_NODES: usize = 56;
/** u32: 0 */
export const SNAP_OFF_RESERVED: usize = 60;
