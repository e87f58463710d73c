// One worker per pod (per UID). Every action on the pod — starting containers, restarting them,
// stopping the pod — runs on this worker's own serial queue, so two actions on one pod never
// interleave. Workers are the only callers of the runtime.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Container, Pod } from 'kubernetes-types/core/v1';
import type { Rejection } from '../admission/index.js';
import type { Logger } from '../log/index.js';
import { runHook, type ProbeTarget } from '../probes/index.js';
import { RuntimeError, type ContainerRecord, type Runtime } from '../runtime/types.js';
import { CrashLoopBackoff } from './backoff.js';
import type { PodEventSink } from './events.js';
import { gracePeriodOf, isSidecar, restartPolicyOf, shouldRestart } from './policy.js';
import { ContainerProbes } from './probing.js';
import type { ContainerView, PodView } from './view.js';

export interface WorkerDeps {
  runtime: Runtime;
  podLogsDir: string;
  logger: Logger;
  events: PodEventSink;
  /** Called after anything in the pod's view changed (status consumers re-read it). */
  onChange: (worker: PodWorker) => void;
  /** Observes how long one sync pass took (metrics). */
  observeSync?: (seconds: number) => void;
  /** Backoff factory, replaceable so tests can shorten the delays. */
  newBackoff?: () => CrashLoopBackoff;
  /** Told +1 when a sandbox or container start begins and -1 when it has returned. */
  countStart?: (delta: 1 | -1) => void;
}

interface ContainerSlot extends ContainerView {
  spec: Container;
  backoff: CrashLoopBackoff;
  /** When the pending restart (or retry of a failed start) is due, epoch ms. */
  restartAt?: number;
  /** The backoff delay that restartAt was computed with. */
  delayMs?: number;
  /** Probes of the current attempt, while it runs. */
  probes?: ContainerProbes;
}

export class PodWorker {
  private readonly slots: ContainerSlot[];
  private readonly state: PodView;
  private queue: Promise<void>;
  private syncQueued = false;
  private timer: NodeJS.Timeout | undefined;
  /** When `timer` fires (epoch ms): a later retry never postpones an earlier one. */
  private timerAt = Infinity;
  /** Aborted when the pod starts stopping: a hanging postStart hook is abandoned. */
  private readonly stopping = new AbortController();
  private terminated: Promise<void> | undefined;
  /** Exits reported before startContainer returned the record they belong to. */
  private readonly earlyExits = new Map<string, ContainerRecord>();
  private readonly log: Logger;

  constructor(
    pod: Pod,
    private readonly deps: WorkerDeps,
    adopted: ContainerRecord[] = [],
    /** Resolves when the previous pod of the same full name has stopped: we never run both at once. */
    startAfter: Promise<void> = Promise.resolve(),
    /** Admission refused the pod: it is shown Failed and none of its containers is created. */
    rejected?: Rejection,
  ) {
    const newBackoff = deps.newBackoff ?? (() => new CrashLoopBackoff());
    const spec = pod.spec;
    const make = (c: Container, init: boolean): ContainerSlot => ({ name: c.name, init, sidecar: init && isSidecar(c), spec: c, backoff: newBackoff() });
    this.slots = [...(spec?.initContainers ?? []).map((c) => make(c, true)), ...(spec?.containers ?? []).map((c) => make(c, false))];
    this.adopt(adopted);
    this.state = { pod, runtime: deps.runtime.name, terminating: false, initialized: false, containers: this.slots };
    this.log = deps.logger.child({ pod: podKey(pod), uid: pod.metadata?.uid });
    this.queue = startAfter.catch(() => undefined);
    if (rejected) {
      this.state.rejected = rejected;
      // The event sink logs it too (as every Warning event): one line per rejected pod.
      deps.events.podEvent(pod, 'Warning', rejected.reason, rejected.message);
      return;
    }
    this.sync();
  }

  get uid(): string {
    return this.state.pod.metadata?.uid ?? '';
  }

  get pod(): Pod {
    return this.state.pod;
  }

  view(): PodView {
    return this.state;
  }

  /** Asks for a sync pass; several requests before it runs make one pass. */
  sync(): void {
    if (this.syncQueued || this.state.terminating || this.state.rejected) return;
    this.syncQueued = true;
    this.enqueue(async () => {
      this.syncQueued = false;
      await this.syncOnce();
    });
  }

