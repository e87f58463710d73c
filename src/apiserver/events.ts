// Events are bounded, like kube's event TTL: any not written for `maxAgeMs` are dropped, and at
// most `max` are kept. Past `max` the oldest tenth goes in one pass, so the sort that finds them runs
// once per max/10 writes rather than on every write of a busy node; the pass removes them in chunks
// so that it does not stall the requests that arrive meanwhile. Dropping is a normal delete, so
// watchers see DELETED.
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

/**
 * Removals per store change. A full pass over 10 000 events drops 1 000 at once, which holds the
 * event loop for ~100 ms on a loaded machine; in chunks, requests that arrive meanwhile are served
 * between them.
 */
export const PRUNE_CHUNK = 100;

/** The rest of a pass still being removed, per store and resource: no second pass starts meanwhile. */
const passes = new WeakMap<Store, Set<string>>();

/**
 * Removes expired and surplus events; returns how many were removed now. The first PRUNE_CHUNK go
 * at once, the rest in later turns of the event loop (`later`), each chunk one store change. An
 * event written again before its chunk runs is kept: it is no longer among the oldest.
 */
export function pruneEvents(
  store: Store,
  resource: string,
  limits: EventLimits,
  now: number,
  later: (fn: () => void) => void = setImmediate,
  onError: (err: unknown) => void = () => {},
): number {
  let running = passes.get(store);
  if (running?.has(resource)) return 0;
  const drop: KubeObject[] = [];
  const keep: Array<{ o: KubeObject; t: number }> = [];
  for (const o of store.list(resource)) {
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
  const removeChunk = (from: number): number => {
    const chunk = drop.slice(from, from + PRUNE_CHUNK).filter((o) => store.get(resource, o.metadata.namespace, o.metadata.name ?? '') === o);
    return store.removeMany(resource, chunk.map((o) => ({ namespace: o.metadata.namespace, name: o.metadata.name ?? '' }))).length;
  };
  const removed = removeChunk(0);
  if (drop.length <= PRUNE_CHUNK) return removed;
  if (!running) {
    running = new Set();
    passes.set(store, running);
  }
  running.add(resource);
  const next = (from: number) => () => {
    try {
      removeChunk(from);
    } catch (err) {
      // A chunk the store cannot save (disk full): the pass ends; the next write or timer starts another.
      running.delete(resource);
      onError(err);
      return;
    }
    if (from + PRUNE_CHUNK < drop.length) later(next(from + PRUNE_CHUNK));
    else running.delete(resource);
  };
  later(next(PRUNE_CHUNK));
  return removed;
}
