// The embedded API server on a state file, restarted: objects keep their UID, creationTimestamp
// and resourceVersion; a watch resumed with a version from before the restart gets the changes
// since then, or a clean 410 when that version is older than the kept history; a full disk is a
// 507 Status naming the file, while reads keep working.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { call, mirrorPodBody, nodeBody, openWatch, startTestServer, type TestServer } from '../helpers.js';
import { defer, tempDir, type TestLike } from '../../cleanup.js';
import type { ApiServerOptions } from '../../../src/apiserver/index.js';

const PODS = '/api/v1/namespaces/default/pods';
const EVENTS = '/api/v1/namespaces/default/events';

async function server(t: TestLike, extra: Partial<ApiServerOptions>): Promise<TestServer> {
  const ts = await startTestServer(extra);
  let closed = false;
  defer(t, async () => {
    if (!closed) await ts.close();
  });
  return {
    ...ts,
    close: async () => {
      closed = true;
      await ts.close();
    },
  };
}

function event(name: string, message = 'Started container main'): Record<string, unknown> {
  return {
    metadata: { name, namespace: 'default' },
    involvedObject: { kind: 'Pod', namespace: 'default', name: 'web-my-node1' },
    reason: 'Started',
    message,
    type: 'Normal',
    firstTimestamp: new Date().toISOString(),
    lastTimestamp: new Date().toISOString(),
    count: 1,
  };
}

test('after a restart objects, events and the version counter are as they were, and watches resume', async (t) => {
  const stateFile = join(await tempDir(t, 'store'), 'state.db');
  const a = await server(t, { stateFile });
  const node = await call(a, 'POST', '/api/v1/nodes', { body: nodeBody() });
  assert.equal(node.status, 201);
  const created = await call(a, 'POST', PODS, { body: mirrorPodBody('web-my-node1', node.json.metadata.uid) });
  assert.equal(created.status, 201, created.text);
  assert.equal((await call(a, 'POST', EVENTS, { body: event('web.1') })).status, 201);
  const list = await call(a, 'GET', PODS);
  const seenRv = list.json.metadata.resourceVersion as string;
  await a.close();

  // The same port, as an agent restarted with its --api-port (the kubernetes service names it).
  const b = await server(t, { stateFile, port: a.server.port });
  const pod = await call(b, 'GET', `${PODS}/web-my-node1`);
  assert.equal(pod.status, 200);
  assert.equal(pod.json.metadata.uid, created.json.metadata.uid, 'same UID');
  assert.equal(pod.json.metadata.creationTimestamp, created.json.metadata.creationTimestamp, 'same creationTimestamp');
  assert.equal(pod.json.metadata.resourceVersion, created.json.metadata.resourceVersion, 'same resourceVersion');
  assert.equal((await call(b, 'GET', '/api/v1/nodes/my-node1')).json.metadata.uid, node.json.metadata.uid);
  const events = await call(b, 'GET', EVENTS);
  assert.deepEqual(events.json.items.map((e: any) => e.metadata.name), ['web.1']);
  const namespaces = await call(b, 'GET', '/api/v1/namespaces');
  assert.ok(namespaces.json.items.every((n: any) => Number(n.metadata.resourceVersion) < Number(seenRv)), 'namespaces are not written again');
  assert.equal((await call(b, 'GET', PODS)).json.metadata.resourceVersion, seenRv, 'the counter did not move');

  // A watch from the version the client saw before the restart: no replay of what it has, and
  // every change since.
  const w = openWatch(b, `${PODS}?watch=true&resourceVersion=${seenRv}`);
  defer(t, () => w.close());
  assert.equal(await w.status, 200);
  const patched = await call(b, 'PATCH', `${PODS}/web-my-node1`, {
    body: { metadata: { labels: { after: 'restart' } } },
    contentType: 'application/merge-patch+json',
  });
  assert.equal(patched.status, 200, patched.text);
  const ev = await w.waitFor((e) => e.type === 'MODIFIED', 'MODIFIED after the restart');
  assert.equal(ev.object.metadata.labels.after, 'restart');
  assert.deepEqual(w.events.map((e) => e.type), ['MODIFIED'], 'nothing the client already had is replayed');
});

test('a watch resumed from a version older than the kept history gets 410 Expired, never silence', async (t) => {
  const stateFile = join(await tempDir(t, 'store'), 'state.db');
  const a = await server(t, { stateFile, historySize: 20 });
  const first = await call(a, 'POST', EVENTS, { body: event('old') });
  const oldRv = first.json.metadata.resourceVersion as string;
  for (let i = 0; i < 300; i++) assert.equal((await call(a, 'POST', EVENTS, { body: event(`e${i}`) })).status, 201);
  await a.close();

  const b = await server(t, { stateFile, historySize: 20 });
  const w = openWatch(b, `${EVENTS}?watch=true&resourceVersion=${oldRv}`);
  defer(t, () => w.close());
  const err = await w.waitFor((e) => e.type === 'ERROR', 'ERROR event');
  assert.equal(err.object.code, 410);
  assert.equal(err.object.reason, 'Expired');
  await w.ended;
});

test('disk full: writes answer 507 with the file and the fix, reads keep working, writes resume when there is room', async (t) => {
  const dir = await tempDir(t, 'store');
  const mnt = join(dir, 'small');
  mkdirSync(mnt);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]);
  defer(t, () => void execFileSync('umount', ['-l', mnt]));
  writeFileSync(join(mnt, 'filler'), Buffer.alloc(200 * 1024, 1));
  const ts = await server(t, { stateFile: join(mnt, 'state.db') });
  let full: Awaited<ReturnType<typeof call>> | undefined;
  for (let i = 0; i < 3000 && !full; i++) {
    const r = await call(ts, 'POST', EVENTS, { body: event(`e${i}`, 'x'.repeat(3000)) });
    if (r.status !== 201) full = r;
  }
  assert.ok(full, 'the 1 MiB file system filled up');
  assert.equal(full.status, 507, full.text);
  assert.equal(full.json.kind, 'Status');
  assert.equal(full.json.reason, 'InsufficientStorage');
  assert.match(full.json.message, /small\/state\.db cannot save this change: the disk is full/);
  const list = await call(ts, 'GET', EVENTS);
  assert.equal(list.status, 200);
  assert.ok(list.json.items.length > 0);
  unlinkSync(join(mnt, 'filler'));
  const again = await call(ts, 'POST', EVENTS, { body: event('after-room', 'small') });
  assert.equal(again.status, 201, again.text);
});
