// The event spam filter of the kubelet's recorder (client-go tools/record, EventSourceObjectSpamFilter):
// one token bucket per (source, involved object), 25 events at once and then one per 5 minutes.
// A pod that crash-loops for days therefore posts a bounded number of Events, whatever it does.
import type { ObjectReference } from 'kubernetes-types/core/v1';

export interface SpamFilterOptions {
  /** Events an object may have at once (upstream: 25). */
  burst?: number;
  /** Tokens regained per second (upstream: 1/300). */
  refillPerSecond?: number;
  /** Objects remembered (upstream's LRU: 4096); the least recently seen is forgotten first. */
  maxObjects?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class EventSpamFilter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly burst: number;
  private readonly refill: number;
  private readonly maxObjects: number;

  constructor(o: SpamFilterOptions = {}) {
    this.burst = o.burst ?? 25;
    this.refill = o.refillPerSecond ?? 1 / 300;
    this.maxObjects = o.maxObjects ?? 4096;
  }

  /** True when an event about `ref` may be posted now (takes a token); false when it is spam. */
  allow(source: string, ref: ObjectReference, now: number): boolean {
    const key = [source, ref.kind, ref.namespace, ref.name, ref.uid, ref.apiVersion].join('\u0000');
    let bucket = this.buckets.get(key);
    if (bucket) {
      this.buckets.delete(key); // re-inserted below: the Map's order is the LRU order
      bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.refill);
      bucket.at = now;
    } else {
      bucket = { tokens: this.burst, at: now };
    }
    this.buckets.set(key, bucket);
    if (this.buckets.size > this.maxObjects) this.buckets.delete(this.buckets.keys().next().value as string);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Objects currently tracked (bounded by maxObjects). */
  get size(): number {
    return this.buckets.size;
  }
}
