// EventRecorder against a fake API server that is "down" (503) and then recovers.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import type { Event } from 'kubernetes-types/core/v1';
import { silentLogger } from '../../src/log/index.js';
import { RestClient } from '../../src/mirror/index.js';
import { EventRecorder } from '../../src/mirror/events.js';
import { ApiHealth } from '../../src/mirror/health.js';
import { defer, waitFor } from './helpers.js';

test('the queue is bounded (oldest dropped) while the API server fails, then drains in order', async (t) => {
  let up = false;
  const posted: Event[] = [];
  const patched: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (!up) {
        res.writeHead(503, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', code: 503, reason: 'ServiceUnavailable', message: 'starting' }));
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString()) as Event;
      if (req.method === 'POST') posted.push(body);
      else patched.push(`${req.url} ${JSON.stringify(body)}`);
      res.writeHead(req.method === 'POST' ? 201 : 200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  defer(t, () => new Promise<void>((r) => server.close(() => r())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new RestClient({ server: url, namespace: 'default', origin: 'test' });
  defer(t, () => client.close());
  const recorder = new EventRecorder({
    client,
    nodeName: 'n1',
    health: new ApiHealth(silentLogger, url),
    log: silentLogger,
    retry: { initialMs: 20, maxMs: 50 },
    maxQueued: 10,
  });
  defer(t, () => recorder.stop());
  const ref = { kind: 'Node', name: 'n1', uid: 'n1', namespace: '' };
  for (let i = 0; i < 15; i++) recorder.record(() => ref, ref, 'Normal', `R${i}`, `message ${i}`);
  assert.ok(recorder.queued <= 10, `queued ${recorder.queued}`);
  up = true;
  await waitFor('drained', () => recorder.queued === 0 && posted.length > 0);
  const reasons = posted.map((e) => e.reason);
  // Whatever was in flight when the bound was hit may survive; R5..R14 must all arrive, in order.
  assert.deepEqual(reasons.slice(-10), ['R5', 'R6', 'R7', 'R8', 'R9', 'R10', 'R11', 'R12', 'R13', 'R14']);
  assert.ok(reasons.length <= 11);
  assert.equal(posted[0]!.metadata?.namespace, 'default', 'node events live in the default namespace');
  assert.match(posted[0]!.metadata!.name!, /^n1\.[0-9a-f]+$/);

  // A repeat becomes a count patch on the same Event.
  recorder.record(() => ref, ref, 'Normal', 'R14', 'message 14');
  await waitFor('patched', () => patched.length === 1);
  assert.match(patched[0]!, /^\/api\/v1\/namespaces\/default\/events\/n1\.[0-9a-f]+ \{"count":2,"lastTimestamp":"[^"]+"\}$/);
});

/** A fake API server that answers 503 until `up`, recording what was posted and patched. */
async function fakeApi(t: TestContext) {
  const state = { up: false, posted: [] as Event[], patched: [] as Array<{ url: string; body: { count: number; lastTimestamp: string } }> };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (!state.up) {
        res.writeHead(503, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', code: 503, reason: 'ServiceUnavailable', message: 'starting' }));
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString()) as Event;
      if (req.method === 'POST') state.posted.push(body);
      else state.patched.push({ url: req.url ?? '', body: body as unknown as { count: number; lastTimestamp: string } });
      res.writeHead(req.method === 'POST' ? 201 : 200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  defer(t, () => new Promise<void>((r) => server.close(() => r())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new RestClient({ server: url, namespace: 'default', origin: 'test' });
  defer(t, () => client.close());
  const warnings: string[] = [];
  const log = { ...silentLogger, warn: (msg: string) => warnings.push(msg), child: () => log };
  const recorder = new EventRecorder({ client, nodeName: 'n1', health: new ApiHealth(silentLogger, url), log, retry: { initialMs: 20, maxMs: 50 } });
  defer(t, () => recorder.stop());
  return { state, recorder, warnings };
}

test('repeats of one event are coalesced while queued: one Event with the count and the last time', async (t) => {
  const { state, recorder } = await fakeApi(t);
  const ref = { kind: 'Pod', apiVersion: 'v1', name: 'web-n1', namespace: 'default', uid: 'u1' };
  for (let i = 0; i < 20; i++) recorder.record(() => ref, ref, 'Warning', 'BackOff', 'Back-off restarting failed container');
  assert.equal(recorder.queued, 1);
  state.up = true;
  await waitFor('drained', () => recorder.queued === 0 && state.posted.length > 0);
  // The first may already be on its way when the rest arrive: then one POST and one count patch.
  assert.equal(state.posted.length, 1);
  assert.ok(state.patched.length <= 1);
  assert.equal(state.patched.at(-1)?.body.count ?? state.posted[0]!.count, 20);
  assert.ok(state.posted[0]!.lastTimestamp! >= state.posted[0]!.firstTimestamp!);
});

test("the spam filter: 25 events per object, then the surplus is filtered (other objects unaffected)", async (t) => {
  const { state, recorder } = await fakeApi(t);
  const noisy = { kind: 'Pod', apiVersion: 'v1', name: 'noisy-n1', namespace: 'default', uid: 'u1' };
  const quiet = { kind: 'Pod', apiVersion: 'v1', name: 'quiet-n1', namespace: 'default', uid: 'u2' };
  for (let i = 0; i < 40; i++) recorder.record(() => noisy, noisy, 'Normal', `Reason${i}`, `message ${i}`);
  recorder.record(() => quiet, quiet, 'Normal', 'Started', 'Started container c');
  state.up = true;
  await waitFor('drained', () => recorder.queued === 0 && state.posted.length >= 26);
  assert.equal(state.posted.filter((e) => e.involvedObject.name === 'noisy-n1').length, 25);
  assert.deepEqual(state.posted.filter((e) => e.involvedObject.name === 'quiet-n1').map((e) => e.reason), ['Started']);
});

test('2000 pods starting at once: their events are all queued, none dropped', async (t) => {
  const { state, recorder, warnings } = await fakeApi(t);
  for (let p = 0; p < 2000; p++) {
    const ref = { kind: 'Pod', apiVersion: 'v1', name: `p${p}-n1`, namespace: 'default', uid: `u${p}` };
    for (const reason of ['Pulled', 'Created', 'Started']) {
      for (let repeat = 0; repeat < 3; repeat++) recorder.record(() => ref, ref, 'Normal', reason, `${reason} container c`);
    }
  }
  assert.equal(recorder.queued, 6000);
  assert.deepEqual(warnings, []);
  state.up = true;
  await waitFor('some events delivered', () => state.posted.length > 10, 30_000);
  // Each pod's three repeats are one Event of count 3 (bar the first, possibly in flight early).
  assert.deepEqual(state.posted.slice(1, 10).map((e) => e.count), [3, 3, 3, 3, 3, 3, 3, 3, 3]);
});
