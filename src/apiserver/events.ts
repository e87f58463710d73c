// Events are bounded, like kube's event TTL: any not written for `maxAgeMs` are dropped, and at
// most `max` are kept. Past `max` the oldest tenth goes in one pass, so the sort that finds them runs
// once per max/10 writes rather than on every write of a busy node. Dropping is a normal delete,
// so watchers see DELETED.
import type { Event } from 'kubernetes-types/core/v1';
import type { KubeObject } from './resources.js';
import type { Store } from './store.js';

export interface EventLimits {
  max: number;
  maxAgeMs: number;
}

export const DEFAULT_EVENT_LIMITS: EventLimits = { max: 10000, maxAgeMs: 3600 * 1000 };

function lastWritten(o: KubeObject): number {
  const e = o as unknown as Event;
  let t = 0;
  for (const s of [e.metadata?.creationTimestamp, e.lastTimestamp, e.eventTime, e.series?.lastObservedTime, e.firstTimestamp]) {
    if (!s) continue;
    const v = Date.parse(s);
    if (!Number.isNaN(v) && v > t) t = v;
  }
  return t;
}

/** Removes expired and surplus events; returns how many were removed. */
export function pruneEvents(store: Store, resource: string, limits: EventLimits, now: number): number {
  const all = store.list(resource);
  let removed = 0;
  const keep: KubeObject[] = [];
  for (const o of all) {
    if (now - lastWritten(o) > limits.maxAgeMs) {
      store.remove(resource, o.metadata.namespace, o.metadata.name ?? '');
      removed++;
    } else {
      keep.push(o);
    }
  }
  if (keep.length > limits.max) {
    const target = limits.max - Math.floor(limits.max / 10);
    // Oldest by last write first.
    const sorted = keep.map((o) => ({ o, t: lastWritten(o) })).sort((a, b) => a.t - b.t);
    for (const { o } of sorted.slice(0, keep.length - target)) {
      store.remove(resource, o.metadata.namespace, o.metadata.name ?? '');
      removed++;
    }
  }
  return removed;
}
