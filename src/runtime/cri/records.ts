// CRI container status -> berth's ContainerRecord. Everything berth needs to recognise a container
// after an agent restart lives in its labels and annotations (set by container.ts).
import type { ContainerRecord, ContainerState } from '../types.js';
import { ANNOTATION_GRACE_PERIOD, ANNOTATION_RESTART_COUNT, LABEL_CONTAINER_NAME, LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID } from './sandbox.js';
import type { ContainerStatus, CriContainerState, Int64 } from './types.js';

/** A CRI nanosecond timestamp as an ISO string; undefined for 0 (not set). */
export function isoFromNanos(nanos: Int64 | number | undefined): string | undefined {
  if (nanos === undefined || nanos === '' || nanos === '0' || nanos === 0) return undefined;
  const ms = Number(BigInt(nanos) / 1_000_000n);
  return ms > 0 ? new Date(ms).toISOString() : undefined;
}

function stateOf(state: CriContainerState): ContainerState {
  switch (state) {
    case 'CONTAINER_CREATED':
      return 'created';
    case 'CONTAINER_RUNNING':
      return 'running';
    default:
      return 'exited';
  }
}

export function recordFromStatus(status: ContainerStatus, pid?: number): ContainerRecord {
  const labels = status.labels ?? {};
  const annotations = status.annotations ?? {};
  const restartCount = Number.parseInt(annotations[ANNOTATION_RESTART_COUNT] ?? '', 10);
  const createdAt = isoFromNanos(status.createdAt) ?? new Date(0).toISOString();
  const record: ContainerRecord = {
    id: status.id,
    podUid: labels[LABEL_POD_UID] ?? '',
    podName: labels[LABEL_POD_NAME] ?? '',
    podNamespace: labels[LABEL_POD_NAMESPACE] ?? '',
    containerName: labels[LABEL_CONTAINER_NAME] ?? status.metadata?.name ?? '',
    attempt: Number.isFinite(restartCount) ? restartCount : (status.metadata?.attempt ?? 0),
    state: stateOf(status.state),
    createdAt,
    logPath: status.logPath,
  };
  const startedAt = isoFromNanos(status.startedAt);
  if (startedAt) record.startedAt = startedAt;
  const grace = Number.parseInt(annotations[ANNOTATION_GRACE_PERIOD] ?? '', 10);
  if (Number.isFinite(grace)) record.gracePeriodSeconds = grace;
  if (pid !== undefined && pid > 0 && record.state === 'running') record.pid = pid;
  if (status.state === 'CONTAINER_UNKNOWN') {
    // containerd lost track of the task (its shim died): the exit code is gone.
    record.finishedAt = isoFromNanos(status.finishedAt) ?? new Date().toISOString();
    record.reason = 'Unknown';
    record.message = status.message || 'containerd reports the container state as unknown (its shim is gone)';
    return record;
  }
  if (record.state === 'exited') {
    record.exitCode = status.exitCode;
    record.finishedAt = isoFromNanos(status.finishedAt) ?? new Date().toISOString();
    record.reason = status.reason || (status.exitCode === 0 ? 'Completed' : 'Error');
    if (status.message) record.message = status.message;
  }
  return record;
}

/** The container's main process id, from a verbose ContainerStatus's info (containerd: {"pid": N, ...}). */
export function pidFromInfo(info: Record<string, string> | undefined): number | undefined {
  const text = info?.info;
  if (!text) return undefined;
  try {
    const parsed = JSON.parse(text) as { pid?: unknown };
    return typeof parsed.pid === 'number' ? parsed.pid : undefined;
  } catch {
    return undefined;
  }
}
