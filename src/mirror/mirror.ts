// The node agent's API side, composed: Node registration and status heartbeat, the node Lease,
// one mirror pod per static pod (with status), and Events. Everything runs in the background and
// tolerates an unreachable API server: the static pods never wait for it, and when it returns the
// node, lease and mirrors are reconciled (re-registered, recreated, orphans deleted).
import type { ObjectReference, Pod } from 'kubernetes-types/core/v1';
import type { Logger } from '../log/index.js';
import { formatProblem, problemKey, type ManifestProblem } from '../manifest/problem.js';
import type { PodEventSink } from '../workers/events.js';
import { DEFAULT_BACKOFF, Backoff, type BackoffOptions } from './backoff.js';
import { RestClient } from './client.js';
import { describeError, isNotFound } from './errors.js';
import { EventRecorder, type EventType } from './events.js';
import { ApiHealth } from './health.js';
import { NodePodInformer, type PodChange } from './informer.js';
import { loadKubeconfig } from './kubeconfig.js';
import { LeaseRenewer } from './lease.js';
import { mirrorHash } from './mirror-pod.js';
import { MirrorPods } from './mirror-pods.js';
import { StartQuiet } from './start-quiet.js';
import { NodeRegistrar, type NodeSpecOptions } from './node.js';
import { collectNodeFacts, type NodeFacts } from './node-info.js';

/**
 * How long after the last container start returned mirror writes and events still wait: the
 * process just started is still initialising (containerd, 2 cores: 124 ms from manifest to a
 * serving httpd with it, 138 ms with no wait at all and 142 ms before any waiting).
 */
const START_SETTLE_MS = 50;

export interface MirrorSource {
  /** The node's static pods with their current status (as /pods shows them). */
  pods(): Pod[];
  /** Called after any pod was added/removed or its status changed (bursts are coalesced). */
  onChange(listener: () => void): void;
  /** Sandbox and container starts under way: mirror writes and events wait for them (bounded). */
  startsInFlight?(): number;
  /** Current manifest problems. */
  problems(): ManifestProblem[];
  onProblemsChange(listener: () => void): void;
}

export interface MirrorOptions {
  kubeconfigPath: string;
  nodeName: string;
  nodeIP: string;
  logger: Logger;
  source: MirrorSource;
  /** Lease spec.leaseDurationSeconds (default 40). */
  leaseDurationSeconds?: number;
  /** Lease renewal period (default 10 s). */
  renewIntervalMs?: number;
  /** Node status heartbeat period (default 10 s). */
  statusUpdateIntervalMs?: number;
  /** Full reconcile period: Node re-read, every mirror checked (default 10 s). */
  reconcileIntervalMs?: number;
  /** Retry delays after failed calls (default 1 s doubling to 30 s). */
  retry?: BackoffOptions;
  /** Deadline of one API call (default 10 s). */
  requestTimeoutMs?: number;
  /** Status writes per pod are at most this often (default 50 ms). */
  minSyncIntervalMs?: number;
  /** Longest a mirror write or an event waits for container starts to return (default 250 ms). */
  startQuietMaxMs?: number;
  /** Events held while the API server is unreachable (default 1000). */
  maxQueuedEvents?: number;
  /** Hostname, extra labels, taints, runtime/kubelet versions, kubelet port, capacity overrides. */
  node?: Omit<NodeSpecOptions, 'nodeName' | 'nodeIP'>;
  /** Machine facts (tests); read from the host when omitted. */
  facts?: NodeFacts;
}


export class Mirror implements PodEventSink {
  private readonly log: Logger;
  private client: RestClient | undefined;
  private health: ApiHealth | undefined;
  private registrar: NodeRegistrar | undefined;
  private lease: LeaseRenewer | undefined;
  private informer: NodePodInformer | undefined;
  private mirrorPods: MirrorPods | undefined;
  private recorder: EventRecorder | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly announced = new Set<string>();
  private stopped = false;
  private started = false;

  // Sync scheduling: one pass at a time; kicks during a pass mean "run again after it".
  private syncTimer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;
  private dirty = false;
  private verifyNode = true;
  private lastSyncStart = 0;
  private registeredOnce = false;
  /** UID of the Node as last registered, to tell a re-registration in the log. */
  private lastNodeUid: string | undefined;
  private syncBackoff: Backoff;
  private readonly quiet: StartQuiet;

  constructor(private readonly o: MirrorOptions) {
    this.log = o.logger.child({ component: 'mirror' });
    this.syncBackoff = new Backoff(o.retry ?? DEFAULT_BACKOFF);
    this.quiet = new StartQuiet(() => (o.source.startsInFlight?.() ?? 0) > 0, o.startQuietMaxMs ?? 250);
  }

