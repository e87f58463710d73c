// The node's pods as the operator commands find them: from the node API's /pods, by their full
// name or, for a static pod, by its manifest name without the `-<node>` suffix.
import type { Pod, PodList } from 'kubernetes-types/core/v1';
import { OpsError } from './errors.js';
import type { NodeApiClient } from './node-api-client.js';

export async function listPods(client: NodeApiClient, namespace?: string): Promise<Pod[]> {
  const list = await client.getJson<PodList>('/pods');
  return list.items.filter((p) => namespace === undefined || (p.metadata?.namespace ?? 'default') === namespace).map(withCreationTime);
}

/**
 * A static pod has no creationTimestamp on the node (no API server made it): its age is counted
 * from when the agent first saw its manifest (kubernetes.io/config.seen), else from its start.
 */
function withCreationTime(pod: Pod): Pod {
  if (pod.metadata?.creationTimestamp) return pod;
  const seen = pod.metadata?.annotations?.['kubernetes.io/config.seen'] ?? pod.status?.startTime;
  return seen ? { ...pod, metadata: { ...pod.metadata, creationTimestamp: seen } } : pod;
}

/** The pod called `name` (or `name-<node>`); an OpsError naming the pods there are when there is none. */
export function findPod(pods: Pod[], name: string, namespace: string | undefined): Pod {
  const exact = pods.filter((p) => p.metadata?.name === name);
  const matches = exact.length ? exact : pods.filter((p) => p.metadata?.name === `${name}-${p.spec?.nodeName}`);
  if (matches.length === 1) return matches[0]!;
  const where = namespace === undefined ? 'on this node' : `in namespace "${namespace}" on this node`;
  if (matches.length > 1) {
    const namespaces = matches.map((p) => p.metadata?.namespace ?? 'default').join(', ');
    throw new OpsError(`pod "${name}" is in several namespaces (${namespaces}): pick one with -n`);
  }
  const names = pods.map((p) => p.metadata?.name).join(', ');
  throw new OpsError(`pod "${name}" not found ${where}; ${pods.length ? `its pods: ${names}` : 'it runs no pods'} (see "berth get pods")`);
}

/**
 * The container a command addresses: the one asked for, else the only one, else the pod's
 * kubectl.kubernetes.io/default-container, else the first (said on stderr, as kubectl does).
 */
export function pickContainer(pod: Pod, asked: string | undefined, warn: (line: string) => void): string {
  const names = (pod.spec?.containers ?? []).map((c) => c.name);
  const all = [...names, ...(pod.spec?.initContainers ?? []).map((c) => c.name)];
  if (asked !== undefined) {
    if (!all.includes(asked)) throw new OpsError(`container "${asked}" not found in pod "${pod.metadata?.name}" (its containers: ${all.join(', ')})`);
    return asked;
  }
  if (names.length === 1) return names[0]!;
  const preferred = pod.metadata?.annotations?.['kubectl.kubernetes.io/default-container'];
  const chosen = preferred && names.includes(preferred) ? preferred : names[0]!;
  if (chosen !== preferred) warn(`Defaulted container "${chosen}" out of: ${names.join(', ')}\n`);
  return chosen;
}
