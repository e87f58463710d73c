// The kubelet's admission of a pod before any of its containers is created (upstream
// pkg/kubelet/lifecycle/predicate.go, the checks that apply to a static pod on its own node). A
// rejected pod is never started: its status is phase Failed with the reason, and its message is
// "Pod was rejected: " followed by the predicate's words, as the kubelet's rejectPod writes them.
import type { Pod } from 'kubernetes-types/core/v1';
import { podMatchesNode, type NodeIdentity } from './node-affinity.js';

export interface Rejection {
  /** The status reason and the event reason, e.g. `NodeAffinity`. */
  reason: string;
  /** The event message; the status message is `Pod was rejected: ` + this. */
  message: string;
}

/** The only OS this agent runs pods on (Node's process.platform spelling matches Go's GOOS here). */
const NODE_OS = 'linux';
const OS_LABEL = 'kubernetes.io/os';

export function admitPod(pod: Pod, node: NodeIdentity): Rejection | undefined {
  // Checks that no preemption could fix come first, in upstream's order.
  const osLabel = pod.metadata?.labels?.[OS_LABEL];
  if (osLabel !== undefined && osLabel !== NODE_OS) {
    return { reason: 'PodOSSelectorNodeLabelDoesNotMatch', message: "Failed to admit pod as the `kubernetes.io/os` label doesn't match node label" };
  }
  const osName = pod.spec?.os?.name;
  if (osName !== undefined && osName !== NODE_OS) {
    return { reason: 'PodOSNotSupported', message: "Failed to admit pod as the OS field doesn't match node OS" };
  }
  if (!podMatchesNode(pod, node)) {
    return { reason: 'NodeAffinity', message: "Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector" };
  }
  return undefined;
}

export function rejectionStatusMessage(r: Rejection): string {
  return `Pod was rejected: ${r.message}`;
}
