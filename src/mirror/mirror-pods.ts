// Keeps one mirror pod per static pod, and nothing else, on the API server: creates missing
// mirrors, replaces outdated ones, deletes orphans of this node, and writes each pod's status to
// its mirror when it changed. Works from the informer's copy of the node's pods, so a sync costs
// no reads. Upstream: pkg/kubelet/pod/mirror_client.go, kubelet.go (syncPod, HandlePodCleanups),
// status/status_manager.go.
import type { Pod, PodStatus } from 'kubernetes-types/core/v1';
import type { Logger } from '../log/index.js';
import type { RestClient } from './client.js';
import { isAlreadyExists, isConflict, isNotFound, isTooLarge, ObjectTooLargeError } from './errors.js';
import type { ApiHealth } from './health.js';
import type { NodePodInformer } from './informer.js';
import { buildMirror, isMirrorOfNode, keepStartTime, mirrorHash, outdatedReason, podKey, podPath, staticPodHash, statusPatch } from './mirror-pod.js';

/** What we last wrote to a mirror's status, and what the server stored (it may normalise it). */
interface WrittenStatus {
  sent: string;
  stored: string;
  resourceVersion: string | undefined;
}

export interface MirrorPodsDeps {
  client: RestClient;
  nodeName: string;
  informer: NodePodInformer;
  health: ApiHealth;
  log: Logger;
  /** Calls in flight at once (a remote API server is many milliseconds away). */
  concurrency?: number;
  /** A Warning event on the Node (the refused mirror pod may not exist to carry one). */
  nodeEvent?: (reason: string, message: string) => void;
}

export class MirrorPods {
  private readonly written = new Map<string, WrittenStatus>();
  /** Keys of non-mirror pods in the way of a mirror, warned about once. */
  private readonly blocked = new Set<string>();
  /**
   * Per static pod, what the API server refused as too large (`create <hash>` or `status <json>`):
   * not sent again, and not reported again, until it changes. Every sync pass (one per status
   * change of any pod) would otherwise serialize and upload the same megabytes to be refused.
   */
  private readonly refused = new Map<string, string>();

  constructor(private readonly d: MirrorPodsDeps) {}

  /**
   * One pass over all static pods. `nodeUid` undefined: the Node cannot be read, so no mirror is
   * created (upstream rule), but status of existing mirrors is still written. Returns false when
   * some call failed (the caller retries with backoff).
   */
  async sync(staticPods: Pod[], nodeUid: string | undefined): Promise<boolean> {
    const { informer, nodeName } = this.d;
    if (!informer.hasSynced) return false;
    const wanted = new Map<string, Pod>();
    // A pod being replaced stops while its successor of the same name starts: the successor wins.
    for (const p of staticPods) {
      const key = podKey(p);
      const have = wanted.get(key);
      if (!have || (isStopping(have) && !isStopping(p))) wanted.set(key, p);
    }
    const tasks: (() => Promise<boolean>)[] = [];
    for (const p of wanted.values()) tasks.push(() => this.syncOne(p, nodeUid));
    for (const m of informer.all()) {
      if (!wanted.has(podKey(m)) && isMirrorOfNode(m, nodeName)) tasks.push(() => this.remove(m, 'its static pod is gone'));
    }
    const results = await runLimited(tasks, this.d.concurrency ?? 8);
    // Forget status bookkeeping of mirrors that no longer exist.
    const live = new Set(informer.all().map((p) => p.metadata?.uid));
    for (const uid of this.written.keys()) if (!live.has(uid)) this.written.delete(uid);
    for (const key of this.refused.keys()) if (!wanted.has(key)) this.refused.delete(key);
    return results.every(Boolean);
  }

  private async syncOne(staticPod: Pod, nodeUid: string | undefined): Promise<boolean> {
    const key = podKey(staticPod);
    const task = `mirror ${key}`;
    try {
      let mirror = this.d.informer.get(key);
      if (mirror && mirrorHash(mirror) === undefined) {
        // An ordinary pod of the same name: never delete a user's pod; report it once.
        if (!this.blocked.has(key)) {
          this.blocked.add(key);
          this.d.log.warn('a pod that is not a mirror pod has the name of a static pod; its mirror pod cannot be created', {
            pod: key,
            fix: `delete pod ${key} through the API, or rename the static pod's manifest`,
          });
        }
        return true;
      }
      this.blocked.delete(key);
      if (isStopping(staticPod)) return await this.stopping(staticPod, mirror, task);
      if (mirror) {
        const why = outdatedReason(mirror, staticPod, this.d.nodeName, nodeUid);
        if (why) {
          if (!(await this.remove(mirror, why))) return false;
          mirror = undefined;
        }
      }
      if (!mirror) {
        if (!nodeUid) return false;
        if (this.refused.get(key) === `create ${staticPodHash(staticPod)}`) return true;
        mirror = await this.create(staticPod, nodeUid);
        if (!mirror) return false;
      }
      await this.writeStatus(staticPod.status ?? {}, mirror, key);
      this.d.health.ok(task);
      return true;
    } catch (err) {
      if (err instanceof ObjectTooLargeError) {
        this.d.health.ok(task);
        this.d.log.warn(err.message, { pod: key, bytes: err.bytes });
        this.d.nodeEvent?.('FailedMirrorPod', err.message);
        return true;
      }
      if (isNotFound(err) || isConflict(err)) {
        // The mirror vanished or was replaced under us (a user, the garbage collector): next pass.
        this.d.informer.forget(key, undefined);
      }
      this.d.health.failed(task, err);
      return false;
    }
  }