  /** The runtime reports that one of this pod's containers exited. */
  containerExited(record: ContainerRecord): void {
    const slot = this.slots.find((s) => s.current?.id === record.id);
    if (!slot) {
      this.earlyExits.set(record.id, record);
      return;
    }
    slot.current = record;
    this.stopProbes(slot);
    if (!this.state.terminating) {
      this.log.info('container exited', { container: slot.name, exitCode: record.exitCode, restartCount: record.attempt });
    }
    this.deps.onChange(this);
    this.sync();
  }

  /**
   * A manifest with a pinned metadata.uid changed: take the new spec in place and restart the
   * containers whose spec differs (as the kubelet does when a container's hash changes).
   */
  update(pod: Pod): void {
    this.enqueue(async () => {
      const next = new Map((pod.spec?.containers ?? []).map((c) => [c.name, c]));
      const changed = this.slots.filter((s) => !s.init && JSON.stringify(next.get(s.name)) !== JSON.stringify(s.spec));
      this.state.pod = pod;
      for (const slot of changed) {
        const spec = next.get(slot.name);
        if (slot.current?.state === 'running') await this.killContainer(slot, `Container ${slot.name} definition changed, will be restarted`, gracePeriodOf(pod));
        if (spec) {
          slot.spec = spec;
          slot.restartAt = Date.now();
        }
      }
      // Containers added or removed by the update.
      for (const [name, spec] of next) {
        if (!this.slots.some((s) => s.name === name && !s.init)) this.slots.push({ name, init: false, sidecar: false, spec, backoff: new CrashLoopBackoff() });
      }
      for (let i = this.slots.length - 1; i >= 0; i--) {
        const slot = this.slots[i]!;
        if (slot.init || next.has(slot.name)) continue;
        await this.stopAndForget(slot);
        this.slots.splice(i, 1);
      }
      this.deps.onChange(this);
    });
    this.sync();
  }

  /** Stops every container, removes the sandbox and the pod's logs. Resolves when all is gone. */
  terminate(): Promise<void> {
    if (this.terminated) return this.terminated;
    this.state.terminating = true;
    this.state.terminatingSince = new Date().toISOString();
    clearTimeout(this.timer);
    this.stopping.abort();
    for (const slot of this.slots) this.stopProbes(slot);
    this.deps.onChange(this);
    this.terminated = this.enqueue(async () => {
      // A teardown that fails (the engine is briefly away) is tried again until it succeeds:
      // giving up would leave the pod's containers behind with nobody owning them.
      for (let delay = 1000; ; delay = Math.min(delay * 2, 30_000)) {
        try {
          await this.teardown();
          return;
        } catch (err) {
          this.log.error('cannot stop pod yet; retrying', { error: err instanceof Error ? err.message : String(err), retryInMs: delay });
          await new Promise((r) => setTimeout(r, delay));
        }
      }
    });
    return this.terminated;
  }

  private async teardown(): Promise<void> {
    const pod = this.state.pod;
    // The grace period is one budget for the whole pod: the app containers (their preStop hooks,
    // then SIGTERM) first, then the sidecars in reverse order, then an init container still running.
    const deadline = Date.now() + gracePeriodOf(pod) * 1000;
    const live = (s: ContainerSlot) => s.current?.state === 'running' || s.current?.state === 'created';
    const stop = (s: ContainerSlot) => this.killContainer(s, `Stopping container ${s.name}`, undefined, deadline);
    await Promise.all(this.slots.filter((s) => !s.init && live(s)).map(stop));
    for (const s of this.slots.filter((x) => x.sidecar).reverse()) if (live(s)) await stop(s);
    await Promise.all(this.slots.filter((s) => s.init && !s.sidecar && live(s)).map(stop));
    for (const slot of this.slots) await this.forget(slot);
    // Attempts the worker never got a record for (a start that failed half-way) are gone too.
    for (const rec of await this.deps.runtime.listContainers(this.uid)) {
      if (rec.podUid !== this.uid) continue;
      if (rec.state !== 'exited') await this.deps.runtime.stopContainer(rec.id, 0);
      await this.deps.runtime.removeContainer(rec.id).catch(() => undefined);
    }
    await this.deps.runtime.removePodSandbox(pod);
    await rm(this.podLogDir(), { recursive: true, force: true });
    this.log.info('pod stopped');
    this.deps.onChange(this);
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    const run = this.queue.then(work).catch((err: unknown) => {
      this.log.error('pod sync failed', { error: err instanceof Error ? err.message : String(err) });
    });
    this.queue = run;
    return run;
  }

  private adopt(records: ContainerRecord[]): void {
    // The newest attempt of each container is its current state, the one before is lastState.
    const sorted = [...records].sort((a, b) => a.attempt - b.attempt);
    for (const rec of sorted) {
      const slot = this.slots.find((s) => s.name === rec.containerName);
      if (!slot) continue;
      if (slot.current) slot.previous = slot.current;
      slot.current = rec;
    }
  }

