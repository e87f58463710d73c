// imagePullPolicy with a real containerd and no reachable registry (berth.invalid never resolves).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CriClient, type CriRuntime, pullPolicyOf } from '../../src/runtime/cri/index.js';
import { RuntimeError } from '../../src/runtime/types.js';
import { BUSYBOX, CriTestEnv, ENDPOINT, criSkipReason } from './cri-harness.js';

const skip = await criSkipReason();

test('pullPolicyOf: the set policy, else Always for :latest or untagged and IfNotPresent for a tag', () => {
  assert.equal(pullPolicyOf({ name: 'c', image: 'busybox', imagePullPolicy: 'Never' }), 'Never');
  assert.equal(pullPolicyOf({ name: 'c', image: 'busybox' }), 'Always');
  assert.equal(pullPolicyOf({ name: 'c', image: 'busybox:latest' }), 'Always');
  assert.equal(pullPolicyOf({ name: 'c', image: 'berth.test/busybox:1' }), 'IfNotPresent');
  assert.equal(pullPolicyOf({ name: 'c', image: 'localhost:5000/busybox' }), 'Always');
});

describe('image pull policy with containerd', { skip }, () => {
  const env = new CriTestEnv();
  let runtime: CriRuntime;
  const client = new CriClient(ENDPOINT);

  before(async () => {
    await env.setup();
    runtime = env.runtime();
    await runtime.init();
  });

  after(async () => {
    client.close();
    await env.cleanup();
  });

  async function containersOf(uid: string): Promise<number> {
    const response = await client.call<{ containers: unknown[] }>('RuntimeService', 'ListContainers', {
      filter: { labelSelector: { 'io.kubernetes.pod.uid': uid } },
    });
    return response.containers.length;
  }

  test('Never with the image absent is ErrImageNeverPull with the kubelet message', async () => {
    const image = 'berth.invalid/absent:1';
    const pod = env.pod('never', {
      hostNetwork: true,
      containers: [{ name: 'c', image, imagePullPolicy: 'Never', command: ['true'] }],
    });
    await assert.rejects(env.start(runtime, pod), (err: unknown) => {
      assert.ok(err instanceof RuntimeError);
      assert.equal(err.reason, 'ErrImageNeverPull');
      assert.equal(err.message, `Container image "${image}" is not present with pull policy of Never`);
      return true;
    });
    assert.equal(await containersOf(pod.metadata!.uid!), 0);
    await runtime.removePodSandbox(pod);
  });

  test('Never with the image present runs it', async () => {
    const pod = env.pod('never-ok', {
      hostNetwork: true,
      containers: [{ name: 'c', image: BUSYBOX, imagePullPolicy: 'Never', command: ['sleep', '3600'] }],
    });
    const record = await env.start(runtime, pod);
    assert.equal(record.state, 'running');
    await runtime.removePodSandbox(pod);
  });

  test('IfNotPresent with the image absent pulls, and a failed pull is ErrImagePull with the runtime message', async () => {
    const image = 'berth.invalid/absent:1';
    const pod = env.pod('pull', {
      hostNetwork: true,
      containers: [{ name: 'c', image, imagePullPolicy: 'IfNotPresent', command: ['true'] }],
    });
    await assert.rejects(env.start(runtime, pod), (err: unknown) => {
      assert.ok(err instanceof RuntimeError);
      assert.equal(err.reason, 'ErrImagePull');
      assert.match(err.message, /berth\.invalid\/absent:1/);
      return true;
    });
    assert.equal(await containersOf(pod.metadata!.uid!), 0);
    await runtime.removePodSandbox(pod);
  });

  test('Always tries the pull; when the registry cannot be reached the image on the node is used', async () => {
    const pod = env.pod('always', {
      hostNetwork: true,
      containers: [{ name: 'c', image: 'berth.test/busybox:1', imagePullPolicy: 'Always', command: ['sleep', '30'] }],
    });
    const record = await env.start(runtime, pod);
    assert.equal(record.state, 'running');
    const absent = env.pod('always-absent', {
      hostNetwork: true,
      containers: [{ name: 'c', image: 'berth.test/not-here:1', imagePullPolicy: 'Always', command: ['true'] }],
    });
    await assert.rejects(env.start(runtime, absent), (err: unknown) => {
      assert.ok(err instanceof RuntimeError);
      assert.equal(err.reason, 'ErrImagePull');
      return true;
    });
    await runtime.removePodSandbox(absent);
    await runtime.removePodSandbox(pod);
  });
});
