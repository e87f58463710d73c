// The names under which every engine runtime marks what it creates, so that a restarted agent
// finds its pods again. The io.kubernetes.* ones are the kubelet's own (as `docker ps` or
// `crictl` show them on an upstream node); berth.* keep agents that share an engine apart.
import type { Pod } from 'kubernetes-types/core/v1';

export const KUBE_LABELS = {
  podName: 'io.kubernetes.pod.name',
  podNamespace: 'io.kubernetes.pod.namespace',
  podUid: 'io.kubernetes.pod.uid',
  containerName: 'io.kubernetes.container.name',
  restartCount: 'io.kubernetes.container.restartCount',
  gracePeriod: 'io.kubernetes.pod.terminationGracePeriod',
  managed: 'berth.managed',
  /** The agent's node name: agents sharing one engine (tests, benchmarks, two nodes) keep apart. */
  node: 'berth.node',
  hash: 'berth.container.hash',
  /** The kubelet's annotations for reading the termination message after the exit. */
  terminationMessagePath: 'io.kubernetes.container.terminationMessagePath',
  terminationMessagePolicy: 'io.kubernetes.container.terminationMessagePolicy',
} as const;

export interface PodIdentity {
  name: string;
  namespace: string;
  uid: string;
}

export function podIdentity(pod: Pod): PodIdentity {
  return {
    name: pod.metadata?.name ?? '',
    namespace: pod.metadata?.namespace ?? 'default',
    uid: pod.metadata?.uid ?? '',
  };
}
