import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  decodePodListManifest,
  decodePodManifest,
  formatProblem,
  MAX_MANIFEST_BYTES,
  type DecodeResult,
  type ManifestProblem,
  type StaticIdentity,
} from '../../src/manifest/index.js';

const fixture = (name: string): string =>
  readFileSync(fileURLToPath(new URL(`../fixtures/manifests/${name}`, import.meta.url)), 'utf8');

const fileId: StaticIdentity = { nodeName: 'Node-1', source: 'file', origin: '/etc/kubernetes/manifests/web.yaml', seen: new Date('2024-01-02T03:04:05Z') };
const urlId: StaticIdentity = { nodeName: 'node-1', source: 'http', origin: 'http://config.local/pods', seen: new Date('2024-01-02T03:04:05Z') };

/** Exactly one problem at `field`, with the origin and a fix; returns it. */
function onlyProblem(result: DecodeResult, field: string, reason: ManifestProblem['reason']): ManifestProblem {
  assert.deepEqual(result.pods, []);
  assert.equal(result.problems.length, 1, result.problems.map(formatProblem).join('\n'));
  const p = result.problems[0]!;
  assert.equal(p.field, field);
  assert.equal(p.reason, reason);
  assert.ok(p.origin === fileId.origin || p.origin === urlId.origin);
  assert.ok(p.fix.length > 10, 'every problem has a concrete fix');
  return p;
}

describe('decodePodManifest', () => {
  it('decodes a good YAML manifest into one defaulted static pod', () => {
    const { pods, problems } = decodePodManifest(fixture('web.yaml'), fileId);
    assert.deepEqual(problems, []);
    assert.equal(pods.length, 1);
    const pod = pods[0]!;
    assert.equal(pod.metadata?.name, 'web-node-1');
    assert.equal(pod.metadata?.namespace, 'kube-system');
    assert.deepEqual(pod.metadata?.labels, { app: 'web', tier: 'frontend' });
    assert.equal(pod.spec?.nodeName, 'Node-1');
    assert.equal(pod.spec?.containers[0]?.ports?.[0]?.protocol, 'TCP');
    assert.equal(pod.spec?.containers[0]?.env?.[0]?.valueFrom?.fieldRef?.apiVersion, 'v1');
    assert.equal(pod.status?.phase, 'Pending');
  });

  it('decodes a good JSON manifest', () => {
    const { pods, problems } = decodePodManifest(Buffer.from(fixture('web.json')), { ...fileId, origin: '/m/web.json' });
    assert.deepEqual(problems, []);
    assert.equal(pods[0]?.metadata?.name, 'web-node-1');
    assert.equal(pods[0]?.metadata?.namespace, 'default');
    assert.equal(pods[0]?.spec?.containers[0]?.imagePullPolicy, 'IfNotPresent');
  });

  it('reads YAML like Kubernetes does (1.1 octal, dates stay strings)', () => {
    const yaml = `apiVersion: v1
kind: Pod
metadata: {name: a, annotations: {built: 2024-01-02, at: "x"}}
spec:
  volumes: [{name: info, downwardAPI: {defaultMode: 0600, items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]}}]
  containers: [{name: c, image: busybox, command: [sleep, "1"]}]
`;
    const { pods, problems } = decodePodManifest(yaml, fileId);
    assert.deepEqual(problems, []);
    assert.equal(pods[0]?.spec?.volumes?.[0]?.downwardAPI?.defaultMode, 0o600);
    assert.equal(pods[0]?.metadata?.annotations?.built, '2024-01-02');
  });

  it('rejects invalid YAML and says where', () => {
    const p = onlyProblem(decodePodManifest('apiVersion: v1\nkind: Pod\nmetadata: [name: x\nspec: {}\n', fileId), '', 'FailedToParse');
    assert.match(p.message, /not valid YAML/);
    assert.match(p.message, /line \d+, column \d+/);
    assert.match(p.fix, /line \d+/);
  });

  it('rejects a YAML list at top level', () => {
    const p = onlyProblem(decodePodManifest('- apiVersion: v1\n  kind: Pod\n- apiVersion: v1\n  kind: Pod\n', fileId), '', 'FailedToParse');
    assert.match(p.message, /list/);
  });

  it('rejects a scalar at top level', () => {
    const p = onlyProblem(decodePodManifest('just some text\n', fileId), '', 'FailedToParse');
    assert.match(p.message, /not a Pod object/);
  });

  it('rejects multi-document YAML but ignores a trailing document separator', () => {
    const pod = 'apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: c, image: busybox}]}\n';
    const p = onlyProblem(decodePodManifest(`${pod}---\n${pod}`, fileId), '', 'FailedToParse');
    assert.match(p.message, /2 YAML documents/);
    assert.equal(decodePodManifest(`---\n${pod}---\n`, fileId).pods.length, 1);
  });

  it('rejects kind Deployment', () => {
    const r = decodePodManifest('apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec: {template: {}}\n', fileId);
    assert.deepEqual(r.pods, []);
    assert.deepEqual(r.problems.map((p) => `${p.field}: ${p.message}`), [
      'kind: Unsupported value: "Deployment": supported values: "Pod"',
      'apiVersion: Unsupported value: "apps/v1": supported values: "v1"',
    ]);
    assert.match(r.problems[0]!.fix, /kind: Pod/);
  });

  it('reports a wrong apiVersion, a missing kind and a PodList file', () => {
    const r = decodePodManifest('apiVersion: v2\nmetadata: {name: a}\nspec: {containers: [{name: c, image: busybox}]}\n', fileId);
    assert.deepEqual(r.problems.map((p) => `${p.field}: ${p.message}`), [
      'kind: Required value',
      'apiVersion: Unsupported value: "v2": supported values: "v1"',
    ]);
    const list = onlyProblem(decodePodManifest('apiVersion: v1\nkind: PodList\nitems: []\n', fileId), 'kind', 'FailedToParse');
    assert.match(list.fix, /own file/);
  });

  it('rejects an empty file', () => {
    const p = onlyProblem(decodePodManifest('  \n# nothing\n', fileId), '', 'FailedToParse');
    assert.match(p.message, /empty/);
  });

  it('rejects binary garbage as not a text file', () => {
    const bin = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0x00, 0xff, 0xfe]);
    assert.match(onlyProblem(decodePodManifest(bin, fileId), '', 'FailedToParse').message, /not a text file/);
    const badUtf8 = Buffer.from([0x6b, 0x69, 0x6e, 0x64, 0x3a, 0x20, 0xc3, 0x28]);
    assert.match(onlyProblem(decodePodManifest(badUtf8, fileId), '', 'FailedToParse').message, /not a text file.*UTF-8/);
  });

  it('rejects more than MAX_MANIFEST_BYTES', () => {
    const big = Buffer.alloc(MAX_MANIFEST_BYTES + 1, 0x20);
    assert.match(onlyProblem(decodePodManifest(big, fileId), '', 'FailedToParse').message, /too large/);
  });

  it('reports a missing name at metadata.name', () => {
    const p = onlyProblem(decodePodManifest('apiVersion: v1\nkind: Pod\nmetadata: {}\nspec: {containers: [{name: c, image: busybox}]}\n', fileId), 'metadata.name', 'FailedValidation');
    assert.equal(p.message, 'Required value');
  });

  it('reports every problem of a file at once', () => {
    const yaml = `apiVersion: v1
kind: Pod
metadata: {name: Web_Server}
spec:
  restartPolicy: Sometimes
  containers: [{name: web, image: busybox}, {name: web, image: busybox}]
`;
    const r = decodePodManifest(yaml, fileId);
    assert.deepEqual(r.pods, []);
    assert.deepEqual(r.problems.map((p) => p.field).sort(), ['metadata.name', 'spec.containers[1].name', 'spec.restartPolicy']);
    assert.ok(r.problems.every((p) => p.origin === fileId.origin && p.reason === 'FailedValidation'));
  });
});