  private async syncOnce(): Promise<void> {
    if (this.state.terminating) return;
    const began = process.hrtime.bigint();
    const pod = this.state.pod;
    if (!this.state.sandbox) {
      try {
        this.state.sandbox = await this.starting(() => this.deps.runtime.runPodSandbox(pod));
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        for (const slot of this.slots) slot.waiting = { reason: 'CreatePodSandboxError', message };
        this.log.error('cannot create pod sandbox', { error: message });
        this.retryIn(2000);
        this.deps.onChange(this);
        return;
      }
    }
    this.state.startTime ??= new Date().toISOString();
    for (const slot of this.slots) if (slot.current?.state === 'running' && !slot.probes && !slot.waiting) this.startProbes(slot, slot.current);
    if (!this.state.initialized) await this.startInit(pod);
    if (this.state.initialized) {
      const done = this.appsDone(pod);
      await this.startDue(pod, this.slots.filter((s) => !s.init || (s.sidecar && !done)));
      // A pod whose app containers have all finished for good (OnFailure, Never) is complete:
      // its sidecars are stopped, last one first, and not restarted (Kubernetes 1.29+).
      if (done) for (const s of this.slots.filter((x) => x.sidecar).reverse()) await this.killContainer(s, `Stopping container ${s.name}`);
    }
    this.deps.observeSync?.(Number(process.hrtime.bigint() - began) / 1e9);
    this.deps.onChange(this);
  }

  private async starting<T>(call: () => Promise<T>): Promise<T> {
    this.deps.countStart?.(1);
    try {
      return await call();
    } finally {
      this.deps.countStart?.(-1);
    }
  }

  /** Every app container has exited and will not be started again by the restart policy. */
  private appsDone(pod: Pod): boolean {
    const policy = restartPolicyOf(pod);
    if (policy === 'Always') return false;
    const apps = this.slots.filter((s) => !s.init);
    return apps.length > 0 && apps.every((s) => s.current?.state === 'exited' && !shouldRestart(policy, s.current));
  }

  /**
   * Init containers, one at a time and in order: a plain one must exit 0 before the next starts; a
   * sidecar (restartPolicy Always) must be running and started (its startupProbe passed) and
   * keeps running. The pod is initialized once all have done so.
   */
  private async startInit(pod: Pod): Promise<void> {
    for (const slot of this.slots.filter((s) => s.init)) {
      if (this.state.terminating) return;
      const cur = slot.current;
      if (slot.sidecar) {
        if (cur?.state !== 'running') await this.startDue(pod, [slot]);
        // Started (running, postStart done, startupProbe passed): the next one may go at once.
        if (slot.current?.state !== 'running' || slot.waiting || !(slot.probes?.started ?? false)) return;
        continue;
      }
      if (cur?.state === 'exited' && cur.exitCode === 0) continue;
      await this.startDue(pod, [slot]);
      return;
    }
    // Sticky, as upstream: a sidecar that crashes later does not make the pod uninitialized.
    this.state.initialized = true;
  }

  /** Starts (or restarts, after their back-off) the given containers that are not running. */
  private async startDue(pod: Pod, slots: ContainerSlot[]): Promise<void> {
    const policy = restartPolicyOf(pod);
    for (const slot of slots) {
      if (this.state.terminating) return;
      const cur = slot.current;
      if (cur?.state === 'running' || cur?.state === 'created') continue;
      if (cur?.state === 'exited') {
        if (slot.init && !slot.sidecar && cur.exitCode === 0) continue;
        // A sidecar restarts whatever the pod's policy; a plain init container unless it is Never.
        const restart = slot.sidecar ? true : slot.init ? policy !== 'Never' : shouldRestart(policy, cur);
        if (!restart) continue;
        if (slot.restartAt === undefined) {
          const ranFor = Date.parse(cur.finishedAt ?? '') - Date.parse(cur.startedAt ?? '');
          const exitedAt = Date.parse(cur.finishedAt ?? '') || Date.now();
          slot.delayMs = slot.backoff.nextDelay(Number.isFinite(ranFor) ? ranFor : 0);
          slot.restartAt = exitedAt + slot.delayMs;
        }
      }
      const due = slot.restartAt ?? 0;
      const wait = due - Date.now();
      if (wait > 0) {
        const message = `back-off ${Math.round((slot.delayMs ?? 0) / 1000)}s restarting failed container=${slot.name} pod=${podKey(pod)}(${this.uid})`;
        if (slot.waiting?.reason !== 'CrashLoopBackOff' && slot.waiting?.reason !== 'CreateContainerConfigError') {
          this.deps.events.podEvent(pod, 'Warning', 'BackOff', `Back-off restarting failed container ${slot.name} in pod ${podKey(pod)}`, slot.name);
        }
        if (cur) slot.waiting = { reason: 'CrashLoopBackOff', message };
        this.retryIn(wait);
        continue;
      }
      await this.start(pod, slot, cur ? cur.attempt + 1 : 0);
    }
  }

