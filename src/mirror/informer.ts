// A local copy of the pods bound to this node, kept current with list + watch (a minimal informer):
// `GET /api/v1/pods?fieldSelector=spec.nodeName=<node>`, then a watch from the list's
// resourceVersion, resumed from the last seen version when the stream ends, and re-listed on 410
// Expired (also what the embedded API server answers after a restart lost its history).
import type { Pod, PodList } from 'kubernetes-types/core/v1';
import type { Status } from 'kubernetes-types/meta/v1';
import type { Logger } from '../log/index.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import type { RestClient, WatchHandle } from './client.js';
import { ApiError, describeError, isExpired } from './errors.js';
import type { ApiHealth } from './health.js';
import { podKey } from './mirror-pod.js';
import type { WatchEvent } from './watch.js';

export type PodChange = { type: 'relisted' } | { type: 'ADDED' | 'MODIFIED' | 'DELETED'; pod: Pod };

/**
 * Whether `candidate` is an older write than `current` (same name, any UID: a watch may still
 * deliver events of the incarnation we already replaced). resourceVersions are opaque strings, but
 * numeric and ordered in practice (etcd revisions; the embedded server's counter); otherwise: never.
 */
function isOlder(candidate: Pod, current: Pod): boolean {
  const a = candidate.metadata?.resourceVersion;
  const b = current.metadata?.resourceVersion;
  if (!a || !b || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return false;
  return a.length === b.length ? a < b : a.length < b.length;
}

export class NodePodInformer {
  private readonly pods = new Map<string, Pod>();
  private rv: string | undefined;
  private synced = false;
  private stopped = true;
  private handle: WatchHandle | undefined;
  private readonly backoff: Backoff;
  private loop: Promise<void> | undefined;
  private relist = false;

  constructor(
    private readonly client: RestClient,
    private readonly nodeName: string,
    private readonly health: ApiHealth,
    private readonly log: Logger,
    private readonly onChange: (c: PodChange) => void,
    retry: BackoffOptions,
  ) {
    this.backoff = new Backoff(retry);
  }

  /** True once a list has succeeded: only then does the absence of a pod mean something. */
  get hasSynced(): boolean {
    return this.synced;
  }

  get(key: string): Pod | undefined {
    return this.pods.get(key);
  }

  all(): Pod[] {
    return [...this.pods.values()];
  }

  /** Records what a write of ours returned, so the next sync does not act on a stale copy. */
  upsert(pod: Pod): void {
    const key = podKey(pod);
    const cur = this.pods.get(key);
    // Same incarnation: keep the newer copy. Another UID: ours is the one that exists now.
    if (cur && cur.metadata?.uid === pod.metadata?.uid && isOlder(pod, cur)) return;
    this.pods.set(key, pod);
  }

  /** Forgets a pod we deleted (only that incarnation: a newer one of the same name stays). */
  forget(key: string, uid: string | undefined): void {
    const cur = this.pods.get(key);
    if (cur && (uid === undefined || cur.metadata?.uid === uid)) this.pods.delete(key);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.handle?.stop();
    this.backoff.wake();
    await this.loop;
  }

  /** List again now (the server may have lost its data, or the watch may have missed something). */
  resync(): void {
    this.relist = true;
    this.handle?.stop();
    this.backoff.wake();
  }

  /** Retry at once if waiting out a backoff (the API server answered elsewhere). */
  wake(): void {
    this.backoff.wake();
  }

  private selector(): string {
    return `spec.nodeName=${this.nodeName}`;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        if (this.rv === undefined || this.relist) {
          this.relist = false;
          await this.list();
        }
        if (this.stopped) break;
        await this.watchOnce();
        if (!this.relist && !this.stopped) await this.pauseIfQuick();
      } catch (err) {
        if (this.stopped) break;
        if (isExpired(err)) {
          this.log.debug('mirror: pod watch expired; listing again', { error: describeError(err) });
          this.rv = undefined;
          await this.backoffIfRepeated();
          continue;
        }
        this.health.failed('watch pods of this node', err);
        await this.backoff.wait();
      }
    }
  }

  private quickEnds = 0;
  private watchStartedAt = 0;

  /** A watch the server ends at once, again and again, must not become a busy loop. */
  private async pauseIfQuick(): Promise<void> {
    if (Date.now() - this.watchStartedAt > 1000) {
      this.quickEnds = 0;
      return;
    }
    if (++this.quickEnds > 3) await this.backoff.wait();
  }

  private async backoffIfRepeated(): Promise<void> {
    if (++this.quickEnds > 3) await this.backoff.wait();
  }

  private async list(): Promise<void> {
    const list = await this.client.list<PodList>('/api/v1/pods', { fieldSelector: this.selector() });
    this.health.ok('list pods of this node');
    this.pods.clear();
    for (const p of list.items ?? []) this.pods.set(podKey(p), p);
    this.rv = list.metadata?.resourceVersion || undefined;
    this.synced = true;
    this.onChange({ type: 'relisted' });
  }

  private watchOnce(): Promise<void> {
    this.watchStartedAt = Date.now();
    let expired: unknown;
    const handle = this.client.watch<Pod | Status>(
      '/api/v1/pods',
      {
        fieldSelector: this.selector(),
        resourceVersion: this.rv,
        allowWatchBookmarks: true,
        // Let the server end the stream now and then (as client-go does), so a silently dead
        // connection is noticed; the idle timeout below is the backstop.
        timeoutSeconds: 300 + Math.floor(Math.random() * 300),
      },
      (e) => {
        const err = this.apply(e);
        if (err) {
          expired = err;
          handle.stop();
        }
      },
      {
        idleTimeoutMs: 660_000,
        onOpen: () => {
          this.health.ok('watch pods of this node');
          this.backoff.reset();
        },
      },
    );
    this.handle = handle;
    return handle.done.then(() => {
      if (expired) throw expired;
    });
  }

  /** Applies one event; returns an error to end the watch with. */
  private apply(e: WatchEvent<Pod | Status>): Error | undefined {
    if (e.type === 'ERROR') {
      const s = e.object as Status;
      const err = new ApiError(s.code ?? 500, s.reason ?? 'InternalError', s.message ?? 'watch error', 'WATCH /api/v1/pods');
      if (isExpired(err)) this.rv = undefined;
      return err;
    }
    const pod = e.object as Pod;
    const rv = pod.metadata?.resourceVersion;
    if (rv) this.rv = rv;
    if (e.type === 'BOOKMARK') return undefined;
    const key = podKey(pod);
    if (e.type === 'DELETED') {
      this.forget(key, pod.metadata?.uid);
    } else {
      const cur = this.pods.get(key);
      if (cur && isOlder(pod, cur)) return undefined;
      this.pods.set(key, pod);
    }
    this.onChange({ type: e.type, pod });
    return undefined;
  }
}