describe('decodePodListManifest', () => {
  const item = (name: string, containers = `[{name: c, image: busybox, command: [sleep, "9"]}]`): string =>
    `  - metadata: {name: ${name}}\n    spec: {containers: ${containers}}\n`;

  it('accepts a single Pod', () => {
    const r = decodePodListManifest('{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"},"spec":{"containers":[{"name":"c","image":"busybox"}]}}', urlId);
    assert.deepEqual(r.problems, []);
    assert.equal(r.pods[0]?.metadata?.name, 'a-node-1');
    assert.equal(r.pods[0]?.metadata?.annotations?.['kubernetes.io/config.source'], 'http');
    // URL pods do not get the file-pod toleration.
    assert.equal(r.pods[0]?.spec?.tolerations, undefined);
  });

  it('accepts a PodList', () => {
    const r = decodePodListManifest(`apiVersion: v1\nkind: PodList\nitems:\n${item('a')}${item('b')}`, urlId);
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.pods.map((p) => p.metadata?.name), ['a-node-1', 'b-node-1']);
    assert.notEqual(r.pods[0]?.metadata?.uid, r.pods[1]?.metadata?.uid);
  });

  it('rejects the whole body when one item is bad, listing every failure', () => {
    const r = decodePodListManifest(`apiVersion: v1\nkind: PodList\nitems:\n${item('a')}${item('B!')}${item('c', '[]')}`, urlId);
    assert.deepEqual(r.pods, []);
    assert.deepEqual(r.problems.map((p) => p.field), ['items[1].metadata.name', 'items[2].spec.containers']);
    assert.ok(r.problems.every((p) => p.origin === urlId.origin));
  });

  it('returns an empty set for an empty or whitespace body', () => {
    assert.deepEqual(decodePodListManifest('', urlId), { pods: [], problems: [], warnings: [] });
    assert.deepEqual(decodePodListManifest(Buffer.from(' \n\t\n'), urlId), { pods: [], problems: [], warnings: [] });
  });

  it('rejects other kinds naming both supported kinds', () => {
    const r = decodePodListManifest('apiVersion: v1\nkind: Service\n', urlId);
    assert.equal(r.problems[0]?.message, 'Unsupported value: "Service": supported values: "Pod", "PodList"');
  });
});
