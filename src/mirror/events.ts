// Kubernetes Events (core/v1) from this node: queued in memory (bounded, oldest dropped, so an
// unreachable API server never grows memory), sent one at a time, and a repeat of the same
// (object, type, reason, message) within 10 minutes increments `count` on the existing Event
// instead of creating another (upstream client-go tools/record, events_cache.go).
import type { Event, ObjectReference } from 'kubernetes-types/core/v1';
import type { Logger } from '../log/index.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import type { RestClient } from './client.js';
import { ApiError, isNotFound } from './errors.js';
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
  at: number;
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
  /** Queue bound (default 1000). */
  maxQueued?: number;
  /** Repeats within this window are counted on one Event (default 10 min). */
  dedupWindowMs?: number;
}

const MAX_MESSAGE = 1024;
const MAX_REMEMBERED = 4096;

export class EventRecorder {
  private readonly queue: Pending[] = [];
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
    this.max = o.maxQueued ?? 1000;
    this.window = o.dedupWindowMs ?? 600_000;
  }

  /** Events waiting to be sent. */
  get queued(): number {
    return this.queue.length;
  }

  record(resolve: ReferenceResolver, fallback: ObjectReference, type: EventType, reason: string, message: string, waitMs = 0): void {
    if (this.stopped) return;
    const now = Date.now();
    this.queue.push({ resolve, fallback, waitUntil: now + waitMs, type, reason, message, at: now });
    if (this.queue.length > this.max) {
      this.queue.shift();
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
    this.running = this.drain().finally(() => {
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
        await this.send(e, ref);
        if (this.queue[0] === e) this.queue.shift();
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
          if (this.queue[0] === e) this.queue.shift();
          continue;
        }
        await this.backoff.wait();
      }
    }
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

  private async send(e: Pending, ref: ObjectReference): Promise<void> {
    const { client, nodeName } = this.o;
    const message = e.message.length > MAX_MESSAGE ? `${e.message.slice(0, MAX_MESSAGE - 1)}…` : e.message;
    const key = [ref.kind, ref.namespace, ref.name, ref.uid, ref.fieldPath, e.type, e.reason, message].join('\u0000');
    const prev = this.sent.get(key);
    const ts = rfc3339(e.at);
    if (prev && e.at - prev.first < this.window) {
      try {
        await client.patch<Event>(
          `/api/v1/namespaces/${encodeURIComponent(prev.namespace)}/events/${encodeURIComponent(prev.name)}`,
          { count: prev.count + 1, lastTimestamp: ts },
          'merge',
        );
        prev.count++;
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
      firstTimestamp: ts,
      lastTimestamp: ts,
      count: 1,
      reportingComponent: 'kubelet',
      reportingInstance: nodeName,
    };
    await client.create<Event>(`/api/v1/namespaces/${encodeURIComponent(namespace)}/events`, event);
    this.sent.delete(key);
    this.sent.set(key, { name, namespace, count: 1, first: e.at });
    if (this.sent.size > MAX_REMEMBERED) this.sent.delete(this.sent.keys().next().value as string);
  }
}
