export { Kernel, IsolationForest, defaultKernelPath, ABI_VERSION } from './forest.js';
export type { KernelExports, ForestOptions } from './forest.js';
export { KernelError, ERR, KERNEL_ERRORS, describeCode } from './errors.js';
