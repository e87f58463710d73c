import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1';
import { decodePodManifest, podFullName, toStaticPod, type StaticIdentity } from '../../src/manifest/index.js';

const SEEN = new Date('2024-05-06T07:08:09.000Z');
const id: StaticIdentity = { nodeName: 'Worker-A', source: 'file', origin: '/etc/kubernetes/manifests/web.yaml', seen: SEEN };

function basePod(): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', labels: { App: 'Web', 'example.com/tier': 'front' } },
    spec: { containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 80 }] }] },
  };
}

const uidOf = (pod: Pod, identity: StaticIdentity = id): string => toStaticPod(pod, identity).metadata!.uid!;

describe('toStaticPod', () => {
  it('suffixes the name with the lower-cased node name, defaults namespace and sets nodeName', () => {
    const pod = toStaticPod(basePod(), id);
    assert.equal(pod.metadata?.name, 'web-worker-a');
    assert.equal(pod.metadata?.namespace, 'default');
    assert.equal(pod.spec?.nodeName, 'Worker-A');
    assert.equal(podFullName(pod), 'web-worker-a_default');
    assert.deepEqual(pod.metadata?.labels, { App: 'Web', 'example.com/tier': 'front' });
  });

  it('keeps an explicit namespace', () => {
    const input = basePod();
    input.metadata!.namespace = 'kube-system';
    assert.equal(toStaticPod(input, id).metadata?.namespace, 'kube-system');
  });

  it('sets the config annotations', () => {
    const pod = toStaticPod(basePod(), id);
    const a = pod.metadata?.annotations ?? {};
    assert.match(pod.metadata!.uid!, /^[0-9a-f]{32}$/);
    assert.equal(a['kubernetes.io/config.hash'], pod.metadata?.uid);
    assert.equal(a['kubernetes.io/config.source'], 'file');
    assert.equal(a['kubernetes.io/config.seen'], '2024-05-06T07:08:09.000Z');
    const http = toStaticPod(basePod(), { ...id, source: 'http', origin: 'http://x/pods' });
    assert.equal(http.metadata?.annotations?.['kubernetes.io/config.source'], 'http');
  });

  it('keeps existing annotations and a pinned UID', () => {
    const input = basePod();
    input.metadata = { ...input.metadata, uid: 'pinned-uid', annotations: { note: 'hi' } };
    const pod = toStaticPod(input, id);
    assert.equal(pod.metadata?.uid, 'pinned-uid');
    assert.equal(pod.metadata?.annotations?.['kubernetes.io/config.hash'], 'pinned-uid');
    assert.equal(pod.metadata?.annotations?.note, 'hi');
  });

  it('derives the UID deterministically from content, node and path', () => {
    const uid = uidOf(basePod());
    assert.equal(uidOf(basePod()), uid, 'same input, same UID');
    assert.equal(uidOf(basePod(), { ...id, seen: new Date(0) }), uid, 'the seen time is not part of the UID');
    assert.notEqual(uidOf(basePod(), { ...id, nodeName: 'worker-b' }), uid, 'another node');
    assert.notEqual(uidOf(basePod(), { ...id, origin: '/etc/kubernetes/manifests/web2.yaml' }), uid, 'another path');
    assert.notEqual(uidOf(basePod(), { ...id, source: 'http' }), uid, 'file: vs url:');
    const changed = basePod();
    changed.spec!.containers[0]!.image = 'nginx:1.27';
    assert.notEqual(uidOf(changed), uid, 'a changed field');
    const label = basePod();
    label.metadata!.labels!.App = 'web';
    assert.notEqual(uidOf(label), uid, 'a changed label');
  });

  it('does not depend on key order', () => {
    const a = decodePodManifest('apiVersion: v1\nkind: Pod\nmetadata: {name: a, labels: {alpha: "1", beta: "2"}}\nspec: {containers: [{name: c, image: busybox}]}\n', id);
    const b = decodePodManifest('{"spec":{"containers":[{"name":"c","image":"busybox"}]},"metadata":{"labels":{"beta":"2","alpha":"1"},"name":"a"},"kind":"Pod","apiVersion":"v1"}', id);
    assert.equal(a.pods[0]?.metadata?.uid, b.pods[0]?.metadata?.uid);
  });

  it('adds the NoExecute toleration to file pods once', () => {
    const pod = toStaticPod(basePod(), id);
    assert.deepEqual(pod.spec?.tolerations, [{ operator: 'Exists', effect: 'NoExecute' }]);
    const again = basePod();
    again.spec!.tolerations = [{ key: 'dedicated', operator: 'Equal', value: 'x', effect: 'NoSchedule' }, { operator: 'Exists', effect: 'NoExecute' }];
    assert.equal(toStaticPod(again, id).spec?.tolerations?.length, 2);
  });

  it('applies API-server defaults', () => {
    const input = basePod();
    input.spec!.initContainers = [{ name: 'init', image: 'busybox:latest' }];
    input.spec!.containers.push({ name: 'pinned', image: 'registry:5000/app:1.2', ports: [{ containerPort: 53, protocol: 'UDP' }] });
    input.spec!.containers.push({ name: 'digest', image: 'app@sha256:abc', livenessProbe: { tcpSocket: { port: 1 } } });
    const pod = toStaticPod(input, id);
    const spec = pod.spec!;
    assert.equal(spec.restartPolicy, 'Always');
    assert.equal(spec.terminationGracePeriodSeconds, 30);
    assert.equal(spec.dnsPolicy, 'ClusterFirst');
    assert.equal(spec.schedulerName, 'default-scheduler');
    assert.equal(spec.enableServiceLinks, true);
    assert.equal(pod.status?.phase, 'Pending');
    const [web, pinned, digest] = spec.containers;
    assert.equal(web?.imagePullPolicy, 'Always', 'untagged image');
    assert.equal(web?.terminationMessagePath, '/dev/termination-log');
    assert.equal(web?.terminationMessagePolicy, 'File');
    assert.equal(web?.ports?.[0]?.protocol, 'TCP');
    assert.equal(pinned?.imagePullPolicy, 'IfNotPresent', 'tagged image on a registry with a port');
    assert.equal(pinned?.ports?.[0]?.protocol, 'UDP');
    assert.equal(digest?.imagePullPolicy, 'IfNotPresent', 'digest');
    assert.deepEqual(digest?.livenessProbe, { tcpSocket: { port: 1 }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
    assert.equal(spec.initContainers?.[0]?.imagePullPolicy, 'Always', ':latest');
  });

  it('keeps explicit values instead of defaults', () => {
    const input = basePod();
    input.spec!.restartPolicy = 'Never';
    input.spec!.terminationGracePeriodSeconds = 0;
    input.spec!.enableServiceLinks = false;
    input.spec!.containers[0]!.imagePullPolicy = 'Never';
    const spec = toStaticPod(input, id).spec!;
    assert.equal(spec.restartPolicy, 'Never');
    assert.equal(spec.terminationGracePeriodSeconds, 0);
    assert.equal(spec.enableServiceLinks, false);
    assert.equal(spec.containers[0]?.imagePullPolicy, 'Never');
  });

  it('leaves its input untouched', () => {
    const input = basePod();
    const before = JSON.stringify(input);
    toStaticPod(input, id);
    assert.equal(JSON.stringify(input), before);
  });
});
