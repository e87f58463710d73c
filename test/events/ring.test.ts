// The event ring: bounded (oldest dropped), repeats counted on one Event within the window, and
// watchers told of both.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1';
import { EventRing, type EventChange } from '../../src/events/index.js';

const pod: Pod = { metadata: { name: 'web-n1', namespace: 'kube-system', uid: 'u1' }, spec: { containers: [{ name: 'main' }], initContainers: [{ name: 'setup' }] } };

describe('EventRing', () => {
  it('keeps at most its capacity, dropping the oldest', () => {
    const ring = new EventRing({ nodeName: 'n1', capacity: 3 });
    for (let i = 0; i < 5; i++) ring.nodeEvent('Normal', 'Tick', `tick ${i}`);
    assert.deepEqual(ring.list().map((e) => e.message), ['tick 2', 'tick 3', 'tick 4']);
    // A dropped event no longer coalesces: its repeat is a new Event.
    ring.nodeEvent('Normal', 'Tick', 'tick 0');
    assert.equal(ring.list().at(-1)?.count, 1);
  });

  it('counts a repeat on the same Event within the window, a new one after it', () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const ring = new EventRing({ nodeName: 'n1', coalesceWindowMs: 60_000, now: () => now });
    const changes: EventChange[] = [];
    ring.watch((c) => changes.push(c));
    ring.podEvent(pod, 'Warning', 'BackOff', 'Back-off restarting failed container', 'main');
    now += 30_000;
    ring.podEvent(pod, 'Warning', 'BackOff', 'Back-off restarting failed container', 'main');
    assert.equal(ring.list().length, 1);
    const counted = ring.list()[0]!;
    assert.equal(counted.count, 2);
    assert.equal(counted.firstTimestamp, '2026-01-01T00:00:00Z');
    assert.equal(counted.lastTimestamp, '2026-01-01T00:00:30Z');
    assert.deepEqual(counted.involvedObject, { kind: 'Pod', apiVersion: 'v1', name: 'web-n1', namespace: 'kube-system', uid: 'u1', fieldPath: 'spec.containers{main}' });
    assert.deepEqual(changes.map((c) => c.type), ['ADDED', 'MODIFIED']);
    assert.ok(Number(changes[1]!.object.metadata?.resourceVersion) > Number(changes[0]!.object.metadata?.resourceVersion));
    now += 61_000;
    ring.podEvent(pod, 'Warning', 'BackOff', 'Back-off restarting failed container', 'main');
    assert.equal(ring.list().length, 2);
    ring.podEvent(pod, 'Normal', 'Started', 'Started container setup', 'setup');
    assert.equal(ring.list().at(-1)?.involvedObject?.fieldPath, 'spec.initContainers{setup}');
  });

  it('stops telling a watcher that unsubscribed; cuts oversized messages', () => {
    const ring = new EventRing({ nodeName: 'n1' });
    const seen: string[] = [];
    const stop = ring.watch((c) => seen.push(c.object.reason ?? ''));
    ring.nodeEvent('Normal', 'One', 'x');
    stop();
    ring.nodeEvent('Normal', 'Two', 'y'.repeat(5000));
    assert.deepEqual(seen, ['One']);
    assert.equal(ring.list().at(-1)?.message?.length, 1024);
    assert.deepEqual(ring.list().at(-1)?.involvedObject, { kind: 'Node', name: 'n1', uid: 'n1', namespace: '' });
  });
});
