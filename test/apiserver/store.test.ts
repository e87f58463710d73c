import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Store } from '../../src/apiserver/store.js';
import type { KubeObject } from '../../src/apiserver/resources.js';

function obj(name: string, labels: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels } };
}

test('every write bumps one global resourceVersion; history resumes and expires', () => {
  const s = new Store({ historySize: 3, startRv: 100 });
  const a = s.write('pods', obj('a'));
  assert.equal(a.metadata.resourceVersion, '101');
  s.write('nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' } });
  const a2 = s.write('pods', obj('a', { x: 'y' }));
  assert.equal(a2.metadata.resourceVersion, '103');
  const h = s.since('pods', 101);
  assert.equal(h.kind, 'ok');
  if (h.kind === 'ok') {
    assert.deepEqual(h.events.map((e) => [e.type, e.rv]), [['MODIFIED', 103]]);
    assert.deepEqual(h.events[0]!.prev?.metadata.labels, {});
  }
  s.remove('pods', 'default', 'a');
  s.write('pods', obj('b'));
  assert.equal(s.since('pods', 100).kind, 'expired', 'the ring of 3 no longer holds 101');
  assert.equal(s.since('pods', 102).kind, 'ok');
  assert.equal(s.since('pods', 999).kind, 'future');
  assert.deepEqual(s.list('pods').map((o) => o.metadata.name), ['b']);
  assert.equal(s.size().total, 2);
});

test('subscribers see writes synchronously; unsubscribe stops them', () => {
  const s = new Store({ historySize: 10 });
  const seen: string[] = [];
  const off = s.subscribe('pods', (e) => seen.push(`${e.type}:${e.object.metadata.name}`));
  s.write('pods', obj('a'));
  assert.deepEqual(seen, ['ADDED:a']);
  s.remove('pods', 'default', 'a');
  off();
  s.write('pods', obj('b'));
  assert.deepEqual(seen, ['ADDED:a', 'DELETED:a']);
});
