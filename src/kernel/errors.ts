// Error codes of the kernel (assembly/errors.ts) and the Error subclass the host throws.

export const KERNEL_ERRORS = {
  [-1]: { name: 'ERR_HANDLE', meaning: 'unknown or already freed model handle' },
  [-2]: { name: 'ERR_PARAM', meaning: 'invalid parameter (trees, psi, dims or window out of range)' },
  [-3]: { name: 'ERR_EMPTY', meaning: 'no rows (n <= 0)' },
  [-4]: { name: 'ERR_BOUNDS', meaning: 'buffer outside the kernel heap' },
  [-5]: { name: 'ERR_NONFINITE', meaning: 'input contains NaN or Infinity' },
  [-6]: { name: 'ERR_NOMEM', meaning: 'out of memory in the kernel' },
  [-7]: { name: 'ERR_NOT_FITTED', meaning: 'model has no trees yet (fit it, or update it with at least min(psi, window) points)' },
  [-8]: { name: 'ERR_DIMS', meaning: 'row width differs from the model dims' },
  [-9]: { name: 'ERR_LIMIT', meaning: 'too many live models in this kernel instance' },
} as const satisfies Record<number, { name: string; meaning: string }>;

export type KernelErrorCode = keyof typeof KERNEL_ERRORS;

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
} as const;

export function describeCode(code: number): string {
  const e = (KERNEL_ERRORS as Record<number, { name: string; meaning: string }>)[code];
  return e ? `${e.name} (${code}): ${e.meaning}` : `unknown kernel error code ${code}`;
}

/** Thrown when a kernel export returns a negative code; `code` is that code. */
export class KernelError extends Error {
  readonly code: number;
  constructor(code: number, operation: string) {
    super(`kernel ${operation} failed: ${describeCode(code)}`);
    this.name = 'KernelError';
    this.code = code;
  }
}
