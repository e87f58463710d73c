// The process runtime: containers as supervised host processes (no container engine).
export { ProcessRuntime, type ProcessRuntimeOptions } from './runtime.js';
export { firstNodeIPv4, defaultShimPath, DEFAULT_PATH } from './host.js';
export type { CgroupUsage } from '../../cgroups/index.js';
export type { PodWarning } from './isolation.js';
