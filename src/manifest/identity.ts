// Static pod identity (upstream pkg/kubelet/config/common.go applyDefaults): the node-suffixed
// name, the content-derived UID, the config annotations and the file-pod toleration.
import { createHash } from 'node:crypto';
import type { Pod } from 'kubernetes-types/core/v1';
import { applyApiDefaults } from './defaults.js';
import { canonicalJson, cloneJson, isObject, isUnset, type JsonObject } from './json.js';
import type { StaticIdentity } from './types.js';

export const CONFIG_HASH_ANNOTATION = 'kubernetes.io/config.hash';
export const CONFIG_SOURCE_ANNOTATION = 'kubernetes.io/config.source';
export const CONFIG_SEEN_ANNOTATION = 'kubernetes.io/config.seen';

/**
 * 32 hex chars of md5 over the pod as decoded (canonical JSON, sorted keys) plus the node and the
 * manifest's location. Any change to the manifest, another node or another path gives a new UID,
 * which is what makes an edited manifest replace the old pod (as upstream).
 */
export function staticPodUid(decoded: unknown, identity: StaticIdentity): string {
  const hash = createHash('md5');
  hash.update(canonicalJson(decoded));
  hash.update(`host:${identity.nodeName}`);
  hash.update(identity.source === 'file' ? `file:${identity.origin}` : `url:${identity.origin}`);
  return hash.digest('hex');
}

/** `<name>-<lowercase(nodeName)>`, as upstream generatePodName. */
export function staticPodName(name: string, nodeName: string): string {
  return `${name}-${nodeName.toLowerCase()}`;
}

/** Upstream AddOrUpdateTolerationInPod for `{operator: Exists, effect: NoExecute}`. */
function addNoExecuteToleration(spec: JsonObject): void {
  if (spec.tolerations !== undefined && spec.tolerations !== null && !Array.isArray(spec.tolerations)) return;
  const wanted = { operator: 'Exists', effect: 'NoExecute' };
  const list = Array.isArray(spec.tolerations) ? spec.tolerations : [];
  const same = (t: unknown): boolean =>
    isObject(t) && isUnset(t.key) && t.operator === 'Exists' && isUnset(t.value) && t.effect === 'NoExecute';
  spec.tolerations = list.some(same) ? list.map((t) => (same(t) ? { ...wanted } : t)) : [...list, wanted];
}

/** Upstream static-pod defaulting + identity; returns a new object, input untouched. */
export function toStaticPod(pod: Pod, identity: StaticIdentity): Pod {
  // The input is usually an untrusted decoded object typed as Pod; fields of the wrong type are left
  // alone here so that validation can report them instead of them being silently replaced.
  const out = cloneJson(pod) as unknown as JsonObject;
  if (out.metadata === undefined || out.metadata === null) out.metadata = {};
  if (out.spec === undefined || out.spec === null) out.spec = {};
  const meta = out.metadata;
  const spec = out.spec;

  const generatedUid = staticPodUid(pod, identity);
  let uid = generatedUid;
  if (isObject(meta)) {
    if (isUnset(meta.uid)) meta.uid = generatedUid;
    else if (typeof meta.uid === 'string') uid = meta.uid;
    if (typeof meta.name === 'string' && meta.name !== '') meta.name = staticPodName(meta.name, identity.nodeName);
    if (isUnset(meta.namespace)) meta.namespace = 'default';
    if (meta.annotations === undefined || meta.annotations === null) meta.annotations = {};
    if (isObject(meta.annotations)) {
      meta.annotations = {
        ...meta.annotations,
        [CONFIG_HASH_ANNOTATION]: uid,
        [CONFIG_SOURCE_ANNOTATION]: identity.source,
        [CONFIG_SEEN_ANNOTATION]: (identity.seen ?? new Date()).toISOString(),
      };
    }
  }
  if (isObject(spec)) {
    spec.nodeName = identity.nodeName;
    // File pods tolerate every NoExecute taint so node problems never evict them (upstream).
    if (identity.source === 'file') addNoExecuteToleration(spec);
  }
  applyApiDefaults(out);
  return out as unknown as Pod;
}

/** `<metadata.name>_<metadata.namespace>`: the key under which two pods collide. */
export function podFullName(pod: Pod): string {
  return `${pod.metadata?.name ?? ''}_${pod.metadata?.namespace ?? ''}`;
}
