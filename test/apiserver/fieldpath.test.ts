// Field paths and the FieldsV1 trie server-side apply stores, against the upstream spellings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PathSet, pathString } from '../../src/apiserver/apply/index.js';

test('FieldsV1: leaves are {}, members with children get ".", keys sorted; round trip', () => {
  const item = ['f:spec', 'f:containers', 'k:{"name":"web"}'];
  const s = PathSet.of([item, [...item, 'f:image'], [...item, 'f:name'], ['f:metadata', 'f:labels', 'f:app'], ['f:spec', 'f:podCIDRs', 'v:"10.0.0.0/24"']]);
  const f = s.toFieldsV1();
  assert.deepEqual(f, {
    'f:metadata': { 'f:labels': { 'f:app': {} } },
    'f:spec': {
      'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {}, 'f:name': {} } },
      'f:podCIDRs': { 'v:"10.0.0.0/24"': {} },
    },
  });
  assert.deepEqual(Object.keys(f['f:spec']!['f:containers']!['k:{"name":"web"}']!), ['.', 'f:image', 'f:name']);
  const back = PathSet.fromFieldsV1(f);
  assert.equal(back.size, 5);
  assert.ok(back.has(item));
  assert.ok(!back.has(['f:spec']), 'a parent without "." is not a member');
});

test('paths print as upstream conflict messages print them', () => {
  assert.equal(pathString(['f:metadata', 'f:labels', 'f:app.kubernetes.io/name']), '.metadata.labels.app.kubernetes.io/name');
  assert.equal(pathString(['f:spec', 'f:containers', 'k:{"name":"web"}', 'f:image']), '.spec.containers[name="web"].image');
  assert.equal(pathString(['f:spec', 'f:ports', 'k:{"containerPort":80,"protocol":"TCP"}']), '.spec.ports[containerPort=80,protocol="TCP"]');
  assert.equal(pathString(['f:spec', 'f:podCIDRs', 'v:"10.0.0.0/24"']), '.spec.podCIDRs[="10.0.0.0/24"]');
});

test('set operations keep the same set when nothing changes (callers rely on identity)', () => {
  const a = PathSet.of([['f:a'], ['f:b']]);
  assert.equal(a.union(PathSet.of([['f:a']])), a);
  assert.equal(a.minus(PathSet.of([['f:c']])), a);
  assert.deepEqual(a.minus(PathSet.of([['f:a']])).paths(), [['f:b']]);
  assert.equal(a.union(PathSet.of([['f:c']])).size, 3);
  assert.deepEqual(a.intersect(PathSet.of([['f:b'], ['f:c']])).paths(), [['f:b']]);
});