  /**
   * The static pod is stopping: its mirror is deleted gracefully (the API server sets its
   * deletionTimestamp, kubectl shows Terminating) and keeps receiving status; the final delete
   * with grace period 0 follows once the pod is gone from the node (the orphan pass). No mirror
   * is created for a pod that is stopping.
   */
  private async stopping(staticPod: Pod, mirror: Pod | undefined, task: string): Promise<boolean> {
    if (!mirror || mirrorHash(mirror) !== staticPodHash(staticPod)) return true;
    const m = mirror.metadata!;
    if (!m.deletionTimestamp) {
      try {
        const grace = staticPod.metadata?.deletionGracePeriodSeconds ?? 30;
        const answer = await this.d.client.delete<Pod>(podPath(m.namespace || 'default', m.name!), {
          gracePeriodSeconds: grace,
          preconditions: m.uid ? { uid: m.uid } : undefined,
        });
        // A server that deleted it at once answers with the object without a deletionTimestamp.
        if (answer?.metadata?.deletionTimestamp) mirror = answer;
        else {
          this.d.informer.forget(podKey(mirror), m.uid);
          return true;
        }
        this.d.informer.upsert(mirror);
        this.d.log.debug('mirror: marked terminating', { pod: podKey(mirror), grace });
      } catch (err) {
        if (isNotFound(err) || isConflict(err)) return true;
        throw err;
      }
    }
    await this.writeStatus(staticPod.status ?? {}, mirror);
    this.d.health.ok(task);
    return true;
  }

  private async create(staticPod: Pod, nodeUid: string): Promise<Pod | undefined> {
    const body = buildMirror(staticPod, this.d.nodeName, nodeUid);
    const ns = body.metadata!.namespace!;
    try {
      const created = await this.d.client.create<Pod>(podPath(ns), body);
      this.refused.delete(podKey(staticPod));
      this.d.informer.upsert(created);
      this.d.log.debug('mirror: created', { pod: podKey(created), uid: created.metadata?.uid });
      return created;
    } catch (err) {
      if (isTooLarge(err)) {
        this.refused.set(podKey(staticPod), `create ${staticPodHash(staticPod)}`);
        throw new ObjectTooLargeError(`mirror pod of pod ${podKey(staticPod)}`, Buffer.byteLength(JSON.stringify(body)), err);
      }
      if (!isAlreadyExists(err)) throw err;
    }
    // It exists (our copy was stale): the same hash counts as success; otherwise the next pass
    // sees it through the informer and replaces it.
    const existing = await this.d.client.get<Pod>(podPath(ns, body.metadata!.name!));
    this.d.informer.upsert(existing);
    return mirrorHash(existing) === staticPodHash(staticPod) && !existing.metadata?.deletionTimestamp ? existing : undefined;
  }

  /** Deletes one incarnation (grace period 0, UID precondition); gone or replaced counts as done. */
  private async remove(mirror: Pod, why: string): Promise<boolean> {
    const key = podKey(mirror);
    const uid = mirror.metadata?.uid;
    try {
      await this.d.client.delete(podPath(mirror.metadata?.namespace || 'default', mirror.metadata!.name!), {
        gracePeriodSeconds: 0,
        preconditions: uid ? { uid } : undefined,
      });
      this.d.log.info('mirror: deleted mirror pod', { pod: key, uid, why });
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) {
        this.d.health.failed(`delete mirror ${key}`, err);
        return false;
      }
    }
    this.d.informer.forget(key, uid);
    this.written.delete(uid ?? '');
    return true;
  }

  private async writeStatus(current: PodStatus, mirror: Pod, key = podKey(mirror)): Promise<void> {
    const desired = keepStartTime(current, mirror.status);
    const uid = mirror.metadata?.uid ?? '';
    const sent = JSON.stringify(desired);
    if (this.refused.get(key) === `status ${sent}`) return;
    const w = this.written.get(uid);
    if (w && w.sent === sent) {
      // Unchanged on our side. Rewrite only if someone else changed the stored status since.
      const rv = mirror.metadata?.resourceVersion;
      if (rv === w.resourceVersion || JSON.stringify(mirror.status ?? {}) === w.stored) return;
    }
    const m = mirror.metadata!;
    const patch = { metadata: { uid }, ...statusPatch(desired, mirror.status) };
    let updated: Pod;
    try {
      updated = await this.d.client.patch<Pod>(`${podPath(m.namespace || 'default', m.name!)}/status`, patch, 'merge');
    } catch (err) {
      if (!isTooLarge(err)) throw err;
      this.refused.set(key, `status ${sent}`);
      throw new ObjectTooLargeError(`status of pod ${key}`, Buffer.byteLength(JSON.stringify(patch)), err);
    }
    if (this.refused.get(key)?.startsWith('status ')) this.refused.delete(key);
    this.d.informer.upsert(updated);
    this.written.set(uid, { sent, stored: JSON.stringify(updated.status ?? {}), resourceVersion: updated.metadata?.resourceVersion });
  }
}

function isStopping(p: Pod): boolean {
  return !!p.metadata?.deletionTimestamp;
}

/** Runs tasks with at most `limit` in flight; results in order. */
async function runLimited<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const out = new Array<T>(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      out[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return out;
}
