// StartQuiet on its own: waits while a start is under way, ends on the change that makes the node
// quiet (after the settle), never waits longer than its bound.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StartQuiet } from '../../src/mirror/start-quiet.js';
import { sleep } from './helpers.js';

function tracked(p: Promise<void>): { done: boolean } {
  const s = { done: false };
  void p.then(() => (s.done = true));
  return s;
}

test('no start under way: wait() resolves at once', async () => {
  const quiet = new StartQuiet(() => false, 10_000);
  const w = tracked(quiet.wait(50));
  await Promise.resolve();
  await Promise.resolve();
  assert.equal(w.done, true);
});

test('a wait ends on the change that makes the node quiet, not on changes while still busy', async () => {
  let starts = 2;
  const quiet = new StartQuiet(() => starts > 0, 10_000);
  const w = tracked(quiet.wait());
  starts = 1;
  quiet.changed();
  await sleep(30);
  assert.equal(w.done, false, 'one start still under way');
  starts = 0;
  await sleep(30);
  assert.equal(w.done, false, 'quiet, but no change seen yet');
  quiet.changed();
  await sleep(5);
  assert.equal(w.done, true);
});

test('with a settle, the wait ends that long after the node became quiet, unless a new start began', async () => {
  let starts = 1;
  const quiet = new StartQuiet(() => starts > 0, 10_000);
  const w = tracked(quiet.wait(100));
  starts = 0;
  quiet.changed();
  await sleep(40);
  assert.equal(w.done, false, 'still settling');
  starts = 1; // a new start within the settle: keep waiting
  await sleep(120);
  assert.equal(w.done, false, 'a start began during the settle');
  starts = 0;
  quiet.changed();
  await sleep(160);
  assert.equal(w.done, true);
});

test('the wait is bounded: a node that is always starting still gets its writes out', async () => {
  const quiet = new StartQuiet(() => true, 80);
  const began = Date.now();
  await quiet.wait(20);
  const took = Date.now() - began;
  assert.ok(took >= 75 && took < 2000, `waited ${took} ms`);
});

test('release() ends every wait (shutdown)', async () => {
  const quiet = new StartQuiet(() => true, 10_000);
  const a = tracked(quiet.wait());
  const b = tracked(quiet.wait(50));
  quiet.release();
  await sleep(5);
  assert.deepEqual([a.done, b.done], [true, true]);
});
