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

/** Removes expired and surplus events (in one store change); returns how many were removed. */
export function pruneEvents(store: Store, resource: string, limits: EventLimits, now: number): number {
  const all = store.list(resource);
  const drop: KubeObject[] = [];
  const keep: Array<{ o: KubeObject; t: number }> = [];
  for (const o of all) {
    const t = lastWritten(o);
    if (now - t > limits.maxAgeMs) drop.push(o);
    else keep.push({ o, t });
  }
  if (keep.length > limits.max) {
    const target = limits.max - Math.floor(limits.max / 10);
    // Oldest by last write first.
    keep.sort((a, b) => a.t - b.t);
    for (const { o } of keep.slice(0, keep.length - target)) drop.push(o);
  }
  if (drop.length === 0) return 0;
  return store.removeMany(
    resource,
    drop.map((o) => ({ namespace: o.metadata.namespace, name: o.metadata.name ?? '' })),
  ).length;
}
