// The kernel's error codes and the Error subclass the host throws. The codes, names and messages
// are generated into abi.ts from assembly/abi.json (the one source of the kernel ABI's constants).
import { ERR, KERNEL_ERRORS } from './abi.js';

export { ERR, KERNEL_ERRORS };

export type KernelErrorCode = keyof typeof KERNEL_ERRORS;

/** "NAME (code): message" for a kernel error code, or "unknown kernel error code N". */
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