  private async start(pod: Pod, slot: ContainerSlot, attempt: number): Promise<void> {
    slot.restartAt = undefined;
    // A restart shows the attempt that ended (terminated, or CrashLoopBackOff) until the next
    // one exists, as the kubelet does; only a first start is ContainerCreating.
    if (!slot.current) slot.waiting ??= { reason: 'ContainerCreating' };
    const sandbox = this.state.sandbox!;
    const logPath = join(this.podLogDir(), slot.name, `${attempt}.log`);
    try {
      const events = (type: 'Normal' | 'Warning', reason: string, message: string): void => this.deps.events.podEvent(pod, type, reason, message, slot.name);
      let record = await this.starting(() => this.deps.runtime.startContainer({ pod, container: slot.spec, attempt, logPath, sandbox, events }));
      const early = this.earlyExits.get(record.id);
      if (early) {
        this.earlyExits.delete(record.id);
        record = early;
      }
      const older = slot.previous;
      if (slot.current) slot.previous = slot.current;
      slot.current = record;
      slot.waiting = undefined;
      if (older && older.id !== slot.previous?.id) await this.removeRecord(older);
      if (attempt > 0) this.log.info('container restarted', { container: slot.name, restartCount: attempt });
      else this.log.info('container started', { container: slot.name, pid: record.pid });
      this.deps.events.podEvent(pod, 'Normal', 'Started', `Started container ${slot.name}`, slot.name);
      if (record.state === 'exited') {
        this.sync();
        return;
      }
      const postStart = slot.spec.lifecycle?.postStart;
      if (postStart) {
        // Not Running until the hook has finished (the kubelet's startContainer returns after it).
        slot.waiting = { reason: 'ContainerCreating' };
        this.deps.onChange(this);
        const failed = await runHook(postStart, { pod, target: this.target(record), signal: this.stopping.signal });
        slot.waiting = undefined;
        if (this.state.terminating) return;
        if (failed && slot.current?.id === record.id && slot.current.state === 'running') {
          this.deps.events.podEvent(pod, 'Warning', 'FailedPostStartHook', failed, slot.name);
          this.log.warn('postStart hook failed; killing the container', { container: slot.name, error: failed });
          await this.killContainer(slot, 'FailedPostStartHook', gracePeriodOf(pod), undefined, false);
          slot.waiting = { reason: 'PostStartHookError', message: failed };
          return;
        }
      }
      if (slot.current?.id === record.id && slot.current.state === 'running') this.startProbes(slot, record);
    } catch (err) {
      let reason = err instanceof RuntimeError ? err.reason : 'RunContainerError';
      let message = err instanceof Error ? err.message : String(err);
      // As the kubelet shows it: the first failed pull is ErrImagePull, the retries that follow
      // (with backoff) ImagePullBackOff.
      if (reason === 'ErrImagePull' && (slot.waiting?.reason === 'ErrImagePull' || slot.waiting?.reason === 'ImagePullBackOff')) {
        reason = 'ImagePullBackOff';
        message = `Back-off pulling image "${slot.spec.image ?? ''}": ${message}`;
      }
      // A failed start is retried with the same backoff as a crash, and logged once per reason.
      if (slot.waiting?.reason !== reason) {
        this.log.error('cannot start container', { container: slot.name, reason, error: message });
        this.deps.events.podEvent(pod, 'Warning', 'Failed', `Error: ${message}`, slot.name);
      }
      slot.waiting = { reason, message };
      slot.delayMs = Math.max(slot.backoff.nextDelay(0), 1000);
      slot.restartAt = Date.now() + slot.delayMs;
      this.retryIn(slot.restartAt - Date.now());
    }
  }

