import type { Container, Pod } from 'kubernetes-types/core/v1';
import type { ContainerRecord } from '../runtime/types.js';

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

export function restartPolicyOf(pod: Pod): RestartPolicy {
  const p = pod.spec?.restartPolicy;
  return p === 'OnFailure' || p === 'Never' ? p : 'Always';
}

/** Whether an exited app container is started again, by the pod's restartPolicy. */
export function shouldRestart(policy: RestartPolicy, exited: ContainerRecord): boolean {
  if (policy === 'Always') return true;
  if (policy === 'Never') return false;
  return exited.exitCode !== 0;
}

/** Grace period for stopping the pod's containers (the pod's terminationGracePeriodSeconds, default 30). */
export function gracePeriodOf(pod: Pod): number {
  const g = pod.spec?.terminationGracePeriodSeconds;
  return typeof g === 'number' && g >= 0 ? g : 30;
}

/** A sidecar: an init container with its own restartPolicy Always (Kubernetes 1.29+). */
export function isSidecar(c: Container): boolean {
  return c.restartPolicy === 'Always';
}
