// Pod status as the kubelet reports it, computed from a worker's view: phase (by the kubelet's
// getPhase rules), conditions, and one ContainerStatus per container.
import type { Container, ContainerState, ContainerStatus, Pod, PodCondition, PodStatus } from 'kubernetes-types/core/v1';
import { rejectionStatusMessage } from '../admission/index.js';
import { podTerminationMessageBudget, truncateTerminationMessage } from '../runtime/termination-message.js';
import type { ContainerRecord } from '../runtime/types.js';
import type { ContainerView, PodView } from '../workers/view.js';

/**
 * The static pod with its status. A pod that is stopping carries a deletionTimestamp (when
 * stopping began) and its grace period, as a kubelet's terminating pod does: the mirror pod and
 * kubectl show it Terminating.
 */
export function podWithStatus(view: PodView): Pod {
  const pod: Pod = { ...view.pod, status: podStatus(view) };
  if (view.terminating && view.terminatingSince) {
    const g = view.pod.spec?.terminationGracePeriodSeconds;
    const grace = typeof g === 'number' && g >= 0 ? g : 30;
    // As the API server sets it: the moment the grace period ends.
    const at = Math.floor(Date.parse(view.terminatingSince) / 1000) * 1000 + grace * 1000;
    pod.metadata = { ...view.pod.metadata, deletionTimestamp: new Date(at).toISOString().replace(/\.\d+Z$/, 'Z'), deletionGracePeriodSeconds: grace };
  }
  return pod;
}

/**
 * When each condition of a pod last flipped. Kept per view (one per pod worker) so that a
 * condition's lastTransitionTime only moves when its status changes, as the kubelet's status
 * manager keeps it; a WeakMap, so a pod that is gone takes its history with it.
 */
const transitions = new WeakMap<PodView, Map<string, { status: string; at: string }>>();

function since(view: PodView, type: string, status: string, initial: string): string {
  let m = transitions.get(view);
  if (!m) {
    m = new Map();
    transitions.set(view, m);
  }
  const prev = m.get(type);
  if (prev && prev.status === status) return prev.at;
  // The first time a condition is seen it dates from the pod's start; later flips from now.
  const at = prev ? new Date().toISOString().replace(/\.\d+Z$/, 'Z') : initial;
  m.set(type, { status, at });
  return at;
}

export function podStatus(view: PodView): PodStatus {
  const pod = view.pod;
  // As the kubelet's rejectPod sets it: nothing but the phase, the reason and the message.
  if (view.rejected) return { phase: 'Failed', reason: view.rejected.reason, message: rejectionStatusMessage(view.rejected), qosClass: qosClass(pod) };
  const specs = new Map<string, Container>();
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) specs.set(c.name, c);
  // As the kubelet's status manager normalizes a status: all of a pod's termination messages
  // together stay within 12 KiB, whichever runtime read them.
  const budget = podTerminationMessageBudget(pod);
  const init = view.containers.filter((c) => c.init).map((c) => containerStatus(c, specs.get(c.name), view.runtime, budget));
  const hasInit = (pod.spec?.initContainers ?? []).length > 0;
  const app = view.containers.filter((c) => !c.init).map((c) => containerStatus(c, specs.get(c.name), view.runtime, budget, hasInit));
  const sidecars = view.containers.filter((c) => c.sidecar).map((c) => c.name);
  const incomplete = init
    .filter((c) => (sidecars.includes(c.name) ? !c.started : !(c.state?.terminated?.exitCode === 0)))
    .map((c) => c.name);
  const initialized = view.initialized || incomplete.length === 0;
  const phase = podPhase(pod, app, initialized, view);
  const unready = [...init.filter((c) => sidecars.includes(c.name)), ...app].filter((c) => !c.ready).map((c) => c.name);
  const ready = phase === 'Running' && app.length > 0 && unready.length === 0 && !view.terminating;
  const start = view.startTime ?? pod.metadata?.annotations?.['kubernetes.io/config.seen'] ?? new Date(0).toISOString();
  const completed = phase === 'Succeeded';
  const notReadyReason = completed ? 'PodCompleted' : 'ContainersNotReady';
  const readyMessage = !completed && unready.length ? `containers with unready status: [${unready.join(' ')}]` : undefined;
  const cond = (type: string, ok: boolean, reason?: string, message?: string, initial = start) =>
    condition(type, ok, since(view, type, ok ? 'True' : 'False', initial), ok ? undefined : reason, ok ? undefined : message);
  const conditions: PodCondition[] = [
    cond('PodReadyToStartContainers', view.sandbox !== undefined && !(view.terminating && completed)),
    cond('Initialized', initialized, completed ? 'PodCompleted' : 'ContainersNotInitialized', completed ? undefined : `containers with incomplete status: [${incomplete.join(' ')}]`),
    cond('Ready', ready, notReadyReason, readyMessage),
    cond('ContainersReady', ready, notReadyReason, readyMessage),
    cond('PodScheduled', true, undefined, undefined, pod.metadata?.annotations?.['kubernetes.io/config.seen'] ?? start),
  ];
  const status: PodStatus = {
    phase,
    conditions,
    qosClass: qosClass(pod),
    containerStatuses: app,
  };
  if (init.length) status.initContainerStatuses = init;
  if (view.sandbox) {
    status.hostIP = view.sandbox.hostIP;
    status.hostIPs = [{ ip: view.sandbox.hostIP }];
    status.podIP = view.sandbox.podIP;
    status.podIPs = [{ ip: view.sandbox.podIP }];
  }
  if (view.startTime) status.startTime = view.startTime;
  return status;
}

