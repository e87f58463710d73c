import type { Pod } from 'kubernetes-types/core/v1';

/**
 * Where workers report what happened to a pod, in the kubelet's event vocabulary (Created,
 * Started, Killing, BackOff, Failed). The agent logs them; the mirror side posts them as Events.
 */
export interface PodEventSink {
  podEvent(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string, containerName?: string): void;
}

export const noEvents: PodEventSink = { podEvent() {} };
