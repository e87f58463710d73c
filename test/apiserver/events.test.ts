// Event pruning: expired events go, past the limit the oldest tenth goes, and a big pass is removed
// in chunks (one store change each, later ones in later turns of the event loop) so requests are
// served between them; an event written again meanwhile is kept.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PRUNE_CHUNK, pruneEvents } from '../../src/apiserver/events.js';
import { Store, type StoreEvent } from '../../src/apiserver/store.js';

const BASE = Date.parse('2026-01-01T00:00:00Z');

function event(i: number, at = BASE + i * 1000) {
  const ts = new Date(at).toISOString();
  return { apiVersion: 'v1', kind: 'Event', metadata: { name: `e${i}`, namespace: 'default', creationTimestamp: ts }, lastTimestamp: ts, message: `m${i}` };
}

test('a big pass is removed in chunks: the first at once, the rest later, oldest first, one pass at a time', () => {
  const commits: number[] = [];
  const store = new Store({ historySize: 10_000, backend: { commit: (es: readonly StoreEvent[]) => void commits.push(es.length) } });
  const n = 3 * PRUNE_CHUNK + 50;
  for (let i = 0; i < n; i++) store.write('events', event(i));
  commits.length = 0;
  const queue: Array<() => void> = [];
  const limits = { max: 10, maxAgeMs: 24 * 3600 * 1000 };
  const now = BASE + n * 1000;
  // Down to max - max/10 = 9: n - 9 removals.
  assert.equal(pruneEvents(store, 'events', limits, now, (fn) => queue.push(fn)), PRUNE_CHUNK);
  assert.equal(store.count('events'), n - PRUNE_CHUNK);
  assert.equal(store.get('events', 'default', 'e0'), undefined, 'the oldest went first');
  assert.equal(pruneEvents(store, 'events', limits, now, (fn) => queue.push(fn)), 0, 'no second pass while one runs');
  // Written again before its chunk: no longer among the oldest, so kept.
  store.write('events', event(PRUNE_CHUNK + 5, now));
  commits.length = 0;
  while (queue.length) queue.shift()!();
  assert.deepEqual(commits, [PRUNE_CHUNK - 1, PRUNE_CHUNK, n - 9 - 3 * PRUNE_CHUNK], 'one store change per chunk; the rewritten event (in the second chunk) skipped');
  assert.equal(store.count('events'), 10);
  assert.ok(store.get('events', 'default', `e${PRUNE_CHUNK + 5}`));
  assert.deepEqual(
    store.list('events').map((o) => o.metadata.name).filter((x) => x !== `e${PRUNE_CHUNK + 5}`),
    Array.from({ length: 9 }, (_, k) => `e${n - 9 + k}`),
  );
  // The pass is over: the next one can start.
  for (let i = 0; i < 5; i++) store.write('events', event(n + i, now + i));
  assert.equal(pruneEvents(store, 'events', limits, now + 10, (fn) => queue.push(fn)), 6);
});

test('expired events go whatever the count; a chunk the store refuses ends the pass and is reported', () => {
  let refuse = false;
  const store = new Store({
    historySize: 1000,
    backend: {
      commit: () => {
        if (refuse) throw new Error('disk full');
      },
    },
  });
  for (let i = 0; i < 2 * PRUNE_CHUNK + 1; i++) store.write('events', event(i));
  store.write('events', event(9999, BASE + 10 * 3600 * 1000));
  const queue: Array<() => void> = [];
  const errors: unknown[] = [];
  const limits = { max: 10_000, maxAgeMs: 3600 * 1000 };
  assert.equal(pruneEvents(store, 'events', limits, BASE + 10 * 3600 * 1000, (fn) => queue.push(fn), (e) => errors.push(e)), PRUNE_CHUNK);
  refuse = true;
  queue.shift()!();
  assert.equal(queue.length, 0, 'the pass ended');
  assert.equal((errors[0] as Error).message, 'disk full');
  refuse = false;
  // The next pass picks up what is left.
  pruneEvents(store, 'events', limits, BASE + 10 * 3600 * 1000, (fn) => queue.push(fn));
  while (queue.length) queue.shift()!();
  assert.deepEqual(store.list('events').map((o) => o.metadata.name), ['e9999']);
});