/** The kubelet's getPhase: a container waiting after it already ran counts as stopped, not waiting. */
function podPhase(pod: Pod, app: ContainerStatus[], initialized: boolean, view: PodView): string {
  const policy = pod.spec?.restartPolicy ?? 'Always';
  const failedInit = view.containers.some((c) => c.init && !c.sidecar && c.current?.state === 'exited' && c.current.exitCode !== 0);
  if (!initialized) return failedInit && policy === 'Never' ? 'Failed' : 'Pending';
  let waiting = 0;
  let running = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of app) {
    if (c.state?.running) running++;
    else if (c.state?.terminated) {
      stopped++;
      if (c.state.terminated.exitCode === 0) succeeded++;
    } else if (c.lastState?.terminated) stopped++;
    else waiting++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

function containerStatus(view: ContainerView, spec: Container | undefined, runtime: string, messageBudget: number, podHasInit = false): ContainerStatus {
  const cur = view.current;
  const running = cur?.state === 'running';
  const plainInit = view.init && !view.sidecar;
  const waiting = view.waiting !== undefined;
  // Probe results count only while the attempt runs; without any (an old view) running is enough.
  const started = running && !waiting && (plainInit || (view.started ?? true));
  const ready = plainInit
    ? cur?.state === 'exited' && cur.exitCode === 0
    : started && (view.ready ?? spec?.readinessProbe === undefined);
  const status: ContainerStatus = {
    name: view.name,
    image: spec?.image ?? '',
    imageID: '',
    ready,
    restartCount: cur?.attempt ?? 0,
    started,
    state: stateOf(view, runtime, messageBudget, podHasInit),
    lastState: {},
  };
  // The lastState is the attempt before the current one; while waiting to restart, it is the
  // current (exited) one, and the state is "waiting" (the kubelet's CrashLoopBackOff shape).
  const last = view.waiting && cur?.state === 'exited' ? cur : view.previous;
  if (last?.state === 'exited') status.lastState = { terminated: terminated(last, runtime, messageBudget) };
  if (cur) status.containerID = containerID(cur, runtime);
  return status;
}

function stateOf(view: ContainerView, runtime: string, messageBudget: number, podHasInit: boolean): ContainerState {
  const cur = view.current;
  // As the kubelet words it: the app containers of a pod with init containers are
  // PodInitializing, not ContainerCreating, until their first attempt runs.
  const creating = podHasInit && !view.init && !view.previous && (cur?.attempt ?? 0) === 0 ? 'PodInitializing' : 'ContainerCreating';
  if (view.waiting) {
    const reason = view.waiting.reason === 'ContainerCreating' ? creating : view.waiting.reason;
    return { waiting: { reason, ...(view.waiting.message ? { message: view.waiting.message } : {}) } };
  }
  if (!cur) return { waiting: { reason: creating } };
  if (cur.state === 'running') return { running: { startedAt: cur.startedAt ?? cur.createdAt } };
  if (cur.state === 'created') return { waiting: { reason: creating } };
  return { terminated: terminated(cur, runtime, messageBudget) };
}

function terminated(rec: ContainerRecord, runtime: string, messageBudget: number): NonNullable<ContainerState['terminated']> {
  const message = rec.message === undefined ? undefined : truncateTerminationMessage(rec.message, messageBudget);
  // An exit whose code was lost (container and supervisor gone while the agent was down) is shown
  // the way the kubelet shows a container it cannot find any more.
  if (rec.exitCode === undefined || rec.reason === 'Unknown') {
    return {
      exitCode: 137,
      reason: 'ContainerStatusUnknown',
      message: message ?? 'The container could not be located when the pod was terminated',
      startedAt: rec.startedAt ?? rec.createdAt,
      finishedAt: rec.finishedAt ?? rec.startedAt ?? rec.createdAt,
      containerID: containerID(rec, runtime),
    };
  }
  return {
    exitCode: rec.exitCode,
    reason: rec.reason ?? (rec.exitCode === 0 ? 'Completed' : 'Error'),
    ...(message ? { message } : {}),
    startedAt: rec.startedAt ?? rec.createdAt,
    finishedAt: rec.finishedAt ?? rec.startedAt ?? rec.createdAt,
    containerID: containerID(rec, runtime),
  };
}

/** As the kubelet shows it: `<runtime>://<id>`, e.g. containerd://0f3a... */
function containerID(rec: ContainerRecord, runtime: string): string {
  return `${runtime}://${rec.id}`;
}

function condition(type: string, ok: boolean, since: string, reason?: string, message?: string): PodCondition {
  return {
    type,
    status: ok ? 'True' : 'False',
    lastProbeTime: null as unknown as undefined,
    lastTransitionTime: since,
    ...(reason ? { reason } : {}),
    ...(message ? { message } : {}),
  };
}

/** Guaranteed when every container sets equal cpu and memory requests and limits; BestEffort when none set any. */
function qosClass(pod: Pod): string {
  const containers = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  const any = containers.some((c) => Object.keys(c.resources?.requests ?? {}).length || Object.keys(c.resources?.limits ?? {}).length);
  if (!any) return 'BestEffort';
  const guaranteed = containers.every((c) =>
    ['cpu', 'memory'].every((r) => {
      const limit = c.resources?.limits?.[r];
      const request = c.resources?.requests?.[r] ?? limit;
      return limit !== undefined && String(limit) === String(request);
    }),
  );
  return guaranteed ? 'Guaranteed' : 'Burstable';
}
