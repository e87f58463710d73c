// In-memory object store with one global, monotonic resourceVersion (like etcd's revision): every
// write bumps it, and the last `historySize` changes are kept in a ring so a watch can resume from
// any recent version. Everything here is synchronous: a read-check-write in one handler tick can
// never interleave with another request, which is what makes optimistic concurrency exact.
//
// Stored objects are never mutated after they are stored; writers always store a fresh object. That
// lets lists, watch events and the history ring share references safely.
//
// With a backend (the durable store in store/), every change is committed there first and applied
// here only once it is durable: a write the backend refuses (disk full) changes nothing, and the
// memory copy stays the fast read path, like kube-apiserver's watch cache in front of etcd.
import type { KubeObject } from './resources.js';
import { SharedFieldSets } from './shared-fields.js';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  rv: number;
  type: EventType;
  /** Store key of the resource (`pods`, `leases.coordination.k8s.io`). */
  resource: string;
  object: KubeObject;
  /** The object before a MODIFIED (for watches whose selector stops or starts matching). */
  prev?: KubeObject;
}

export type HistoryResult = { kind: 'ok'; events: StoreEvent[] } | { kind: 'expired'; oldest: number } | { kind: 'future' };

export interface StoreOptions {
  /** How many changes a watch can resume across. */
  historySize: number;
  /**
   * First resourceVersion. Starting from the wall clock (microseconds) makes the versions of a
   * restarted server larger than any the previous run handed out, so a client resuming with an
   * old version gets 410 Expired and re-lists instead of silently missing changes.
   */
  startRv?: number;
  /** Where changes are made durable before they are applied; none = memory only. */
  backend?: StoreBackend;
  /** State loaded from the backend at start (objects, history, counters). */
  snapshot?: StoreSnapshot;
}

/**
 * Makes changes durable. commit() throws when it cannot; the changes are then not applied. The
 * events of one call are committed together (one transaction) or not at all.
 */
export interface StoreBackend {
  commit(events: readonly StoreEvent[]): void;
  /**
   * The committed changes of `resource` with afterRv < rv <= upToRv, in rv order, with `prev` on
   * MODIFIED. A backend without it makes the store keep its whole history in memory.
   */
  historyBetween?(resource: string, afterRv: number, upToRv: number): StoreEvent[];
}

/** Changes kept in the JS heap when the backend can read older ones back. */
export const MEMORY_HISTORY = 512;

/** What a restarted store starts from. `history` is in rv order and contiguous up to `rv`. */
export interface StoreSnapshot {
  rv: number;
  /** Watches may resume from any version >= this one. */
  compactedRv: number;
  objects: Array<{ resource: string; object: KubeObject }>;
  history: StoreEvent[];
}

function objectKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

export class Store {
  private rv: number;
  private compactedRv: number;
  private readonly data = new Map<string, Map<string, KubeObject>>();
  private readonly ring: (StoreEvent | undefined)[];
  private ringStart = 0;
  private ringLen = 0;
  private readonly listeners = new Map<string, Set<(e: StoreEvent) => void>>();
  private readonly backend: StoreBackend | undefined;
  private readonly historySize: number;
  /** Stored objects share equal managedFields trees (thousands of Events carry the same one). */
  private readonly fieldSets = new SharedFieldSets();
  /** Set when older changes are read from the backend: the ring holds every change after this version. */
  private memoryFloorRv: number | undefined;

  constructor(opts: StoreOptions) {
    this.rv = opts.startRv ?? Date.now() * 1000;
    this.compactedRv = this.rv;
    this.historySize = Math.max(1, opts.historySize);
    this.backend = opts.backend;
    const backed = this.backend?.historyBetween !== undefined;
    this.ring = new Array<StoreEvent | undefined>(backed ? Math.min(this.historySize, MEMORY_HISTORY) : this.historySize);
    const snap = opts.snapshot;
    if (snap) {
      this.rv = snap.rv;
      this.compactedRv = snap.compactedRv;
      for (const { resource, object } of snap.objects) this.bucket(resource).set(objectKey(object.metadata.namespace, object.metadata.name ?? ''), this.fieldSets.share(object));
      const keep = snap.history.slice(-this.ring.length);
      if (keep.length < snap.history.length) {
        if (backed) this.memoryFloorRv = keep[0]!.rv - 1;
        else this.compactedRv = Math.max(this.compactedRv, keep[0]!.rv - 1);
      }
      for (const e of keep) this.ring[this.ringLen++] = e;
    }
    if (backed && this.memoryFloorRv === undefined) this.memoryFloorRv = this.ringLen > 0 ? this.at(0).rv - 1 : this.rv;
  }

  private bucket(resource: string): Map<string, KubeObject> {
    let m = this.data.get(resource);
    if (!m) {
      m = new Map();
      this.data.set(resource, m);
    }
    return m;
  }

  get resourceVersion(): number {
    return this.rv;
  }

  get(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.data.get(resource)?.get(objectKey(namespace, name));
  }

  count(resource: string): number {
    return this.data.get(resource)?.size ?? 0;
  }

