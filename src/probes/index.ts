// Container probes (liveness, readiness, startup) and lifecycle hooks, driven by the pod workers.
export type { ExecInContainer, ProbeKind, ProbeOutcome, ProbeResult, ProbeTarget } from './types.js';
export { ProbeWorker, nextAttemptAt, SLOT_MS, type ProbeWorkerOptions } from './worker.js';
export { probeTiming, runProbe, type ProbeTiming } from './prober.js';
export { PROBE_USER_AGENT } from './http.js';
export { runHook, podDescription, type HookContext } from './hooks.js';
