// What a mirror pod is, as pure functions: built from a static pod, recognised as belonging to this
// node, judged outdated, and the status patch that brings it up to date.
// Upstream: pkg/kubelet/pod/mirror_client.go and pkg/kubelet/types/pod_update.go.
import type { Pod, PodStatus } from 'kubernetes-types/core/v1';

export const CONFIG_MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';
export const CONFIG_HASH_ANNOTATION = 'kubernetes.io/config.hash';

export function podPath(namespace: string, name?: string): string {
  const base = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`;
  return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
}

/** `namespace/name`: static pod and mirror share it. */
export function podKey(p: Pod): string {
  return `${p.metadata?.namespace || 'default'}/${p.metadata?.name ?? ''}`;
}

/** The hash the mirror must carry: the static pod's config.hash (its UID when missing). */
export function staticPodHash(p: Pod): string {
  return p.metadata?.annotations?.[CONFIG_HASH_ANNOTATION] ?? p.metadata?.uid ?? '';
}

export function mirrorHash(p: Pod): string | undefined {
  return p.metadata?.annotations?.[CONFIG_MIRROR_ANNOTATION];
}

/** The Node owner reference of a mirror pod, if any. */
function nodeOwner(p: Pod, nodeName: string) {
  return p.metadata?.ownerReferences?.find((r) => r.kind === 'Node' && r.name === nodeName && (r.apiVersion === 'v1' || r.apiVersion === undefined));
}

/** A mirror pod of this node: owned by our Node, or bound to it and carrying the mirror annotation. */
export function isMirrorOfNode(p: Pod, nodeName: string): boolean {
  if (nodeOwner(p, nodeName)) return true;
  return p.spec?.nodeName === nodeName && mirrorHash(p) !== undefined;
}

/** The mirror to create for a static pod: a copy without server-owned fields, plus hash and owner. */
export function buildMirror(staticPod: Pod, nodeName: string, nodeUid: string): Pod {
  const m = staticPod.metadata ?? {};
  const meta: NonNullable<Pod['metadata']> = {
    name: m.name,
    namespace: m.namespace || 'default',
    annotations: { ...m.annotations, [CONFIG_MIRROR_ANNOTATION]: staticPodHash(staticPod) },
    ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: nodeUid, controller: true }],
  };
  if (m.labels && Object.keys(m.labels).length) meta.labels = { ...m.labels };
  const spec = { ...staticPod.spec!, nodeName: staticPod.spec?.nodeName || nodeName };
  return { apiVersion: 'v1', kind: 'Pod', metadata: meta, spec };
}

/**
 * Why an existing mirror must be deleted and created again, or undefined when it is current:
 * it is being deleted, it mirrors another version of the manifest, or its owner is an earlier
 * Node object of the same name (it would be garbage-collected).
 */
export function outdatedReason(mirror: Pod, staticPod: Pod, nodeName: string, nodeUid: string | undefined): string | undefined {
  if (mirror.metadata?.deletionTimestamp) return 'it is being deleted';
  const want = staticPodHash(staticPod);
  const have = mirrorHash(mirror);
  if (have !== want) return `it mirrors config.hash ${have ?? '(none)'}, the static pod now has ${want}`;
  const owner = nodeOwner(mirror, nodeName);
  if (nodeUid && owner && owner.uid !== nodeUid) return 'its owner is an earlier Node object of the same name';
  return undefined;
}

/**
 * Merge patch that makes the stored status equal to `desired`: top-level fields the stored status
 * has and `desired` lacks are set to null (a merge patch keeps what it does not mention); lists are
 * replaced whole by a merge patch, so conditions and container statuses need nothing special.
 */
export function statusPatch(desired: PodStatus, stored: PodStatus | undefined): { status: Record<string, unknown> } {
  const status: Record<string, unknown> = { ...desired };
  for (const k of Object.keys(stored ?? {})) if (!(k in status)) status[k] = null;
  return { status };
}

/**
 * The status to write to an existing mirror: `desired`, except that the startTime the mirror
 * already shows is kept when it is earlier, or when the restarted agent has not synced the pod yet
 * (no startTime of its own). After an agent restart the adopted pod did not start again, and a
 * real kubelet's status manager keeps the old StartTime the same way (status_manager.go).
 */
export function keepStartTime(desired: PodStatus, stored: PodStatus | undefined): PodStatus {
  const was = stored?.startTime;
  if (!was) return desired;
  if (desired.startTime && Date.parse(was) >= Date.parse(desired.startTime)) return desired;
  return { ...desired, startTime: was };
}
