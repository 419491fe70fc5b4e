// Error codes returned by every export (ABI v1). 0 = ok; a handle is >= 0; errors are < 0.
// The kernel never traps on bad input: it validates and returns one of these instead.
// Keep in sync with docs/kernel.md and src/kernel/errors.ts.

/** Unknown handle: never returned by forest_new, or already freed. */
export const ERR_HANDLE: i32 = -1;
/** Invalid parameter: trees, psi, dims or window out of range (see limits in forest.ts). */
export const ERR_PARAM: i32 = -2;
/** No rows: n <= 0. */
export const ERR_EMPTY: i32 = -3;
/** A pointer/length pair reaches outside the heap (below the heap base or past memory end). */
export const ERR_BOUNDS: i32 = -4;
/** An input value is NaN or +-Infinity. */
export const ERR_NONFINITE: i32 = -5;
/** Out of memory: memory.grow failed or a size overflowed 32-bit memory. */
export const ERR_NOMEM: i32 = -6;
/** score before the model has trees (no fit, and the window has not yet held enough points). */
export const ERR_NOT_FITTED: i32 = -7;
/** Row width differs from the model's dims. Detected by hosts (the raw ABI passes n rows of dims f64). */
export const ERR_DIMS: i32 = -8;
/** Too many live models in this instance (2^20). */
export const ERR_LIMIT: i32 = -9;
