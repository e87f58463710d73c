// The JSON writer builds big answers from cached pieces (items, Table rows, watch frames): what it
// writes must be byte for byte what JSON.stringify writes, for every shape the handlers build, and
// a new object must never get the text of an old one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serialize, watchFramer } from '../../../src/apiserver/media/index.js';
import { encodeList, encodeObject, encodeWatchObject, type Output } from '../../../src/apiserver/output.js';
import { events, pods } from '../../../src/apiserver/resources.js';
import type { KubeObject } from '../../../src/apiserver/resources.js';

function pod(name: string, phase: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      resourceVersion: '7',
      creationTimestamp: '2026-01-01T00:00:00Z',
      labels: { app: name, 'quote"d': 'ü\u2028' },
      managedFields: [{ manager: 'berth', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:status': {} } }],
    },
    spec: { containers: [{ name: 'c', image: 'busybox' }], nodeName: 'n' },
    status: { phase, containerStatuses: [{ name: 'c', ready: true, restartCount: 0, image: 'busybox', imageID: '', state: { running: {} } }] },
  };
}

const text = (data: Buffer | string) => (typeof data === 'string' ? data : data.toString('utf8'));
const NOW = Date.parse('2026-01-02T00:00:00Z');
const table = (includeObject: 'None' | 'Metadata' | 'Object'): Output => ({
  kind: 'table',
  apiVersion: 'meta.k8s.io/v1',
  contentType: 'application/json;as=Table;v=v1;g=meta.k8s.io',
  includeObject,
});

test('lists, Tables (every includeObject), PartialObjectMetadata lists and single objects: the same bytes as JSON.stringify', () => {
  const items = [pod('a', 'Running'), pod('b', 'Succeeded'), pod('c', 'Failed')];
  const outputs: Output[] = [
    { kind: 'json' },
    table('None'),
    table('Metadata'),
    table('Object'),
    { kind: 'partial', apiVersion: 'meta.k8s.io/v1', contentType: 'application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io' },
  ];
  for (const out of outputs) {
    // Twice: the second time from the cache.
    for (let round = 0; round < 2; round++) {
      const list = encodeList(pods, items, '42', out, NOW, { continue: 'tok', remainingItemCount: 3 });
      assert.equal(text(serialize('json', list.contentType, list.body).data), JSON.stringify(list.body), `${out.kind} list, round ${round}`);
      const one = encodeObject(pods, items[0]!, out, NOW);
      assert.equal(text(serialize('json', one.contentType, one.body).data), JSON.stringify(one.body), `${out.kind} object, round ${round}`);
    }
  }
  const empty = encodeList(events, [], '1', table('Metadata'), NOW);
  assert.equal(text(serialize('json', empty.contentType, empty.body).data), JSON.stringify(empty.body));
});

test('a changed object is a new object: its list and Table text is its own, never the cached text of the old one', () => {
  const before = pod('a', 'Pending');
  const list1 = encodeList(pods, [before], '1', table('Metadata'), NOW);
  serialize('json', list1.contentType, list1.body);
  const after: KubeObject = { ...before, metadata: { ...before.metadata, resourceVersion: '8', labels: { app: 'changed' } }, status: { phase: 'Running' } };
  for (const out of [{ kind: 'json' } as Output, table('Metadata'), table('Object')]) {
    const list2 = encodeList(pods, [after], '2', out, NOW);
    const written = text(serialize('json', list2.contentType, list2.body).data);
    assert.equal(written, JSON.stringify(list2.body));
    assert.match(written, /"changed"/);
  }
});

test('watch frames: every watcher of one change gets the JSON.stringify line; the next change gets its own', () => {
  const framer = watchFramer('json', 'application/json');
  const a = pod('a', 'Running');
  const b = { ...a, metadata: { ...a.metadata, resourceVersion: '9' } };
  const expect = (type: string, o: KubeObject) => JSON.stringify({ type, object: o }) + '\n';
  for (let watcher = 0; watcher < 3; watcher++) assert.equal(text(framer.frame('MODIFIED', encodeWatchObject(pods, a, { kind: 'json' }, NOW))), expect('MODIFIED', a));
  // Same object, another type (a selector watch sees it as DELETED), then the next change.
  assert.equal(text(framer.frame('DELETED', a)), expect('DELETED', a));
  assert.equal(text(framer.frame('MODIFIED', b)), expect('MODIFIED', b));
  const status = { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 410 };
  assert.equal(text(framer.frame('ERROR', status)), JSON.stringify({ type: 'ERROR', object: status }) + '\n');
});
