// The node's recent events, kept in memory for `berth events` and `berth describe` (also without
// any API server): a bounded ring of core/v1 Events, oldest dropped first, where a repeat of the
// same (object, type, reason, message) within the window counts on the existing Event (count,
// lastTimestamp) as the kubelet's recorder coalesces them, instead of taking another slot.
import type { Event, ObjectReference, Pod } from 'kubernetes-types/core/v1';

export type EventType = 'Normal' | 'Warning';

export interface EventChange {
  type: 'ADDED' | 'MODIFIED';
  object: Event;
}

export interface EventRingOptions {
  nodeName: string;
  /** Events kept (default 1000); the oldest go first. */
  capacity?: number;
  /** Repeats within this window count on one Event (default 10 minutes, as client-go's recorder). */
  coalesceWindowMs?: number;
  now?: () => number;
}

const MAX_MESSAGE = 1024;

export class EventRing {
  private readonly events: Event[] = [];
  /** The Event a key coalesces into, while it is still in the ring. */
  private readonly byKey = new Map<string, Event>();
  private readonly listeners = new Set<(change: EventChange) => void>();
  private readonly capacity: number;
  private readonly window: number;
  private readonly now: () => number;
  private version = 0;

  constructor(private readonly o: EventRingOptions) {
    this.capacity = Math.max(1, o.capacity ?? 1000);
    this.window = o.coalesceWindowMs ?? 600_000;
    this.now = o.now ?? Date.now;
  }

  /** An event about a static pod (or one of its containers), as the kubelet records it. */
  podEvent(pod: Pod, type: EventType, reason: string, message: string, containerName?: string): void {
    const ref: ObjectReference = { kind: 'Pod', apiVersion: 'v1', name: pod.metadata?.name, namespace: pod.metadata?.namespace || 'default', uid: pod.metadata?.uid };
    if (containerName) ref.fieldPath = containerFieldPath(pod, containerName);
    this.record(ref, type, reason, message);
  }

  /** An event about this node (involvedObject uid = node name, as the kubelet does). */
  nodeEvent(type: EventType, reason: string, message: string): void {
    this.record({ kind: 'Node', name: this.o.nodeName, uid: this.o.nodeName, namespace: '' }, type, reason, message);
  }

  /** The events kept, oldest first. */
  list(): Event[] {
    return [...this.events];
  }

  /** The resourceVersion of the last change (a counter, as a watch's starting point). */
  get resourceVersion(): string {
    return String(this.version);
  }

  /** Calls `listener` for every event added or counted from now on; returns the way to stop. */
  watch(listener: (change: EventChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private record(ref: ObjectReference, type: EventType, reason: string, rawMessage: string): void {
    const message = rawMessage.length > MAX_MESSAGE ? `${rawMessage.slice(0, MAX_MESSAGE - 1)}…` : rawMessage;
    const at = this.now();
    const key = [ref.kind, ref.namespace, ref.name, ref.uid, ref.fieldPath, type, reason, message].join('\u0000');
    const existing = this.byKey.get(key);
    if (existing && at - Date.parse(existing.firstTimestamp!) < this.window) {
      // A new object, so that a reader holding the old one never sees it change under it.
      const counted: Event = { ...existing, count: (existing.count ?? 1) + 1, lastTimestamp: new Date(at).toISOString().replace(/\.\d+Z$/, 'Z') };
      counted.metadata = { ...existing.metadata, resourceVersion: String(++this.version) };
      this.events[this.events.indexOf(existing)] = counted;
      this.byKey.set(key, counted);
      this.emit({ type: 'MODIFIED', object: counted });
      return;
    }
    const ts = new Date(at).toISOString().replace(/\.\d+Z$/, 'Z');
    const namespace = ref.namespace || 'default';
    const event: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${ref.name}.${(BigInt(at) * 1_000_000n + BigInt(++this.version % 1_000_000)).toString(16)}`, namespace, resourceVersion: String(this.version) },
      involvedObject: ref,
      reason,
      message,
      type,
      source: { component: 'kubelet', host: this.o.nodeName },
      firstTimestamp: ts,
      lastTimestamp: ts,
      count: 1,
      reportingComponent: 'kubelet',
      reportingInstance: this.o.nodeName,
    };
    this.events.push(event);
    this.byKey.set(key, event);
    if (this.events.length > this.capacity) {
      const dropped = this.events.shift()!;
      for (const [k, e] of this.byKey) {
        if (e === dropped) {
          this.byKey.delete(k);
          break;
        }
      }
    }
    this.emit({ type: 'ADDED', object: event });
  }

  private emit(change: EventChange): void {
    for (const listener of this.listeners) listener(change);
  }
}

function containerFieldPath(pod: Pod, name: string): string {
  if (pod.spec?.initContainers?.some((c) => c.name === name)) return `spec.initContainers{${name}}`;
  if (pod.spec?.ephemeralContainers?.some((c) => c.name === name)) return `spec.ephemeralContainers{${name}}`;
  return `spec.containers{${name}}`;
}
