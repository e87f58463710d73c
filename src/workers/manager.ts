// Owns the pod workers: creates one per desired pod, routes container exits to them, and makes a
// replacement pod wait until the pod it replaces (same full name) has stopped.
import { rm } from 'node:fs/promises';
import type { Pod } from 'kubernetes-types/core/v1';
import type { Rejection } from '../admission/index.js';
import type { Logger } from '../log/index.js';
import type { ContainerRecord, PodRef, Runtime } from '../runtime/types.js';
import type { CrashLoopBackoff } from './backoff.js';
import type { PodEventSink } from './events.js';
import { removeOrphanedPodDirs } from './orphan-dirs.js';
import { PodWorker, podKey, podLogDir } from './pod-worker.js';
import type { PodView } from './view.js';

export interface PodChanges {
  added: Pod[];
  removed: Pod[];
  updated: Pod[];
}

export interface PodManagerOptions {
  runtime: Runtime;
  podLogsDir: string;
  /** <root-dir>/pods, where the engines keep per-pod files; swept of gone pods at start. */
  podsDir?: string;
  logger: Logger;
  events: PodEventSink;
  onPodChange?: (view: PodView) => void;
  observeSync?: (seconds: number) => void;
  newBackoff?: () => CrashLoopBackoff;
  /** The kubelet's admission: a pod it refuses is shown Failed and never started. */
  admit?: (pod: Pod) => Rejection | undefined;
}

export class PodManager {
  private readonly workers = new Map<string, PodWorker>();
  /** Workers stopping their pod; kept apart so that the same UID can come back meanwhile. */
  private readonly terminating = new Set<PodWorker>();
  /** The same, by pod UID (a pod removed and added again has a stopping and a running worker). */
  private readonly terminatingByUid = new Map<string, Set<PodWorker>>();
  /** Full name -> when the last pod of that name has stopped. */
  private readonly stopping = new Map<string, Promise<void>>();
  private lastSync = Date.now();
  private starts = 0;

  constructor(private readonly o: PodManagerOptions) {
    o.runtime.onContainerExit((record) => {
      // Only the stopping workers of this container's pod are asked: with 2000 pods stopping at
      // once, asking every one for every exit was 2000 x 4000 calls.
      let stopping: PodWorker | undefined;
      for (const w of this.terminatingByUid.get(record.podUid) ?? []) if (w.owns(record.id)) stopping = w;
      (stopping ?? this.workers.get(record.podUid))?.containerExited(record);
    });
  }

  /**
   * Called once at start, after every source delivered its first snapshot: takes over the
   * containers that survived an agent restart for pods still wanted, and stops the rest.
   */
  async start(desired: Pod[]): Promise<void> {
    const records = await this.o.runtime.listContainers();
    const byPod = new Map<string, ContainerRecord[]>();
    for (const r of records) byPod.set(r.podUid, [...(byPod.get(r.podUid) ?? []), r]);
    // A pod whose containers never started still has its sandbox to clean up.
    const sandboxes = new Map((await this.o.runtime.listPodSandboxes()).map((s) => [s.podUid, s]));
    // Folders of pods with nothing left to stop: the pods still here clean up their own below.
    const keep = new Set([...desired.map((p) => p.metadata?.uid ?? ''), ...byPod.keys(), ...sandboxes.keys()]);
    const swept = await removeOrphanedPodDirs({ podLogsDir: this.o.podLogsDir, podsDir: this.o.podsDir }, keep);
    if (swept.length) this.o.logger.info('removed the folders of pods that are gone', { folders: swept.length });
    for (const pod of desired) {
      const uid = pod.metadata?.uid ?? '';
      const adopted = byPod.get(uid) ?? [];
      // A pod this node no longer admits (its labels changed while the agent was down) keeps
      // its containers in byPod and sandboxes: they are stopped with the orphans below.
      if (this.o.admit?.(pod)) {
        this.addWorker(pod, []);
        continue;
      }
      byPod.delete(uid);
      sandboxes.delete(uid);
      if (adopted.some((r) => r.state === 'running')) this.o.logger.info('adopted running pod', { pod: podKey(pod), uid });
      this.addWorker(pod, adopted);
    }
    // What is left belongs to pods whose manifests vanished while the agent was down. Stopping
    // them may take their grace period; the agent does not wait for it to start the others.
    for (const [uid, recs] of byPod) {
      const ref = sandboxes.get(uid) ?? recs[0]!;
      sandboxes.delete(uid);
      this.removeOrphan(ref, recs).catch((err: unknown) => this.o.logger.error('cannot stop orphaned pod', { error: String(err) }));
    }
    for (const ref of sandboxes.values()) {
      this.removeOrphan(ref, []).catch((err: unknown) => this.o.logger.error('cannot remove orphaned pod sandbox', { error: String(err) }));
    }
  }

