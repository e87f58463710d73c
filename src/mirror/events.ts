// Kubernetes Events (core/v1) from this node, correlated as the kubelet's recorder does (client-go
// tools/record, events_cache.go): a repeat of the same (object, type, reason, message) is one Event
// whose `count` and `lastTimestamp` grow, also while the first is still queued (2000 pods starting
// at once queue a few thousand distinct events, not tens of thousands); an object posting more than
// its spam allowance (25, then one per 5 minutes) is filtered. The queue is bounded (oldest dropped,
// so an unreachable API server never grows memory) and sent one event at a time.
import type { Event, ObjectReference } from 'kubernetes-types/core/v1';
import type { Logger } from '../log/index.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import type { RestClient } from './client.js';
import { ApiError, isNotFound } from './errors.js';
import { EventSpamFilter } from './event-spam.js';
import type { ApiHealth } from './health.js';
import { rfc3339 } from './time.js';

export type EventType = 'Normal' | 'Warning';

/** Who an event is about; undefined while not known yet (e.g. a mirror pod still being created). */
export type ReferenceResolver = () => ObjectReference | undefined;

interface Pending {
  resolve: ReferenceResolver;
  /** Used when resolve() has not answered by `waitUntil`. */
  fallback: ObjectReference;
  waitUntil: number;
  type: EventType;
  reason: string;
  message: string;
  /** First and last occurrence, and how many were coalesced into this entry while it waited. */
  at: number;
  last: number;
  count: number;
  key: string;
}

interface Sent {
  name: string;
  namespace: string;
  count: number;
  first: number;
}

export interface EventRecorderOptions {
  client: RestClient;
  nodeName: string;
  health: ApiHealth;
  log: Logger;
  retry: BackoffOptions;
  /** Queue bound (default 10 000: distinct events of 2000 pods starting at once fit). */
  maxQueued?: number;
  /** Repeats within this window are counted on one Event (default 10 min). */
  dedupWindowMs?: number;
  /** Awaited before a round of sending starts (the mirror holds events back during container starts). */
  beforeSending?: () => Promise<void>;
}

