// Pod status as the kubelet reports it, computed from a worker's view: phase (by the kubelet's
// getPhase rules), conditions, and one ContainerStatus per container.
import type { Container, ContainerState, ContainerStatus, Pod, PodCondition, PodStatus } from 'kubernetes-types/core/v1';
import type { ContainerRecord } from '../runtime/types.js';
import type { ContainerView, PodView } from '../workers/view.js';

export function podWithStatus(view: PodView): Pod {
  return { ...view.pod, status: podStatus(view) };
}

export function podStatus(view: PodView): PodStatus {
  const pod = view.pod;
  const specs = new Map<string, Container>();
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) specs.set(c.name, c);
  const init = view.containers.filter((c) => c.init).map((c) => containerStatus(c, specs.get(c.name), view.runtime));
  const app = view.containers.filter((c) => !c.init).map((c) => containerStatus(c, specs.get(c.name), view.runtime));
  const initialized = view.containers.filter((c) => c.init).every((c) => c.current?.state === 'exited' && c.current.exitCode === 0);
  const phase = podPhase(pod, app, initialized, view);
  const ready = phase === 'Running' && app.length > 0 && app.every((c) => c.ready) && !view.terminating;
  const since = view.startTime ?? pod.metadata?.annotations?.['kubernetes.io/config.seen'] ?? new Date(0).toISOString();
  const notReady = app.filter((c) => !c.ready).map((c) => c.name);
  const readyMessage = notReady.length ? `containers with unready status: [${notReady.join(' ')}]` : undefined;
  const conditions: PodCondition[] = [
    condition('PodReadyToStartContainers', view.sandbox !== undefined, since),
    condition('Initialized', initialized, since, initialized ? undefined : 'ContainersNotInitialized'),
    condition('Ready', ready, since, ready ? undefined : 'ContainersNotReady', ready ? undefined : readyMessage),
    condition('ContainersReady', ready, since, ready ? undefined : 'ContainersNotReady', ready ? undefined : readyMessage),
    condition('PodScheduled', true, pod.metadata?.annotations?.['kubernetes.io/config.seen'] ?? since),
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
  const failedInit = view.containers.some((c) => c.init && c.current?.state === 'exited' && c.current.exitCode !== 0);
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

function containerStatus(view: ContainerView, spec: Container | undefined, runtime: string): ContainerStatus {
  const cur = view.current;
  const running = cur?.state === 'running';
  const status: ContainerStatus = {
    name: view.name,
    image: spec?.image ?? '',
    imageID: '',
    ready: running && !view.init && spec?.readinessProbe === undefined,
    restartCount: cur?.attempt ?? 0,
    started: running,
    state: stateOf(view, runtime),
    lastState: {},
  };
  // The lastState is the attempt before the current one; while waiting to restart, it is the
  // current (exited) one, and the state is "waiting" (the kubelet's CrashLoopBackOff shape).
  const last = view.waiting && cur?.state === 'exited' ? cur : view.previous;
  if (last?.state === 'exited') status.lastState = { terminated: terminated(last, runtime) };
  if (cur) status.containerID = containerID(cur, runtime);
  return status;
}

function stateOf(view: ContainerView, runtime: string): ContainerState {
  const cur = view.current;
  if (view.waiting) return { waiting: { reason: view.waiting.reason, ...(view.waiting.message ? { message: view.waiting.message } : {}) } };
  if (!cur) return { waiting: { reason: 'ContainerCreating' } };
  if (cur.state === 'running') return { running: { startedAt: cur.startedAt ?? cur.createdAt } };
  if (cur.state === 'created') return { waiting: { reason: 'ContainerCreating' } };
  return { terminated: terminated(cur, runtime) };
}

function terminated(rec: ContainerRecord, runtime: string): NonNullable<ContainerState['terminated']> {
  // An exit whose code was lost (container and supervisor gone while the agent was down) is shown
  // the way the kubelet shows a container it cannot find any more.
  if (rec.exitCode === undefined || rec.reason === 'Unknown') {
    return {
      exitCode: 137,
      reason: 'ContainerStatusUnknown',
      message: rec.message ?? 'The container could not be located when the pod was terminated',
      startedAt: rec.startedAt ?? rec.createdAt,
      finishedAt: rec.finishedAt ?? rec.startedAt ?? rec.createdAt,
      containerID: containerID(rec, runtime),
    };
  }
  return {
    exitCode: rec.exitCode,
    reason: rec.reason ?? (rec.exitCode === 0 ? 'Completed' : 'Error'),
    ...(rec.message ? { message: rec.message } : {}),
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