  apply(changes: PodChanges): void {
    for (const pod of changes.removed) this.remove(pod);
    for (const pod of changes.added) this.addWorker(pod, []);
    for (const pod of changes.updated) this.workers.get(pod.metadata?.uid ?? '')?.update(pod);
  }

  /** Every pod the node has: running ones and those still stopping. */
  views(): PodView[] {
    return [...this.workers.values(), ...this.terminating].map((w) => w.view());
  }

  /** Re-checks every pod (the kubelet's periodic sync) and marks the loop as alive for /healthz. */
  resyncAll(): void {
    this.lastSync = Date.now();
    for (const w of this.workers.values()) w.sync();
  }

  /** Sandbox and container starts under way now (API bookkeeping may wait for them: see mirror). */
  startsInFlight(): number {
    return this.starts;
  }

  lastSyncAt(): number {
    return this.lastSync;
  }

  /** Stops every pod (used by tests and by an explicit drain, not by a normal agent shutdown). */
  async stopAll(): Promise<void> {
    await Promise.all([...this.workers.values()].map((w) => this.remove(w.pod)));
  }

  private addWorker(pod: Pod, adopted: ContainerRecord[]): void {
    const uid = pod.metadata?.uid ?? '';
    if (this.workers.has(uid)) return;
    const name = podKey(pod);
    const previous = this.stopping.get(name) ?? Promise.resolve();
    const worker = new PodWorker(
      pod,
      {
        runtime: this.o.runtime,
        podLogsDir: this.o.podLogsDir,
        logger: this.o.logger,
        events: this.o.events,
        onChange: (w) => this.o.onPodChange?.(w.view()),
        observeSync: this.o.observeSync,
        newBackoff: this.o.newBackoff,
        countStart: (delta) => {
          this.starts += delta;
        },
      },
      adopted,
      previous,
      this.o.admit?.(pod),
    );
    this.workers.set(uid, worker);
  }

  private remove(pod: Pod): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    const worker = this.workers.get(uid);
    if (!worker) return Promise.resolve();
    const name = podKey(pod);
    this.workers.delete(uid);
    this.terminating.add(worker);
    const sameUid = this.terminatingByUid.get(uid) ?? new Set<PodWorker>();
    sameUid.add(worker);
    this.terminatingByUid.set(uid, sameUid);
    const done = worker.terminate().finally(() => {
      this.terminating.delete(worker);
      sameUid.delete(worker);
      if (sameUid.size === 0 && this.terminatingByUid.get(uid) === sameUid) this.terminatingByUid.delete(uid);
      if (this.stopping.get(name) === done) this.stopping.delete(name);
    });
    this.stopping.set(name, done);
    return done;
  }

  private async removeOrphan(ref: PodRef, records: ContainerRecord[]): Promise<void> {
    const pod: Pod = { metadata: { uid: ref.podUid, name: ref.podName, namespace: ref.podNamespace }, spec: { containers: [] } };
    this.o.logger.info('stopping pod whose manifest is gone', { pod: podKey(pod), uid: ref.podUid });
    await Promise.all(
      records.map(async (r) => {
        if (r.state === 'running' || r.state === 'created') await this.o.runtime.stopContainer(r.id, r.gracePeriodSeconds ?? 30);
        await this.o.runtime.removeContainer(r.id);
      }),
    );
    await this.o.runtime.removePodSandbox(pod);
    await rm(podLogDir(this.o.podLogsDir, pod), { recursive: true, force: true });
  }
}