  private retryIn(ms: number): void {
    const at = Date.now() + Math.max(0, ms);
    if (at >= this.timerAt && this.timerAt > Date.now()) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timerAt = Infinity;
      this.sync();
    }, at - Date.now());
    this.timer.unref();
  }

  /** What probes and hooks of this attempt act on. */
  private target(record: ContainerRecord): ProbeTarget {
    const slot = this.slots.find((s) => s.current?.id === record.id);
    return {
      podIP: this.state.sandbox?.podIP ?? '127.0.0.1',
      container: slot?.spec ?? { name: record.containerName },
      exec: (command, timeoutMs) => this.deps.runtime.execSync(record.id, command, timeoutMs),
    };
  }

  private startProbes(slot: ContainerSlot, record: ContainerRecord): void {
    this.stopProbes(slot);
    if (slot.init && !slot.sidecar) return;
    const pod = this.state.pod;
    const probes = new ContainerProbes(slot.spec, this.target(record), Date.parse(record.startedAt ?? '') || Date.now(), {
      changed: () => {
        slot.ready = probes.ready;
        slot.started = probes.started;
        this.deps.onChange(this);
        // A sidecar whose startup probe passed lets the next init container start.
        if (slot.sidecar && !this.state.initialized) this.sync();
      },
      event: (type, reason, message) => this.deps.events.podEvent(pod, type, reason, message, slot.name),
      failed: (kind, grace) => {
        this.enqueue(async () => {
          if (this.state.terminating || slot.current?.id !== record.id || slot.current.state !== 'running') return;
          this.log.info(`container failed its ${kind.toLowerCase()} probe; restarting it`, { container: slot.name });
          await this.killContainer(slot, `Container ${slot.name} failed ${kind.toLowerCase()} probe, will be restarted`, grace ?? gracePeriodOf(pod));
          this.deps.onChange(this);
        });
      },
    });
    slot.probes = probes;
    slot.ready = probes.ready;
    slot.started = probes.started;
    probes.start();
  }

  private stopProbes(slot: ContainerSlot): void {
    slot.probes?.stop();
    slot.probes = undefined;
    slot.ready = false;
    slot.started = false;
  }

  /**
   * Stops one running container as the kubelet's killContainer does: the Killing event, its
   * preStop hook (within the grace period; FailedPreStopHook when it fails), then SIGTERM and
   * SIGKILL after what is left of the grace period (at least 2 s after a preStop hook, as upstream).
   */
  private async killContainer(slot: ContainerSlot, message: string, graceSeconds?: number, deadline?: number, preStop = true): Promise<void> {
    const cur = slot.current;
    if (!cur || (cur.state !== 'running' && cur.state !== 'created')) return;
    const pod = this.state.pod;
    const until = deadline ?? Date.now() + (graceSeconds ?? gracePeriodOf(pod)) * 1000;
    this.stopProbes(slot);
    this.deps.events.podEvent(pod, 'Normal', 'Killing', message, slot.name);
    const hook = slot.spec.lifecycle?.preStop;
    let left = Math.max(0, until - Date.now());
    if (preStop && hook && cur.state === 'running') {
      const failed = await runHook(hook, { pod, target: this.target(cur), timeoutMs: Math.max(1, left) });
      if (failed) {
        this.deps.events.podEvent(pod, 'Warning', 'FailedPreStopHook', failed, slot.name);
        this.log.warn('preStop hook failed', { container: slot.name, error: failed });
      }
      left = Math.max(2000, until - Date.now());
    }
    slot.current = (await this.deps.runtime.stopContainer(cur.id, Math.ceil(left / 1000))) ?? slot.current;
  }

  private async stopAndForget(slot: ContainerSlot): Promise<void> {
    await this.killContainer(slot, `Stopping container ${slot.name}`);
    await this.forget(slot);
  }

  private async forget(slot: ContainerSlot): Promise<void> {
    for (const rec of [slot.previous, slot.current]) if (rec) await this.removeRecord(rec);
  }

  private async removeRecord(record: ContainerRecord): Promise<void> {
    await this.deps.runtime.removeContainer(record.id).catch(() => undefined);
    if (!this.state.terminating) await rm(record.logPath, { force: true });
  }

  private podLogDir(): string {
    return podLogDir(this.deps.podLogsDir, this.state.pod);
  }

  /** Whether this worker started the container with that id. */
  owns(containerId: string): boolean {
    return this.slots.some((s) => s.current?.id === containerId || s.previous?.id === containerId);
  }
}

/** The kubelet's log folder of a pod: `<podLogsDir>/<namespace>_<name>_<uid>`. */
export function podLogDir(podLogsDir: string, pod: Pod): string {
  const m = pod.metadata;
  return join(podLogsDir, `${m?.namespace ?? 'default'}_${m?.name ?? ''}_${m?.uid ?? ''}`);
}

export function podKey(pod: Pod): string {
  return `${pod.metadata?.name ?? ''}_${pod.metadata?.namespace ?? 'default'}`;
}
