// The runtime's socket vanishing and coming back: calls fail with RuntimeUnavailable meanwhile and
// work again afterwards, and an exit that happened during the outage is still reported. The
// outage is simulated with a unix-socket proxy in front of containerd, so the real containerd (which
// other tests and engines on the machine use) keeps running.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { CriRuntime } from '../../src/runtime/cri/index.js';
import { RuntimeError, type ContainerRecord } from '../../src/runtime/types.js';
import { BUSYBOX, CriTestEnv, ENDPOINT, criSkipReason, waitFor } from './cri-harness.js';
import { SocketProxy } from './socket-proxy.js';

const skip = await criSkipReason();

describe('containerd going away and coming back', { skip }, () => {
  const env = new CriTestEnv();
  let proxy: SocketProxy;
  let runtime: CriRuntime;
  const exits: ContainerRecord[] = [];

  before(async () => {
    await env.setup();
    proxy = new SocketProxy(join(env.dir, 'cri.sock'), ENDPOINT.replace(/^unix:\/\//, ''));
    await proxy.start();
    runtime = env.runtime({ endpoint: `unix://${proxy.path}` });
    runtime.onContainerExit((record) => exits.push(record));
    await runtime.init();
  });

  after(async () => {
    await proxy.stop();
    await env.cleanup();
  });

  test('calls fail with RuntimeUnavailable during the outage and work again after it', async () => {
    const pod = env.pod('outage', {
      hostNetwork: true,
      containers: [{ name: 'sleeper', image: BUSYBOX, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }],
    });
    const record = await env.start(runtime, pod);

    await proxy.stop();
    await assert.rejects(runtime.listContainers(), (err: unknown) => {
      assert.ok(err instanceof RuntimeError);
      assert.equal(err.reason, 'RuntimeUnavailable');
      assert.ok(err.message.includes(proxy.path), 'the message names the endpoint');
      assert.match(err.message, /scripts\/containerd-up\.sh/);
      return true;
    });
    await assert.rejects(env.start(runtime, env.pod('during', { hostNetwork: true, containers: pod.spec!.containers })), (err: unknown) => {
      assert.ok(err instanceof RuntimeError);
      assert.equal(err.reason, 'RuntimeUnavailable');
      return true;
    });
    // The container exits while nobody can ask the runtime about it.
    process.kill(record.pid!, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(exits.length, 0);

    await proxy.start();
    const listed = await waitFor('the runtime to answer again', async () => (await runtime.listContainers()).find((c) => c.id === record.id));
    assert.equal(listed.state, 'exited');
    const exit = await waitFor('the exit from the outage', () => exits.find((e) => e.id === record.id));
    assert.equal(exit.exitCode, 137);
    await runtime.removePodSandbox(pod);
  });
});