  /**
   * Reads the kubeconfig (throws KubeconfigError when it is unusable: that is a configuration
   * mistake) and starts the background loops. Never waits for, or fails on, the API server.
   */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const o = this.o;
    const cfg = await loadKubeconfig(o.kubeconfigPath);
    const facts = o.facts ?? (await collectNodeFacts());
    const retry = o.retry ?? DEFAULT_BACKOFF;
    const client = new RestClient(cfg, { timeoutMs: o.requestTimeoutMs ?? 10_000 });
    const health = new ApiHealth(this.log, cfg.server);
    this.client = client;
    this.health = health;
    this.registrar = new NodeRegistrar(client, { ...o.node, nodeName: o.nodeName, nodeIP: o.nodeIP }, facts);
    this.lease = new LeaseRenewer(client, o.nodeName, o.leaseDurationSeconds ?? 40, () => this.registrar?.uid);
    this.informer = new NodePodInformer(client, o.nodeName, health, this.log, (c) => this.onPodChange(c), retry);
    this.mirrorPods = new MirrorPods({
      client,
      nodeName: o.nodeName,
      informer: this.informer,
      health,
      log: this.log,
      nodeEvent: (reason, message) => this.nodeEvent('Warning', reason, message),
    });
    this.recorder = new EventRecorder({ client, nodeName: o.nodeName, health, log: this.log, retry, maxQueued: o.maxQueuedEvents, beforeSending: () => this.quiet.wait(START_SETTLE_MS) });
    for (const record of this.early.splice(0)) record();

    health.onRecovered(() => {
      if (this.stopped) return;
      // The server may have lost its data (the embedded one keeps it in memory): check everything.
      this.verifyNode = true;
      this.informer?.wake();
      this.recorder?.poke();
      this.kick(0);
      void this.renewLease();
      void this.heartbeat();
    });
    o.source.onChange(() => {
      this.quiet.changed();
      this.kick();
    });
    o.source.onProblemsChange(() => this.announceProblems());

