import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonPatch, mergePatch, strategicMergePatch, type Json } from '../../src/apiserver/patch.js';
import { ApiError } from '../../src/apiserver/status.js';

test('merge patch: objects merge, null deletes, lists replace', () => {
  const target: Json = { a: 1, b: { c: 2, d: 3 }, l: [1, 2] };
  assert.deepEqual(mergePatch(target, { b: { c: null, e: 4 }, l: [3], z: 'n' }), { a: 1, b: { d: 3, e: 4 }, l: [3], z: 'n' });
  assert.deepEqual(target, { a: 1, b: { c: 2, d: 3 }, l: [1, 2] }, 'input untouched');
});

test('strategic merge patch: lists merge by key, directives', () => {
  const pod: Json = {
    status: {
      conditions: [
        { type: 'Ready', status: 'True' },
        { type: 'Initialized', status: 'True' },
      ],
      containerStatuses: [{ name: 'a', ready: true }, { name: 'b', ready: true }],
    },
    metadata: { finalizers: ['x'] },
  };
  const out = strategicMergePatch(pod, {
    $setElementOrder: null,
    status: {
      '$setElementOrder/conditions': [{ type: 'Initialized' }, { type: 'Ready' }],
      conditions: [{ type: 'Ready', status: 'False' }],
      containerStatuses: [{ name: 'b', $patch: 'delete' }, { name: 'c', ready: false }],
    },
    metadata: { finalizers: ['y'] },
  }) as { status: { conditions: { type: string; status: string }[]; containerStatuses: { name: string }[] }; metadata: { finalizers: string[] } };
  assert.deepEqual(out.status.conditions, [
    { type: 'Initialized', status: 'True' },
    { type: 'Ready', status: 'False' },
  ]);
  assert.deepEqual(out.status.containerStatuses.map((c) => c.name), ['a', 'c']);
  assert.deepEqual(out.metadata.finalizers, ['x', 'y']);
  const replaced = strategicMergePatch(pod, { status: { conditions: [{ $patch: 'replace' }, { type: 'X', status: 'True' }] } }) as { status: { conditions: unknown[] } };
  assert.deepEqual(replaced.status.conditions, [{ type: 'X', status: 'True' }]);
});

test('json patch: add, replace, remove, test, move; errors are ApiErrors', () => {
  const doc: Json = { metadata: { labels: { a: 'b' } }, list: [1, 2] };
  const out = jsonPatch(doc, [
    { op: 'add', path: '/metadata/labels/x~1y', value: 'z' },
    { op: 'replace', path: '/list/0', value: 9 },
    { op: 'add', path: '/list/-', value: 3 },
    { op: 'test', path: '/metadata/labels/a', value: 'b' },
    { op: 'move', from: '/metadata/labels/a', path: '/moved' },
    { op: 'remove', path: '/list/1' },
  ]);
  assert.deepEqual(out, { metadata: { labels: { 'x/y': 'z' } }, list: [9, 3], moved: 'b' });
  assert.throws(() => jsonPatch(doc, [{ op: 'remove', path: '/nope' }]), ApiError);
  assert.throws(() => jsonPatch(doc, [{ op: 'test', path: '/list/0', value: 5 }]), ApiError);
  assert.throws(() => jsonPatch(doc, { op: 'add' }), ApiError);
});
