export { Kernel, IsolationForest, defaultKernelPath, readSnapshotHeader } from './forest.js';
export type { KernelExports, ForestOptions, SnapshotHeader } from './forest.js';
export { KernelError, ERR, KERNEL_ERRORS, describeCode } from './errors.js';
export { ABI_VERSION, KERNEL_EXPORTS, SNAPSHOT } from './abi.js';
