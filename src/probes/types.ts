// What one probe attempt (or one hook) needs and what it gives back, independent of its kind.
import type { Container } from 'kubernetes-types/core/v1';
import type { ExecSyncResult } from '../runtime/types.js';

/**
 * The kubelet's probe results: `warning` is a success that deserves a ProbeWarning event (an
 * httpGet redirect to another host); `unknown` is an error of the prober itself (the container
 * could not be exec'ed into), whose result the kubelet throws away instead of counting it.
 */
export type ProbeResult = 'success' | 'warning' | 'failure' | 'unknown';

export interface ProbeOutcome {
  result: ProbeResult;
  /** What the kubelet puts after "probe failed: " (or "probe warning: ") in the Unhealthy event. */
  output: string;
}

/** Runs a command inside the container (the runtime's execSync, bound to one container). */
export type ExecInContainer = (command: string[], timeoutMs: number) => Promise<ExecSyncResult>;

/** The container a probe or hook acts on. */
export interface ProbeTarget {
  /** Where httpGet, tcpSocket and grpc go when they name no host. */
  podIP: string;
  /** Its spec: named ports are looked up in `ports`. */
  container: Container;
  exec: ExecInContainer;
}

/** The kubelet's probe kinds, with the capitalised names its events use. */
export type ProbeKind = 'Liveness' | 'Readiness' | 'Startup';
