// Keeping pod objects stable across re-reads. A source re-decodes a manifest whenever it may have
// changed; when the result is the same pod, handing the merge the very same object (and the same
// `kubernetes.io/config.seen`) keeps the "did anything change?" checks cheap reference compares and
// keeps config.seen meaning "first seen", as upstream does.
import type { Pod } from 'kubernetes-types/core/v1';

export const CONFIG_SEEN_ANNOTATION = 'kubernetes.io/config.seen';

/** JSON of the pod without the config.seen annotation: two pods with equal keys are the same pod. */
export function podContentKey(pod: Pod): string {
  const seen = pod.metadata?.annotations?.[CONFIG_SEEN_ANNOTATION];
  if (seen === undefined) return JSON.stringify(pod);
  const annotations = { ...pod.metadata!.annotations };
  delete annotations[CONFIG_SEEN_ANNOTATION];
  return JSON.stringify({ ...pod, metadata: { ...pod.metadata, annotations } });
}

/**
 * The pod to use for `next` given what was there before. Same UID and same content (ignoring
 * config.seen): the previous object. Same UID with other content (a pinned metadata.uid): `next`
 * carrying the previous config.seen. Otherwise `next`.
 */
export function stablePod(previous: Pod | undefined, next: Pod): Pod {
  if (!previous || previous === next || previous.metadata?.uid !== next.metadata?.uid) return next;
  if (podContentKey(previous) === podContentKey(next)) return previous;
  const seen = previous.metadata?.annotations?.[CONFIG_SEEN_ANNOTATION];
  if (seen === undefined) return next;
  return {
    ...next,
    metadata: { ...next.metadata, annotations: { ...next.metadata?.annotations, [CONFIG_SEEN_ANNOTATION]: seen } },
  };
}

/** stablePod applied to a list, matching previous pods by UID. */
export function stablePods(previous: readonly Pod[], next: readonly Pod[]): Pod[] {
  if (previous.length === 0) return [...next];
  const byUid = new Map<string, Pod>();
  for (const p of previous) if (p.metadata?.uid) byUid.set(p.metadata.uid, p);
  return next.map((p) => stablePod(p.metadata?.uid ? byUid.get(p.metadata.uid) : undefined, p));
}