  /** Objects of a resource in insertion order; `namespace` undefined = every namespace. */
  list(resource: string, namespace?: string): KubeObject[] {
    const m = this.data.get(resource);
    if (!m) return [];
    const out: KubeObject[] = [];
    for (const o of m.values()) {
      if (namespace === undefined || (o.metadata.namespace ?? '') === namespace) out.push(o);
    }
    return out;
  }

  /** Stores `obj` (a fresh object the caller owns), assigning the next resourceVersion. */
  write(resource: string, obj: KubeObject): KubeObject {
    const m = this.bucket(resource);
    const key = objectKey(obj.metadata.namespace, obj.metadata.name ?? '');
    const prev = m.get(key);
    const rv = this.rv + 1;
    const shared = this.fieldSets.share(obj);
    const stored: KubeObject = { ...shared, metadata: { ...shared.metadata, resourceVersion: String(rv) } };
    const e: StoreEvent = prev ? { rv, type: 'MODIFIED', resource, object: stored, prev } : { rv, type: 'ADDED', resource, object: stored };
    this.backend?.commit([e]);
    this.rv = rv;
    m.set(key, stored);
    this.record(e);
    return stored;
  }

  /** Removes an object; returns its last state stamped with the deletion's resourceVersion. */
  remove(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.removeMany(resource, [{ namespace, name }])[0];
  }

  /**
   * Removes several objects of one resource as one durable change (a prune of a thousand events is
   * one transaction, not a thousand, so requests behind it are not held up); each removal still has
   * its own resourceVersion and DELETED event, in the order given. Missing objects are skipped.
   */
  removeMany(resource: string, targets: ReadonlyArray<{ namespace: string | undefined; name: string }>): KubeObject[] {
    const m = this.data.get(resource);
    if (!m) return [];
    const events: StoreEvent[] = [];
    const keys: string[] = [];
    const seen = new Set<string>();
    let rv = this.rv;
    for (const t of targets) {
      const key = objectKey(t.namespace, t.name);
      const prev = m.get(key);
      if (!prev || seen.has(key)) continue;
      seen.add(key);
      rv++;
      const gone: KubeObject = { ...prev, metadata: { ...prev.metadata, resourceVersion: String(rv) } };
      events.push({ rv, type: 'DELETED', resource, object: gone });
      keys.push(key);
    }
    if (events.length === 0) return [];
    this.backend?.commit(events);
    this.rv = rv;
    events.forEach((e, i) => {
      m.delete(keys[i]!);
      this.record(e);
    });
    return events.map((e) => e.object);
  }

  /** Changes of `resource` after `rv`, if the ring still holds all of them. */
  since(resource: string, rv: number): HistoryResult {
    if (rv > this.rv) return { kind: 'future' };
    if (rv < this.compactedRv) return { kind: 'expired', oldest: this.compactedRv };
    let events: StoreEvent[] = [];
    if (this.memoryFloorRv !== undefined && rv < this.memoryFloorRv) {
      try {
        events = this.backend!.historyBetween!(resource, rv, this.memoryFloorRv);
      } catch {
        // An unreadable history is a history that no longer reaches back that far: the client
        // re-lists, as after any 410, instead of getting an error it cannot act on.
        return { kind: 'expired', oldest: this.memoryFloorRv };
      }
    }
    // Binary search for the first entry with a larger rv (entries are in rv order).
    let lo = 0;
    let hi = this.ringLen;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.at(mid).rv <= rv) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.ringLen; i++) {
      const e = this.at(i);
      if (e.resource === resource) events.push(e);
    }
    return { kind: 'ok', events };
  }

  subscribe(resource: string, fn: (e: StoreEvent) => void): () => void {
    let set = this.listeners.get(resource);
    if (!set) {
      set = new Set();
      this.listeners.set(resource, set);
    }
    set.add(fn);
    return () => {
      set!.delete(fn);
    };
  }

  /** Object counts, for metrics and benchmarks. */
  size(): { total: number; byResource: Record<string, number>; history: number } {
    const byResource: Record<string, number> = {};
    let total = 0;
    for (const [r, m] of this.data) {
      byResource[r] = m.size;
      total += m.size;
    }
    return { total, byResource, history: this.ringLen };
  }

  private at(i: number): StoreEvent {
    return this.ring[(this.ringStart + i) % this.ring.length]!;
  }

  private record(e: StoreEvent): void {
    const cap = this.ring.length;
    if (this.memoryFloorRv !== undefined) {
      // The backend keeps (at least) the last historySize changes; the ring only the newest.
      this.compactedRv = Math.max(this.compactedRv, e.rv - this.historySize);
    }
    if (this.ringLen === cap) {
      const oldest = this.ring[this.ringStart]!;
      if (this.memoryFloorRv !== undefined) this.memoryFloorRv = oldest.rv;
      else this.compactedRv = oldest.rv;
      this.ring[this.ringStart] = e;
      this.ringStart = (this.ringStart + 1) % cap;
    } else {
      this.ring[(this.ringStart + this.ringLen) % cap] = e;
      this.ringLen++;
    }
    const set = this.listeners.get(e.resource);
    if (!set) return;
    for (const fn of [...set]) fn(e);
  }
}
