// Container names and labels as the kubelet's dockershim wrote them, so that `docker ps` on a berth
// node looks like on an upstream node, and so that an agent restart finds its containers again
// from the labels alone (no state files).
import { createHash } from 'node:crypto';
import type { Container } from 'kubernetes-types/core/v1';
import type { ContainerRecord, ContainerState } from '../types.js';
import type { ContainerInspect } from './engine-types.js';
import { KUBE_LABELS, type PodIdentity } from '../labels.js';

export const LABEL = {
  ...KUBE_LABELS,
  logPath: 'io.kubernetes.container.logpath',
  sandboxId: 'io.kubernetes.sandbox.id',
  /** dockershim's container type: `podsandbox` or `container`. */
  type: 'io.kubernetes.docker.type',
} as const;

export const SANDBOX_CONTAINER_NAME = 'POD';

export { podIdentity, type PodIdentity } from '../labels.js';

/** dockershim's naming: k8s_<container>_<pod>_<namespace>_<uid>_<attempt> (container POD for the sandbox). */
export function kubeletContainerName(container: string, pod: PodIdentity, attempt: number): string {
  return `k8s_${container}_${pod.name}_${pod.namespace}_${pod.uid}_${attempt}`;
}

/** A short digest of the container spec: tells a changed spec from the one a container was made from. */
export function containerHash(container: Container): string {
  return createHash('sha256').update(JSON.stringify(container)).digest('hex').slice(0, 16);
}

/** The label filter for every container this node's berth manages (Engine `filters` JSON). */
export function managedFilter(nodeName: string, extra: Record<string, string> = {}): string {
  const labels = [`${LABEL.managed}=true`, `${LABEL.node}=${nodeName}`];
  for (const [key, value] of Object.entries(extra)) labels.push(`${key}=${value}`);
  return JSON.stringify({ label: labels });
}

function realTime(value: string | undefined): string | undefined {
  if (!value || value.startsWith('0001-01-01')) return undefined;
  return value;
}

function stateOf(status: string): ContainerState {
  switch (status) {
    case 'created':
    case 'configured': // podman
    case 'initialized': // podman: runc created it, not started yet
      return 'created';
    case 'running':
    case 'paused':
    case 'restarting':
    case 'stopping': // podman
      return 'running';
    default:
      return 'exited'; // exited, dead, removing, stopped (podman)
  }
}

/** The kubelet's terminated reason for an exit. */
export function exitReason(state: ContainerInspect['State']): string {
  if (state.OOMKilled) return 'OOMKilled';
  return state.ExitCode === 0 ? 'Completed' : 'Error';
}

/** A ContainerRecord from an app container's inspect; undefined for containers berth did not make. */
export function recordFromInspect(info: ContainerInspect): ContainerRecord | undefined {
  const labels = info.Config.Labels ?? {};
  if (labels[LABEL.managed] !== 'true' || labels[LABEL.containerName] === SANDBOX_CONTAINER_NAME) return undefined;
  const state = stateOf(info.State.Status);
  const record: ContainerRecord = {
    id: info.Id,
    podUid: labels[LABEL.podUid] ?? '',
    podName: labels[LABEL.podName] ?? '',
    podNamespace: labels[LABEL.podNamespace] ?? '',
    containerName: labels[LABEL.containerName] ?? '',
    attempt: Number.parseInt(labels[LABEL.restartCount] ?? '0', 10) || 0,
    state,
    createdAt: info.Created,
    logPath: labels[LABEL.logPath] ?? '',
  };
  const startedAt = realTime(info.State.StartedAt);
  if (startedAt) record.startedAt = startedAt;
  const grace = Number.parseInt(labels[LABEL.gracePeriod] ?? '', 10);
  if (Number.isFinite(grace)) record.gracePeriodSeconds = grace;
  if (state === 'running' && info.State.Pid > 0) record.pid = info.State.Pid;
  if (state === 'exited') {
    record.exitCode = info.State.ExitCode;
    record.finishedAt = realTime(info.State.FinishedAt) ?? new Date().toISOString();
    record.reason = exitReason(info.State);
    if (info.State.Error) record.message = info.State.Error;
  }
  return record;
}
