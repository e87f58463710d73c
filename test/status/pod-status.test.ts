import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1';
import type { ContainerRecord } from '../../src/runtime/types.js';
import { podStatus } from '../../src/status/index.js';
import type { ContainerView, PodView } from '../../src/workers/index.js';

const pod = (restartPolicy: string, names = ['a']): Pod => ({
  metadata: { name: 'p-n', namespace: 'default', uid: 'u1' },
  spec: { restartPolicy, containers: names.map((name) => ({ name, command: ['x'] })) },
});
const rec = (name: string, state: ContainerRecord['state'], exitCode?: number, attempt = 0): ContainerRecord => ({
  id: `${name}${attempt}`,
  podUid: 'u1',
  podName: 'p-n',
  podNamespace: 'default',
  containerName: name,
  attempt,
  state,
  createdAt: '2024-01-01T00:00:00Z',
  startedAt: '2024-01-01T00:00:01Z',
  ...(state === 'exited' ? { finishedAt: '2024-01-01T00:00:02Z', exitCode } : {}),
  logPath: '/x',
});
const view = (p: Pod, containers: ContainerView[]): PodView => ({ pod: p, runtime: 'process', sandbox: { podIP: '10.0.0.5', hostIP: '10.0.0.5' }, startTime: 'T', terminating: false, containers });

