// The agent's kubeconfig is brought up to date in place: untouched when address, CA and token are
// the same, only those fields changed otherwise, and everything the user edited kept.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import { updatedKubeconfig } from '../../src/apiserver/index.js';
import { buildKubeconfig } from '../../src/apiserver/kubeconfig.js';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const URL1 = 'https://127.0.0.1:6443';

test('no file, an empty file or one that is not a kubeconfig: a fresh kubeconfig', () => {
  for (const existing of [undefined, '', 'not: [valid', '- a list']) {
    const text = updatedKubeconfig(existing, URL1, CA, 'tok');
    assert.ok(text);
    const doc = parse(text);
    assert.equal(doc.clusters[0].cluster.server, URL1);
    assert.equal(doc.users[0].user.token, 'tok');
    assert.equal(doc['current-context'], 'berth');
  }
});

test('same address, CA and token: nothing to write', () => {
  assert.equal(updatedKubeconfig(buildKubeconfig(URL1, CA, 'tok'), URL1, CA, 'tok'), undefined);
});

test('a new port changes the server only: the namespace kubens chose, comments and other entries stay', () => {
  const user = buildKubeconfig(URL1, CA, 'tok').replace('namespace: default', 'namespace: kube-system') +
    '# my note\n';
  const withOther = user.replace('current-context: berth', 'current-context: berth\nextensions: []');
  const text = updatedKubeconfig(withOther, 'https://127.0.0.1:7443', CA, 'tok');
  assert.ok(text);
  const doc = parse(text);
  assert.equal(doc.clusters[0].cluster.server, 'https://127.0.0.1:7443');
  assert.equal(doc.contexts[0].context.namespace, 'kube-system', 'the kubens choice is kept');
  assert.deepEqual(doc.extensions, []);
  assert.match(text, /# my note/);
});

test('a new CA or token is written; a user context pointing elsewhere stays current', () => {
  const other = parse(buildKubeconfig(URL1, CA, 'tok'));
  other.clusters.push({ name: 'prod', cluster: { server: 'https://prod:6443' } });
  other.contexts.push({ name: 'prod', context: { cluster: 'prod', user: 'berth' } });
  other['current-context'] = 'prod';
  const text = updatedKubeconfig(JSON.stringify(other), URL1, 'OTHER CA', 'tok2');
  assert.ok(text);
  const doc = parse(text);
  assert.equal(doc.clusters[0].cluster['certificate-authority-data'], Buffer.from('OTHER CA').toString('base64'));
  assert.equal(doc.users[0].user.token, 'tok2');
  assert.equal(doc.clusters[1].name, 'prod');
  assert.equal(doc['current-context'], 'prod');
});

test('a kubeconfig without the berth entries gets them added beside the existing ones', () => {
  const existing = 'apiVersion: v1\nkind: Config\nclusters:\n- name: prod\n  cluster: {server: "https://prod"}\ncurrent-context: prod\n';
  const doc = parse(updatedKubeconfig(existing, URL1, CA, 'tok')!);
  assert.deepEqual(doc.clusters.map((c: any) => c.name), ['prod', 'berth']);
  assert.equal(doc.users[0].name, 'berth');
  assert.equal(doc.contexts[0].context.namespace, 'default');
  assert.equal(doc['current-context'], 'prod');
});
