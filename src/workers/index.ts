export { PodManager, type PodChanges, type PodManagerOptions } from './manager.js';
export { PodWorker, podKey, podLogDir } from './pod-worker.js';
export { CrashLoopBackoff, BACKOFF_INITIAL_MS, BACKOFF_MAX_MS, BACKOFF_RESET_MS } from './backoff.js';
export { type PodEventSink, noEvents } from './events.js';
export type { PodView, ContainerView } from './view.js';