describe('pod status', () => {
  it('is Pending while a container has never started, Running once all run', () => {
    assert.equal(podStatus(view(pod('Always'), [{ name: 'a', init: false }])).phase, 'Pending');
    const s = podStatus(view(pod('Always'), [{ name: 'a', init: false, current: rec('a', 'running') }]));
    assert.equal(s.phase, 'Running');
    assert.equal(s.podIP, '10.0.0.5');
    assert.equal(s.containerStatuses?.[0]?.ready, true);
    assert.equal(s.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
  });

  it('shows CrashLoopBackOff as waiting with the last termination, phase Running', () => {
    const s = podStatus(
      view(pod('Always'), [{ name: 'a', init: false, current: rec('a', 'exited', 137, 1), previous: rec('a', 'exited', 1, 0), waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s' } }]),
    );
    assert.equal(s.phase, 'Running');
    const c = s.containerStatuses![0]!;
    assert.equal(c.state?.waiting?.reason, 'CrashLoopBackOff');
    assert.equal(c.lastState?.terminated?.exitCode, 137);
    assert.equal(c.restartCount, 1);
    assert.equal(c.ready, false);
    assert.equal(s.conditions?.find((x) => x.type === 'Ready')?.status, 'False');
  });

  it('follows the kubelet phase rules for terminated containers', () => {
    const done = (policy: string, codes: number[]) =>
      podStatus(view(pod(policy, codes.map((_, i) => `c${i}`)), codes.map((code, i) => ({ name: `c${i}`, init: false, current: rec(`c${i}`, 'exited', code) })))).phase;
    assert.equal(done('Never', [0, 0]), 'Succeeded');
    assert.equal(done('Never', [0, 1]), 'Failed');
    assert.equal(done('OnFailure', [0]), 'Succeeded');
    assert.equal(done('Always', [0]), 'Running');
  });

  it('shows a lost exit code as ContainerStatusUnknown 137', () => {
    const lost = { ...rec('a', 'exited', undefined), reason: 'Unknown' };
    const s = podStatus(view(pod('Never'), [{ name: 'a', init: false, current: lost }]));
    assert.equal(s.containerStatuses![0]!.state?.terminated?.exitCode, 137);
    assert.equal(s.containerStatuses![0]!.state?.terminated?.reason, 'ContainerStatusUnknown');
  });

  it('is Pending until init containers succeeded, Failed when one fails under Never', () => {
    const p: Pod = { ...pod('Never'), spec: { ...pod('Never').spec!, initContainers: [{ name: 'i', command: ['x'] }] } };
    const waitingInit = podStatus(view(p, [{ name: 'i', init: true, current: rec('i', 'running') }, { name: 'a', init: false }]));
    assert.equal(waitingInit.phase, 'Pending');
    assert.equal(waitingInit.conditions?.find((c) => c.type === 'Initialized')?.status, 'False');
    assert.equal(podStatus(view(p, [{ name: 'i', init: true, current: rec('i', 'exited', 2) }, { name: 'a', init: false }])).phase, 'Failed');
  });
});

describe('pod status from probes, init containers and sidecars', () => {
  it('ready and started come from the probes; lastTransitionTime moves only when a condition flips', async () => {
    const p: Pod = { metadata: { name: 'p-n', namespace: 'default', uid: 'u1' }, spec: { containers: [{ name: 'a', readinessProbe: { exec: { command: ['x'] } } }] } };
    const c: ContainerView = { name: 'a', init: false, current: rec('a', 'running'), started: true, ready: false };
    const v = view(p, [c]);
    const first = podStatus(v);
    assert.equal(first.containerStatuses![0]!.ready, false);
    assert.equal(first.containerStatuses![0]!.started, true);
    const t0 = first.conditions!.find((x) => x.type === 'Ready')!.lastTransitionTime;
    assert.equal(podStatus(v).conditions!.find((x) => x.type === 'Ready')!.lastTransitionTime, t0, 'unchanged status, unchanged time');
    await new Promise((r) => setTimeout(r, 1100));
    c.ready = true;
    const flipped = podStatus(v).conditions!.find((x) => x.type === 'Ready')!;
    assert.equal(flipped.status, 'True');
    assert.notEqual(flipped.lastTransitionTime, t0);
  });

  it('app containers are PodInitializing while init containers run; a sidecar that has not started keeps the pod uninitialized', () => {
    const p: Pod = {
      metadata: { name: 'p-n', namespace: 'default', uid: 'u1' },
      spec: { initContainers: [{ name: 'side', restartPolicy: 'Always' }, { name: 'setup' }], containers: [{ name: 'a' }] },
    };
    const s = podStatus(
      view(p, [
        { name: 'side', init: true, sidecar: true, current: rec('side', 'running'), started: false, ready: false },
        { name: 'setup', init: true },
        { name: 'a', init: false },
      ]),
    );
    assert.equal(s.phase, 'Pending');
    assert.equal(s.containerStatuses![0]!.state?.waiting?.reason, 'PodInitializing');
    const init = s.conditions!.find((x) => x.type === 'Initialized')!;
    assert.equal(init.status, 'False');
    assert.equal(init.message, 'containers with incomplete status: [side setup]');
    assert.equal(s.initContainerStatuses![0]!.started, false);
  });

  it("cuts every termination message to the pod's 12 KiB shared by its containers, in state and lastState, whatever the runtime", () => {
    const p: Pod = { metadata: { name: 'p-n', namespace: 'default', uid: 'u1' }, spec: { initContainers: [{ name: 'i' }], containers: ['a', 'b', 'c'].map((name) => ({ name })) } };
    const said = (name: string, attempt: number, message: string): ContainerRecord => ({ ...rec(name, 'exited', 1, attempt), message });
    const long = 'x'.repeat(4000);
    const s = podStatus({
      ...view(p, [
        { name: 'i', init: true, current: said('i', 0, long) },
        { name: 'a', init: false, current: said('a', 1, long), previous: said('a', 0, 'é'.repeat(2000)) },
        { name: 'b', init: false, current: said('b', 0, 'short') },
        { name: 'c', init: false, current: rec('c', 'running') },
      ]),
      runtime: 'containerd',
    });
    // 12 KiB among 4 containers: 3072 bytes each.
    assert.equal(s.initContainerStatuses![0]!.state?.terminated?.message, 'x'.repeat(3072));
    assert.equal(s.containerStatuses![0]!.state?.terminated?.message, 'x'.repeat(3072));
    assert.equal(s.containerStatuses![0]!.lastState?.terminated?.message, 'é'.repeat(1536), 'cut on a character boundary');
    assert.equal(s.containerStatuses![1]!.state?.terminated?.message, 'short');
  });
});
