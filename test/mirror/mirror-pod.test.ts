import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1';
import { buildMirror, isMirrorOfNode } from '../../src/mirror/index.js';
import { keepStartTime, outdatedReason, statusPatch } from '../../src/mirror/mirror-pod.js';
import { staticPod } from './helpers.js';

test('buildMirror: a copy without server-owned fields, plus the mirror annotation and the Node owner', () => {
  const sp: Pod = staticPod('web', 'n1', 'abc');
  (sp.metadata as Record<string, unknown>)['resourceVersion'] = '7';
  (sp.metadata as Record<string, unknown>)['creationTimestamp'] = '2024-01-01T00:00:00Z';
  const m = buildMirror(sp, 'n1', 'node-uid');
  assert.deepEqual(Object.keys(m.metadata!).sort(), ['annotations', 'labels', 'name', 'namespace', 'ownerReferences']);
  assert.equal(m.metadata?.annotations?.['kubernetes.io/config.mirror'], 'abc');
  assert.equal(m.metadata?.annotations?.['kubernetes.io/config.hash'], 'abc');
  assert.deepEqual(m.metadata?.ownerReferences, [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'node-uid', controller: true }]);
  assert.equal(m.status, undefined, 'status is written through pods/status');
  assert.deepEqual(m.spec, sp.spec);
  assert.equal(sp.metadata?.annotations?.['kubernetes.io/config.mirror'], undefined, 'the static pod is not modified');
});

test('isMirrorOfNode: owner reference, or nodeName plus annotation', () => {
  const owned = buildMirror(staticPod('a', 'n1', 'h'), 'n1', 'u');
  assert.equal(isMirrorOfNode(owned, 'n1'), true);
  assert.equal(isMirrorOfNode(owned, 'n2'), false);
  const bound: Pod = { metadata: { name: 'x', annotations: { 'kubernetes.io/config.mirror': 'h' } }, spec: { nodeName: 'n1', containers: [] } };
  assert.equal(isMirrorOfNode(bound, 'n1'), true);
  const ordinary: Pod = { metadata: { name: 'x' }, spec: { nodeName: 'n1', containers: [] } };
  assert.equal(isMirrorOfNode(ordinary, 'n1'), false, "a user's ordinary pod is never ours to delete");
});

test('outdatedReason: deleting, other hash, or owned by an earlier Node of the same name', () => {
  const sp = staticPod('a', 'n1', 'h2');
  const current = buildMirror(sp, 'n1', 'u1');
  assert.equal(outdatedReason(current, sp, 'n1', 'u1'), undefined);
  assert.match(outdatedReason(buildMirror(staticPod('a', 'n1', 'h1'), 'n1', 'u1'), sp, 'n1', 'u1')!, /config\.hash h1/);
  assert.match(outdatedReason({ ...current, metadata: { ...current.metadata, deletionTimestamp: '2024-01-01T00:00:00Z' } }, sp, 'n1', 'u1')!, /being deleted/);
  assert.match(outdatedReason(current, sp, 'n1', 'u-new')!, /earlier Node/);
  assert.equal(outdatedReason(current, sp, 'n1', undefined), undefined, 'unknown Node UID: no verdict on the owner');
});

test('statusPatch nulls top-level fields that disappeared (a merge patch keeps what it does not mention)', () => {
  assert.deepEqual(statusPatch({ phase: 'Failed', reason: 'Error' }, { phase: 'Running', podIP: '10.0.0.1', reason: 'X' }), {
    status: { phase: 'Failed', reason: 'Error', podIP: null },
  });
  assert.deepEqual(statusPatch({ phase: 'Pending' }, undefined), { status: { phase: 'Pending' } });
});

test('keepStartTime: an adopted mirror keeps the startTime it shows when earlier or not known yet; nothing else changes', () => {
  const desired = { phase: 'Running', startTime: '2026-01-02T00:00:00Z' };
  assert.deepEqual(keepStartTime(desired, { phase: 'Running', startTime: '2026-01-01T00:00:00Z' }), { phase: 'Running', startTime: '2026-01-01T00:00:00Z' });
  assert.equal(keepStartTime(desired, { startTime: '2026-01-03T00:00:00Z' }), desired, 'a later stored time is not kept');
  assert.equal(keepStartTime(desired, undefined), desired);
  assert.equal(keepStartTime({ phase: 'Pending' }, { startTime: '2026-01-01T00:00:00Z' }).startTime, '2026-01-01T00:00:00Z', 'not synced yet: the stored one stays');
  assert.equal(keepStartTime({ phase: 'Pending' }, {}).startTime, undefined, 'none invented');
});