const MAX_MESSAGE = 1024;
const truncate = (message: string) => (message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 1)}…` : message);
const MAX_REMEMBERED = 4096;

export class EventRecorder {
  private readonly queue: Pending[] = [];
  /** The queued entry of each (object, type, reason, message), for coalescing repeats. */
  private readonly queuedByKey = new Map<string, Pending>();
  private readonly spam = new EventSpamFilter();
  private filtered = 0;
  private readonly sent = new Map<string, Sent>();
  private readonly backoff: Backoff;
  private readonly max: number;
  private readonly window: number;
  private running: Promise<void> | undefined;
  private stopped = false;
  private dropped = 0;
  private seq = 0;
  private wakeIdle: (() => void) | undefined;

  constructor(private readonly o: EventRecorderOptions) {
    this.backoff = new Backoff(o.retry);
    this.max = o.maxQueued ?? 10_000;
    this.window = o.dedupWindowMs ?? 600_000;
  }

  /** Events waiting to be sent. */
  get queued(): number {
    return this.queue.length;
  }

  record(resolve: ReferenceResolver, fallback: ObjectReference, type: EventType, reason: string, message: string, waitMs = 0): void {
    if (this.stopped) return;
    const now = Date.now();
    if (!this.spam.allow(`kubelet\u0000${this.o.nodeName}`, fallback, now)) {
      if (this.filtered++ === 0) this.o.log.info('events: an object posts more events than its allowance (25, then one per 5 minutes); filtering the surplus', { object: `${fallback.kind}/${fallback.name}`, reason });
      return;
    }
    const key = [fallback.kind, fallback.namespace, fallback.name, fallback.uid, fallback.fieldPath, type, reason, truncate(message)].join('\u0000');
    const queued = this.queuedByKey.get(key);
    if (queued) {
      queued.count++;
      queued.last = now;
      return;
    }
    const entry: Pending = { resolve, fallback, waitUntil: now + waitMs, type, reason, message, at: now, last: now, count: 1, key };
    this.queue.push(entry);
    this.queuedByKey.set(key, entry);
    if (this.queue.length > this.max) {
      this.forget(this.queue.shift()!);
      if (this.dropped++ === 0) this.o.log.warn('events: queue full (API server unreachable?); dropping the oldest events', { max: this.max });
    }
    this.pump();
  }

  /** Something changed that may resolve a waiting reference (a mirror pod was created). */
  poke(): void {
    this.wakeIdle?.();
    this.backoff.wake();
  }

  stop(): Promise<void> {
    this.stopped = true;
    this.poke();
    return this.running ?? Promise.resolve();
  }

  private pump(): void {
    if (this.running || this.stopped) return;
    const ready = this.o.beforeSending?.() ?? Promise.resolve();
    this.running = ready.then(() => this.drain()).finally(() => {
      this.running = undefined;
      if (this.queue.length && !this.stopped) this.pump();
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length && !this.stopped) {
      const e = this.queue[0]!;
      let ref = e.resolve();
      if (!ref) {
        const wait = e.waitUntil - Date.now();
        if (wait > 0) {
          await this.idle(Math.min(wait, 250));
          continue;
        }
        ref = e.fallback;
      }
      try {
        const count = e.count;
        await this.send(e, ref, count);
        e.count -= count;
        // Repeats that arrived while it was being sent stay queued: the next round patches them in.
        if (e.count === 0 && this.queue[0] === e) this.forget(this.queue.shift()!);
        this.backoff.reset();
        this.o.health.ok('event');
        if (this.dropped) {
          this.o.log.info('events: delivering again', { dropped: this.dropped });
          this.dropped = 0;
        }
      } catch (err) {
        if (this.stopped) return;
        this.o.health.failed('event', err);
        if (err instanceof ApiError && err.code >= 400 && err.code < 500 && err.code !== 429) {
          // The server will not take this one (validation, permissions): drop it, keep going.
          if (this.queue[0] === e) this.forget(this.queue.shift()!);
          continue;
        }
        await this.backoff.wait();
      }
    }
  }

  private forget(e: Pending): void {
    if (this.queuedByKey.get(e.key) === e) this.queuedByKey.delete(e.key);
  }

  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wakeIdle = undefined;
        resolve();
      }, ms);
      this.wakeIdle = () => {
        clearTimeout(t);
        this.wakeIdle = undefined;
        resolve();
      };
    });
  }

  private async send(e: Pending, ref: ObjectReference, count: number): Promise<void> {
    const { client, nodeName } = this.o;
    const message = truncate(e.message);
    const key = [ref.kind, ref.namespace, ref.name, ref.uid, ref.fieldPath, e.type, e.reason, message].join('\u0000');
    const prev = this.sent.get(key);
    const last = rfc3339(e.last);
    if (prev && e.at - prev.first < this.window) {
      try {
        await client.patch<Event>(
          `/api/v1/namespaces/${encodeURIComponent(prev.namespace)}/events/${encodeURIComponent(prev.name)}`,
          { count: prev.count + count, lastTimestamp: last },
          'merge',
        );
        prev.count += count;
        return;
      } catch (err) {
        if (!isNotFound(err)) throw err;
        // Expired on the server: start a new one.
      }
    }
    const namespace = ref.namespace || 'default';
    const name = `${ref.name}.${(BigInt(e.at) * 1_000_000n + BigInt(this.seq++ % 1_000_000)).toString(16)}`;
    const event: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: ref,
      reason: e.reason,
      message,
      type: e.type,
      source: { component: 'kubelet', host: nodeName },
      firstTimestamp: rfc3339(e.at),
      lastTimestamp: last,
      count,
      reportingComponent: 'kubelet',
      reportingInstance: nodeName,
    };
    await client.create<Event>(`/api/v1/namespaces/${encodeURIComponent(namespace)}/events`, event);
    this.sent.delete(key);
    this.sent.set(key, { name, namespace, count, first: e.at });
    if (this.sent.size > MAX_REMEMBERED) this.sent.delete(this.sent.keys().next().value as string);
  }
}
