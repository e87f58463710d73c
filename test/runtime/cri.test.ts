// The containerd CRI runtime against a real containerd (scripts/containerd-up.sh).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../src/log/index.js';
import { CriClient, CriRuntime } from '../../src/runtime/cri/index.js';
import { RuntimeError, type ContainerRecord } from '../../src/runtime/types.js';
import { BUSYBOX, CriTestEnv, ENDPOINT, criSkipReason, freePort, httpGet, waitFor } from './cri-harness.js';

const skip = await criSkipReason();

test('init names the endpoint and scripts/containerd-up.sh when no runtime answers', async () => {
  const runtime = new CriRuntime({
    endpoint: 'unix:///tmp/berth-no-such-containerd.sock',
    podLogsDir: '/tmp/berth-unused',
    logger: silentLogger,
    nodeName: 'n',
  });
  try {
    await assert.rejects(runtime.init(), (err: Error) => {
      assert.match(err.message, /unix:\/\/\/tmp\/berth-no-such-containerd\.sock/);
      assert.match(err.message, /scripts\/containerd-up\.sh/);
      return true;
    });
  } finally {
    await runtime.close();
  }
});

describe('CriRuntime with containerd', { skip }, () => {
  const env = new CriTestEnv();
  let runtime: CriRuntime;
  const exits: ContainerRecord[] = [];
  const client = new CriClient(ENDPOINT);

  before(async () => {
    await env.setup();
    runtime = env.runtime();
    runtime.onContainerExit((record) => exits.push(record));
    await runtime.init();
  });

  after(async () => {
    client.close();
    await env.cleanup();
  });

  test('init connects and takes the runtime name', () => {
    assert.equal(runtime.name, 'containerd');
  });

  test('a hostNetwork busybox httpd pod answers on its port and logs in CRI format at logPath', async () => {
    const port = await freePort();
    const pod = env.pod('web', {
      hostNetwork: true,
      containers: [
        {
          name: 'httpd',
          image: BUSYBOX,
          imagePullPolicy: 'IfNotPresent',
          command: ['sh', '-c', `echo "hello $(GREETING)" > /tmp/index.html; echo started; exec httpd -f -v -p ${port} -h /tmp`],
          env: [{ name: 'GREETING', value: 'berth' }],
        },
      ],
    });
    const sandbox = await runtime.runPodSandbox(pod);
    assert.equal(sandbox.podIP, sandbox.hostIP, 'a hostNetwork pod has the node IP');
    const record = await runtime.startContainer({
      pod,
      container: pod.spec!.containers[0]!,
      attempt: 0,
      logPath: env.logPath(pod, 'httpd', 0),
      sandbox,
    });
    assert.equal(record.state, 'running');
    assert.equal(record.attempt, 0);
    assert.equal(record.podUid, pod.metadata!.uid);
    assert.equal(record.containerName, 'httpd');
    assert.equal(record.logPath, env.logPath(pod, 'httpd', 0));
    assert.ok(record.pid && record.pid > 1, 'the record has the container process id');

    const response = await waitFor('httpd to answer', () => httpGet(`http://127.0.0.1:${port}/`));
    assert.equal(response.status, 200);
    assert.equal(response.body, 'hello berth\n', '$(VAR) in command is expanded from env');

    const log = await waitFor('the request in the log', async () => {
      const text = await readFile(env.logPath(pod, 'httpd', 0), 'utf8');
      return /stderr F .*response:200/.test(text) ? text : undefined;
    });
    const lines = log.trimEnd().split('\n');
    assert.match(lines[0]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z stdout F started$/);

    // The sandbox carries the pod's labels and annotations (kubelet layout).
    const sandboxes = await env.sandboxes(client, pod.metadata!.uid);
    assert.equal(sandboxes.length, 1);
    const status = await client.call<{ status: { labels: Record<string, string>; annotations: Record<string, string> } }>(
      'RuntimeService',
      'PodSandboxStatus',
      { podSandboxId: sandboxes[0]!.id },
    );
    assert.equal(status.status.labels['io.kubernetes.pod.name'], pod.metadata!.name);
    assert.equal(status.status.labels['io.kubernetes.pod.namespace'], 'default');
    assert.equal(status.status.labels['berth.managed'], 'true');
    assert.equal(status.status.annotations['kubernetes.io/config.hash'], `${env.runId}-web`);

    // runPodSandbox is idempotent: the same sandbox again.
    const again = await runtime.runPodSandbox(pod);
    assert.deepEqual(again, sandbox);
    assert.equal((await env.sandboxes(client, pod.metadata!.uid)).length, 1);

    await runtime.stopContainer(record.id, 0);
    await runtime.removePodSandbox(pod);
  });

  test('a pod network pod gets a CNI pod IP, serves on it and on its hostPort', async () => {
    const hostPort = await freePort();
    const pod = env.pod('cni', {
      containers: [
        {
          name: 'httpd',
          image: BUSYBOX,
          imagePullPolicy: 'IfNotPresent',
          command: ['sh', '-c', 'hostname > /tmp/index.html; exec httpd -f -p 8080 -h /tmp'],
          ports: [{ containerPort: 8080, hostPort }],
        },
      ],
    });
    const record = await env.start(runtime, pod);
    const sandbox = await runtime.runPodSandbox(pod);
    assert.match(sandbox.podIP, /^10\.244\.0\.\d+$/, 'the IP comes from the CNI bridge subnet');
    assert.notEqual(sandbox.podIP, sandbox.hostIP);
    const direct = await waitFor('httpd on the pod IP', () => httpGet(`http://${sandbox.podIP}:8080/`));
    assert.equal(direct.body, `${pod.metadata!.name}\n`, 'the hostname is the pod name');
    const mapped = await waitFor('httpd on the hostPort', () => httpGet(`http://${sandbox.hostIP}:${hostPort}/`));
    assert.equal(mapped.status, 200);
    await runtime.stopContainer(record.id, 0);
    await runtime.removePodSandbox(pod);
  });

  test('emptyDir and hostPath volumes are mounted; env and args reach the process', async () => {
    const hostDir = join(env.dir, 'host-data');
    await mkdir(hostDir, { recursive: true });
    await writeFile(join(hostDir, 'in.txt'), 'from the host\n');
    const pod = env.pod('vol', {
      hostNetwork: true,
      volumes: [
        { name: 'scratch', emptyDir: {} },
        { name: 'data', hostPath: { path: hostDir, type: 'Directory' } },
      ],
      containers: [
        {
          name: 'writer',
          image: BUSYBOX,
          imagePullPolicy: 'Never',
          command: ['sh', '-c'],
          args: ['echo "$MODE $0" > /scratch/out.txt; cat /data/in.txt > /data/copy.txt; sleep 3600', 'arg0'],
          env: [{ name: 'MODE', value: 'written' }],
          volumeMounts: [
            { name: 'scratch', mountPath: '/scratch' },
            { name: 'data', mountPath: '/data' },
          ],
        },
      ],
    });
    const record = await env.start(runtime, pod);
    const scratch = join(env.volumesDir, pod.metadata!.uid!, 'volumes', 'scratch', 'out.txt');
    assert.equal(await waitFor('the emptyDir file', () => readFile(scratch, 'utf8').catch(() => undefined)), 'written arg0\n');
    assert.equal(await waitFor('the hostPath copy', () => readFile(join(hostDir, 'copy.txt'), 'utf8').catch(() => undefined)), 'from the host\n');
    await runtime.stopContainer(record.id, 0);
    await runtime.removePodSandbox(pod);
    assert.equal(existsSync(join(env.volumesDir, pod.metadata!.uid!)), false, 'emptyDir volumes go with the pod');
    assert.equal(existsSync(join(hostDir, 'copy.txt')), true, 'hostPath data stays');
  });

  test('killing the container process reports exit code 137 once', async () => {
    const pod = env.pod('kill', {
      hostNetwork: true,
      containers: [{ name: 'sleeper', image: BUSYBOX, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }],
    });
    const record = await env.start(runtime, pod);
    assert.ok(record.pid);
    process.kill(record.pid, 'SIGKILL');
    const exit = await waitFor('the exit notification', () => exits.find((e) => e.id === record.id));
    assert.equal(exit.exitCode, 137);
    assert.equal(exit.state, 'exited');
    assert.equal(exit.reason, 'Error');
    assert.ok(exit.finishedAt);
    assert.equal(exit.podUid, pod.metadata!.uid);
    // No second notification for the same exit (the poller keeps running for others).
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(exits.filter((e) => e.id === record.id).length, 1);
    const listed = (await runtime.listContainers()).find((c) => c.id === record.id);
    assert.equal(listed?.state, 'exited');
    assert.equal(listed?.exitCode, 137);
    await runtime.removeContainer(record.id);
    assert.equal((await runtime.listContainers()).some((c) => c.id === record.id), false);
    await runtime.removePodSandbox(pod);
  });

  test('stop: a process that handles SIGTERM exits with its code; one that ignores it is killed (137)', async () => {
    const pod = env.pod('stop', {
      hostNetwork: true,
      containers: [
        {
          name: 'graceful',
          image: BUSYBOX,
          imagePullPolicy: 'IfNotPresent',
          command: ['sh', '-c', 'trap "exit 143" TERM; while :; do sleep 1 & wait $!; done'],
        },
        { name: 'stubborn', image: BUSYBOX, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] },
      ],
    });
    const graceful = await env.start(runtime, pod, 'graceful');
    const stubborn = await env.start(runtime, pod, 'stubborn');
    const stoppedGraceful = await runtime.stopContainer(graceful.id, 30);
    assert.equal(stoppedGraceful?.state, 'exited');
    assert.equal(stoppedGraceful?.exitCode, 143, 'SIGTERM reached the process');
    const stoppedStubborn = await runtime.stopContainer(stubborn.id, 1);
    assert.equal(stoppedStubborn?.exitCode, 137, 'SIGKILL after the grace period');
    // Each stop is also an exit notification, once.
    await waitFor('both exits reported', () => (exits.some((e) => e.id === graceful.id) && exits.some((e) => e.id === stubborn.id)) || undefined);
    assert.equal(exits.filter((e) => e.id === graceful.id).length, 1);
    // Stopping again is harmless; an unknown id gives undefined.
    assert.equal((await runtime.stopContainer(graceful.id, 0))?.exitCode, 143);
    assert.equal(await runtime.stopContainer('0'.repeat(64), 0), undefined);
    await runtime.removePodSandbox(pod);
  });

  test('a new CriRuntime instance adopts the running container (same id) and reports its exit', async () => {
    const pod = env.pod('adopt', {
      hostNetwork: true,
      containers: [{ name: 'sleeper', image: BUSYBOX, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }],
    });
    const record = await env.start(runtime, pod, undefined, 3);
    const second = env.runtime();
    const secondExits: ContainerRecord[] = [];
    second.onContainerExit((r) => secondExits.push(r));
    await second.init();
    const found = (await second.listContainers()).find((c) => c.id === record.id);
    assert.ok(found, 'listContainers finds the container by its labels');
    assert.equal(found.state, 'running');
    assert.equal(found.attempt, 3);
    assert.equal(found.podUid, pod.metadata!.uid);
    assert.equal(found.podName, pod.metadata!.name);
    assert.equal(found.podNamespace, 'default');
    assert.equal(found.containerName, 'sleeper');
    assert.equal(found.logPath, env.logPath(pod, 'sleeper', 3));
    // The new instance reuses the pod's sandbox rather than making a second one.
    await second.runPodSandbox(pod);
    assert.equal((await env.sandboxes(client, pod.metadata!.uid)).length, 1);
    process.kill(record.pid!, 'SIGKILL');
    const exit = await waitFor('the adopted exit', () => secondExits.find((e) => e.id === record.id));
    assert.equal(exit.exitCode, 137);
    await second.removePodSandbox(pod);
  });

  test('a command missing from the image is RunContainerError and leaves no container behind', async () => {
    const pod = env.pod('nocmd', {
      hostNetwork: true,
      containers: [{ name: 'broken', image: BUSYBOX, imagePullPolicy: 'IfNotPresent', command: ['/no/such/binary'] }],
    });
    await assert.rejects(env.start(runtime, pod), (err: unknown) => {
      assert.ok(err instanceof RuntimeError);
      assert.equal(err.reason, 'RunContainerError');
      assert.match(err.message, /no\/such\/binary/);
      return true;
    });
    const response = await client.call<{ containers: unknown[] }>('RuntimeService', 'ListContainers', {
      filter: { labelSelector: { 'io.kubernetes.pod.uid': pod.metadata!.uid } },
    });
    assert.equal(response.containers.length, 0);
    await runtime.removePodSandbox(pod);
  });

  test('removePodSandbox removes the sandbox and every container of the pod, and is idempotent', async () => {
    const pod = env.pod('rm', {
      containers: [
        { name: 'a', image: BUSYBOX, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] },
        { name: 'b', image: BUSYBOX, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] },
      ],
    });
    await env.start(runtime, pod, 'a');
    await env.start(runtime, pod, 'b');
    assert.equal((await runtime.listContainers()).filter((c) => c.podUid === pod.metadata!.uid).length, 2);
    await runtime.removePodSandbox(pod);
    assert.equal((await runtime.listContainers()).filter((c) => c.podUid === pod.metadata!.uid).length, 0);
    assert.equal((await env.sandboxes(client, pod.metadata!.uid)).length, 0);
    await runtime.removePodSandbox(pod);
  });
});
