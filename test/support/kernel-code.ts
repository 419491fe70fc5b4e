import { KernelError } from '../../src/kernel/index.js';

/** The kernel error code fn() throws (as a KernelError), or 0 when it returns. */
export function codeOf(fn: () => unknown): number {
  try {
    fn();
    return 0;
  } catch (e) {
    if (e instanceof KernelError) return e.code;
    throw e;
  }
}