    this.log.info('mirror: publishing node, lease, mirror pods and events', { server: cfg.server, kubeconfig: o.kubeconfigPath, node: o.nodeName });
    this.nodeEvent('Normal', 'Starting', 'Starting berth.');
    this.announceProblems();
    this.informer.start();
    this.kick(0);
    this.every(o.renewIntervalMs ?? 10_000, () => this.renewLease());
    this.every(o.statusUpdateIntervalMs ?? 10_000, () => this.heartbeat());
    this.every(o.reconcileIntervalMs ?? 10_000, async () => {
      this.verifyNode = true;
      this.kick(0);
    });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    clearTimeout(this.syncTimer);
    this.quiet.release();
    this.syncBackoff.wake();
    // Closing the client aborts whatever is in flight, so the loops below end promptly.
    this.client?.close();
    await Promise.allSettled([this.informer?.stop(), this.recorder?.stop(), this.syncing]);
  }

  /** The Node object's UID once registered. */
  get nodeUid(): string | undefined {
    return this.registrar?.uid;
  }

  /** False while calls fail to reach the API server. */
  get apiReachable(): boolean {
    return this.health?.reachable ?? false;
  }

  /**
   * Events raised before start() made the recorder (a pod refused at its first start, the audit of
   * the manifests read at start-up) wait here instead of being lost. Bounded like the recorder's queue.
   */
  private readonly early: Array<() => void> = [];

  private holdEarly(record: () => void): void {
    if (this.early.length >= (this.o.maxQueuedEvents ?? 1000)) this.early.shift();
    this.early.push(record);
  }

  /** Queues an Event about a static pod, reported on its mirror pod. */
  podEvent(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string, containerName?: string): void {
    if (this.stopped) return;
    if (!this.recorder) return this.holdEarly(() => this.podEvent(pod, type, reason, message, containerName));
    const fieldPath = containerName ? containerFieldPath(pod, containerName) : undefined;
    // The kubelet records pod events against the STATIC pod (uid = config.hash), and kubectl
    // describe looks a mirror pod's events up by that uid (its config.mirror annotation).
    const ref: ObjectReference = { kind: 'Pod', apiVersion: 'v1', name: pod.metadata?.name, namespace: pod.metadata?.namespace || 'default', uid: pod.metadata?.uid };
    if (fieldPath) ref.fieldPath = fieldPath;
    this.recorder.record(() => ref, ref, type, reason, message);
  }

  /** Queues an Event about this Node (involvedObject uid = node name, as the kubelet does). */
  nodeEvent(type: EventType, reason: string, message: string): void {
    if (this.stopped) return;
    if (!this.recorder) return this.holdEarly(() => this.nodeEvent(type, reason, message));
    const ref: ObjectReference = { kind: 'Node', name: this.o.nodeName, uid: this.o.nodeName, namespace: '' };
    this.recorder.record(() => ref, ref, type, reason, message);
  }

  /** A Warning on the Node for each manifest problem when it first appears (not at every relist). */
  private announceProblems(): void {
    const current = this.o.source.problems();
    const keys = new Set<string>();
    for (const p of current) {
      const k = problemKey(p);
      keys.add(k);
      if (this.announced.has(k)) continue;
      this.announced.add(k);
      this.nodeEvent('Warning', p.reason, formatProblem(p));
    }
    for (const k of this.announced) if (!keys.has(k)) this.announced.delete(k);
  }

  private onPodChange(c: PodChange): void {
    if (c.type === 'relisted') {
      this.kick(0);
      return;
    }
    this.recorder?.poke();
    // A mirror deleted by a user (or the garbage collector) comes back at once; other changes
    // (our own writes echoed back) need no pass unless they touch a mirror of ours.
    if (c.type === 'DELETED' || mirrorHash(c.pod) !== undefined) this.kick(0);
  }

  /** Schedules a sync pass; bursts collapse into one, at most one pass per minSyncIntervalMs. */
  private kick(delayMs = 10): void {
    if (this.stopped || !this.mirrorPods) return;
    if (this.syncing) {
      this.dirty = true;
      return;
    }
    if (this.syncTimer) return;
    const gap = this.lastSyncStart + (this.o.minSyncIntervalMs ?? 50) - Date.now();
    this.syncTimer = setTimeout(() => {
      this.syncTimer = undefined;
      this.syncing = this.quiet.wait(START_SETTLE_MS).then(() => this.syncPass()).finally(() => {
        this.syncing = undefined;
        if (this.dirty) {
          this.dirty = false;
          this.kick();
        }
      });
    }, Math.max(delayMs, gap, 0));
  }

  private async syncPass(): Promise<void> {
    this.lastSyncStart = Date.now();
    const verify = this.verifyNode;
    this.verifyNode = false;
    let nodeUid: string | undefined;
    try {
      const r = await this.registrar!.ensure(verify);
      nodeUid = r.uid;
      this.health!.ok('node');
      if (r.outcome !== 'known') this.onRegistered(r.outcome, this.lastNodeUid);
      this.lastNodeUid = r.uid;
    } catch (err) {
      if (this.stopped) return;
      this.verifyNode ||= verify;
      this.health!.failed('node', err);
      nodeUid = undefined;
    }
    let ok = nodeUid !== undefined;
    try {
      ok = (await this.mirrorPods!.sync(this.o.source.pods(), nodeUid)) && ok;
    } catch (err) {
      ok = false;
      this.log.error('mirror: sync pass failed', { error: describeError(err) });
    }
    this.recorder?.poke();
    if (this.stopped) return;
    if (ok) {
      this.syncBackoff.reset();
    } else if (!this.dirty) {
      // Retry after a backoff unless something else kicks sooner.
      const delay = this.syncBackoff.step();
      this.verifyNode = true;
      setTimeout(() => this.kick(0), delay).unref();
    }
  }

  private onRegistered(outcome: 'created' | 'adopted', previousUid: string | undefined): void {
    this.log.info(outcome === 'created' ? 'mirror: registered node' : 'mirror: node already registered; adopted it', {
      node: this.o.nodeName,
      uid: this.registrar!.uid,
    });
    if (this.registeredOnce && outcome === 'created') {
      // The Node had vanished: the API server may have lost everything; list the pods again.
      this.log.info('mirror: the Node object was gone and has been registered again', { previousUid });
      this.informer?.resync();
    }
    this.registeredOnce = true;
    this.nodeEvent('Normal', 'NodeReady', `Node ${this.o.nodeName} status is now: NodeReady`);
    void this.renewLease();
  }

  private async renewLease(): Promise<void> {
    if (this.stopped || !this.lease) return;
    try {
      await this.lease.renew();
      this.health!.ok('lease');
    } catch (err) {
      if (!this.stopped) this.health!.failed('lease', err);
    }
  }

  private async heartbeat(): Promise<void> {
    if (this.stopped || !this.registrar?.uid) return;
    try {
      await this.registrar.heartbeat();
      this.health!.ok('node status');
    } catch (err) {
      if (this.stopped) return;
      if (isNotFound(err)) {
        this.log.warn('mirror: the Node object was deleted; registering it again', { node: this.o.nodeName });
        this.verifyNode = true;
        this.kick(0);
        return;
      }
      this.health!.failed('node status', err);
    }
  }

  /** Runs fn every ms (first run after ms), never overlapping itself. */
  private every(ms: number, fn: () => Promise<void>): void {
    const slot = this.timers.length;
    const tick = () => {
      if (this.stopped) return;
      void fn().finally(() => {
        if (!this.stopped) this.timers[slot] = setTimeout(tick, ms);
      });
    };
    this.timers.push(setTimeout(tick, ms));
  }
}

/** `spec.containers{web}` (or initContainers), as kubelet events name a container. */
function containerFieldPath(pod: Pod, name: string): string {
  if (pod.spec?.initContainers?.some((c) => c.name === name)) return `spec.initContainers{${name}}`;
  if (pod.spec?.ephemeralContainers?.some((c) => c.name === name)) return `spec.ephemeralContainers{${name}}`;
  return `spec.containers{${name}}`;
}
