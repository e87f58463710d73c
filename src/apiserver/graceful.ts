// Graceful deletion of pods, as the pod registry's strategy decides it (pkg/registry/core/pod,
// CheckGracefulDeleteStrategy): a pod bound to a node and not yet Succeeded/Failed is not removed
// at once; it gets a deletionTimestamp (now + grace) and stays, shown Terminating, until its node
// deletes it for good with grace period 0. Only a mirror pod has such a node agent here (the
// berth that created it deletes it once its static pod has stopped); any other pod of the
// embedded API is run by nobody, so it goes at once, as an unscheduled pod does upstream. And
// only a DELETE that names its grace period is graceful (berth's own, for a stopping static pod,
// or `kubectl delete --grace-period=N`): a plain `kubectl delete` of a mirror pod removes it at
// once, and berth creates it again, which is where a kubelet's cluster ends up too.
import type { KubeObject } from './resources.js';
import { MIRROR_ANNOTATION } from './validate.js';

/** The grace period a DELETE of this pod gets (0: removed at once). */
export function podDeletionGrace(pod: KubeObject, options: Record<string, unknown>): number {
  const spec = (pod['spec'] ?? {}) as { nodeName?: string; terminationGracePeriodSeconds?: number };
  const phase = ((pod['status'] ?? {}) as { phase?: string }).phase;
  if (!spec.nodeName || phase === 'Succeeded' || phase === 'Failed') return 0;
  if (pod.metadata.annotations?.[MIRROR_ANNOTATION] === undefined) return 0;
  const asked = options['gracePeriodSeconds'];
  return typeof asked === 'number' && Number.isFinite(asked) ? Math.max(0, Math.floor(asked)) : 0;
}

/**
 * The pod marked as being deleted, or undefined when it already is and the new request does not
 * shorten its grace period (a second DELETE changes nothing then, as upstream).
 */
export function markDeleting(pod: KubeObject, grace: number, now: number): KubeObject | undefined {
  const m = pod.metadata;
  if (m.deletionTimestamp && (m.deletionGracePeriodSeconds ?? Infinity) <= grace) return undefined;
  const at = new Date(Math.floor(now / 1000) * 1000 + grace * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  return { ...pod, metadata: { ...m, deletionTimestamp: at, deletionGracePeriodSeconds: grace } };
}
