// The Docker runtime against real engines: dockerd (scripts/docker-up.sh) and Podman's
// Docker-compatible service (scripts/podman-up.sh), one parameterised suite each. Outside CI an
// engine that does not answer skips its suite; with CI=true it fails.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Container, Pod } from 'kubernetes-types/core/v1';
import { silentLogger } from '../../src/log/index.js';
import { DockerRuntime, EngineClient, isDockerEndpoint } from '../../src/runtime/docker/index.js';
import { EngineLogDecoder, resumePointOf, timestampNs } from '../../src/runtime/docker/logs.js';
import { RuntimeError, type ContainerRecord } from '../../src/runtime/types.js';
import { SocketProxy } from './socket-proxy.js';

const IMAGE = 'berth.test/busybox:1';
const NODE_IP = '192.0.2.10';
const inCI = process.env.CI === 'true';

interface Engine {
  name: string;
  endpoint: string;
  script: string;
}

const ENGINES: Engine[] = [
  { name: 'docker', endpoint: process.env.BERTH_TEST_DOCKER_ENDPOINT ?? 'unix:///var/run/docker.sock', script: 'scripts/docker-up.sh' },
  { name: 'podman', endpoint: process.env.BERTH_TEST_PODMAN_ENDPOINT ?? 'unix:///run/podman/podman.sock', script: 'scripts/podman-up.sh' },
];

// --- helpers ----------------------------------------------------------------------------------

async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
}

function httpGet(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host, port, path: '/', timeout: 2000, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', reject);
    req.end();
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

// --- no engine needed ---------------------------------------------------------------------------

test('init() on a socket where nothing answers names the endpoint and the script that starts dockerd', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-docker-none-'));
  try {
    const endpoint = `unix://${join(dir, 'docker.sock')}`;
    const runtime = new DockerRuntime({ endpoint, podLogsDir: join(dir, 'logs'), logger: silentLogger, nodeName: 'n' });
    await assert.rejects(runtime.init(), (err: Error) => {
      assert.match(err.message, new RegExp(endpoint.replace(/[/.]/g, '\\$&')));
      assert.match(err.message, /scripts\/docker-up\.sh/);
      return true;
    });
    await runtime.close();
    assert.equal(await isDockerEndpoint(endpoint, 500), false);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('Engine log frames become CRI lines: stdout/stderr, partial lines, resume without duplicates', () => {
  const frame = (stream: number, text: string): Buffer => {
    const payload = Buffer.from(text);
    const header = Buffer.alloc(8);
    header[0] = stream;
    header.writeUInt32BE(payload.length, 4);
    return Buffer.concat([header, payload]);
  };
  const t1 = '2024-05-01T10:00:00.000000001Z';
  const t2 = '2024-05-01T10:00:00.000000002Z';
  const t3 = '2024-05-01T10:00:01.500000000Z';
  const all = Buffer.concat([frame(1, `${t1} one\n`), frame(2, `${t2} two\n`), frame(1, `${t3} thr`), frame(1, `${t3} ee\n`)]);
  // Fed in awkward pieces: frames split across chunks.
  const decoder = new EngineLogDecoder(false, undefined);
  let out = '';
  for (let i = 0; i < all.length; i += 5) out += decoder.push(all.subarray(i, i + 5));
  out += decoder.flush();
  assert.equal(out, `${t1} stdout F one\n${t2} stderr F two\n${t3} stdout P thr\n${t3} stdout F ee\n`);

  // Resuming after t2 (one line at t2 already written) skips everything up to and including it.
  const resumed = new EngineLogDecoder(false, { ns: timestampNs(t2)!, count: 1 });
  assert.equal(resumed.push(all), `${t3} stdout P thr\n${t3} stdout F ee\n`);
  // TTY output is raw text, all stdout.
  const tty = new EngineLogDecoder(true, undefined);
  assert.equal(tty.push(Buffer.from(`${t1} a\r\n${t2} b`)), `${t1} stdout F a\n`);
  assert.equal(tty.push(Buffer.from(`c\r\n`)), `${t2} stdout F bc\n`);
});

test('resumePointOf counts the lines sharing the last timestamp', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-docker-resume-'));
  try {
    const path = join(dir, '0.log');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path, '2024-05-01T10:00:00.1Z stdout F a\n2024-05-01T10:00:00.2Z stdout F b\n2024-05-01T10:00:00.2Z stderr F c\n');
    assert.deepEqual(await resumePointOf(path), { ns: timestampNs('2024-05-01T10:00:00.200000000Z'), count: 2 });
    assert.equal(await resumePointOf(join(dir, 'missing.log')), undefined);
    // Just rotated: the live file is empty, the newest rotated file holds the last line copied.
    const { rename } = await import('node:fs/promises');
    await rename(path, `${path}.20240501-100001`);
    await writeFile(path, '');
    assert.deepEqual(await resumePointOf(path), { ns: timestampNs('2024-05-01T10:00:00.200000000Z'), count: 2 });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

// --- per engine ---------------------------------------------------------------------------------

for (const engine of ENGINES) {
  const reachable = await isDockerEndpoint(engine.endpoint, 3000);
  if (!reachable && inCI) {
    test(`${engine.name}: the engine answers at ${engine.endpoint}`, () => {
      assert.fail(`no ${engine.name} engine answers at ${engine.endpoint}; CI must start it with \`sudo ${engine.script}\``);
    });
    continue;
  }
  describe(
    `docker runtime on ${engine.name}`,
    { skip: reachable ? false : `no ${engine.name} engine at ${engine.endpoint}; start it with \`sudo ${engine.script}\`` },
    () => engineSuite(engine),
  );
}

function engineSuite(engine: Engine): void {
  const nodeName = `berth-test-${engine.name}-${process.pid}`;
  const client = new EngineClient(engine.endpoint);
  let dir: string;
  let podLogsDir: string;
  const runtimes: DockerRuntime[] = [];
  let podCounter = 0;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), `berth-${engine.name}-`));
    podLogsDir = join(dir, 'pods');
  });

  after(async () => {
    for (const runtime of runtimes) await runtime.close().catch(() => undefined);
    // Every container these tests made carries berth.node=<nodeName>: remove them all.
    const filters = JSON.stringify({ label: [`berth.node=${nodeName}`] });
    const left = (await client.json<Array<{ Id: string }>>('GET', '/containers/json', { query: { all: true, filters } })) ?? [];
    for (const c of left) await client.call('DELETE', `/containers/${c.Id}`, { query: { force: true } }, [404]).catch(() => undefined);
    client.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function newRuntime(endpoint = engine.endpoint): Promise<DockerRuntime> {
    const runtime = new DockerRuntime({ endpoint, podLogsDir, logger: silentLogger, nodeName, nodeIP: NODE_IP, volumesDir: join(dir, 'volumes') });
    runtimes.push(runtime);
    await runtime.init();
    return runtime;
  }

  function pod(container: Container, spec: Partial<Pod['spec']> = {}): Pod {
    podCounter++;
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `pod${podCounter}-${engine.name}`, namespace: 'default', uid: `${engine.name}-${process.pid}-${podCounter}` },
      spec: { containers: [container], ...spec },
    };
  }

  function logPathOf(p: Pod, container: string, attempt: number): string {
    const m = p.metadata!;
    return join(podLogsDir, `${m.namespace}_${m.name}_${m.uid}`, container, `${attempt}.log`);
  }

  async function start(runtime: DockerRuntime, p: Pod, attempt = 0): Promise<ContainerRecord> {
    const sandbox = await runtime.runPodSandbox(p);
    const container = p.spec!.containers[0]!;
    return runtime.startContainer({ pod: p, container, attempt, logPath: logPathOf(p, container.name, attempt), sandbox });
  }

  async function containersOfPod(uid: string): Promise<Array<{ Id: string; Names: string[]; State: string }>> {
    const filters = JSON.stringify({ label: [`io.kubernetes.pod.uid=${uid}`] });
    return (await client.json<Array<{ Id: string; Names: string[]; State: string }>>('GET', '/containers/json', { query: { all: true, filters } })) ?? [];
  }

  function exitOf(runtime: DockerRuntime): (id: string) => Promise<ContainerRecord> {
    const seen = new Map<string, ContainerRecord[]>();
    runtime.onContainerExit((record) => {
      const list = seen.get(record.id) ?? [];
      list.push(record);
      seen.set(record.id, list);
    });
    return async (id) => {
      const record = await waitFor(`the exit of ${id.slice(0, 12)}`, () => seen.get(id)?.[0], 30_000);
      // Give a duplicate notification a moment to show up, then check there was exactly one.
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(seen.get(id)?.length, 1, 'exactly one exit notification');
      return record;
    };
  }

  test('hostNetwork busybox httpd answers on its port; kubelet names and labels; API stop => exit notification', async () => {
    const runtime = await newRuntime();
    const waitExit = exitOf(runtime);
    const port = await freePort();
    const p = pod(
      { name: 'web', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['httpd', '-f', '-p', String(port)] },
      { hostNetwork: true },
    );
    assert.deepEqual(await runtime.runPodSandbox(p), { podIP: NODE_IP, hostIP: NODE_IP });
    const t0 = Date.now();
    const record = await start(runtime, p);
    const status = await waitFor(`httpd on port ${port}`, () => httpGet('127.0.0.1', port).catch(() => undefined));
    console.log(`# ${engine.name}: hostNetwork httpd answered ${Date.now() - t0} ms after runPodSandbox`);
    assert.ok(status >= 200, `HTTP status ${status}`);
    assert.equal(record.state, 'running');
    assert.equal(record.attempt, 0);
    assert.equal(record.podUid, p.metadata!.uid);

    const info = await client.json<{ Name: string; Config: { Labels: Record<string, string> }; HostConfig: { NetworkMode: string } }>('GET', `/containers/${record.id}/json`);
    assert.equal(info!.Name.replace(/^\//, ''), `k8s_web_${p.metadata!.name}_default_${p.metadata!.uid}_0`);
    assert.equal(info!.HostConfig.NetworkMode, 'host');
    const labels = info!.Config.Labels;
    assert.equal(labels['io.kubernetes.pod.name'], p.metadata!.name);
    assert.equal(labels['io.kubernetes.pod.namespace'], 'default');
    assert.equal(labels['io.kubernetes.pod.uid'], p.metadata!.uid);
    assert.equal(labels['io.kubernetes.container.name'], 'web');
    assert.equal(labels['io.kubernetes.container.restartCount'], '0');
    assert.equal(labels['berth.managed'], 'true');
    assert.match(labels['berth.container.hash'] ?? '', /^[0-9a-f]{16}$/);
    // hostNetwork pods get no sandbox container.
    assert.equal((await containersOfPod(p.metadata!.uid!)).length, 1);

    // `docker stop` from outside berth: the exit is reported once, with the engine's exit code.
    await client.call('POST', `/containers/${record.id}/stop`, { query: { t: 1 }, timeoutMs: 30_000 }, [304]);
    const exited = await waitExit(record.id);
    assert.equal(exited.state, 'exited');
    assert.equal(exited.exitCode, 137); // busybox httpd as PID 1 ignores SIGTERM: killed after t=1
    assert.equal(exited.reason, 'Error');
    assert.ok(exited.finishedAt);
    await runtime.removeContainer(record.id);
    assert.equal((await containersOfPod(p.metadata!.uid!)).length, 0);
  });

  test('a pod with its own network: sandbox named k8s_POD_..., hostPort answers, removePodSandbox removes everything', async () => {
    const runtime = await newRuntime();
    const hostPort = await freePort();
    const p = pod({
      name: 'web',
      image: IMAGE,
      imagePullPolicy: 'Never',
      command: ['httpd', '-f', '-p', '8080'],
      ports: [{ containerPort: 8080, hostPort }],
    });
    const t0 = Date.now();
    const sandbox = await runtime.runPodSandbox(p);
    assert.match(sandbox.podIP, /^\d+\.\d+\.\d+\.\d+$/);
    assert.notEqual(sandbox.podIP, NODE_IP);
    assert.equal(sandbox.hostIP, NODE_IP);
    assert.deepEqual(await runtime.runPodSandbox(p), sandbox, 'runPodSandbox is idempotent');
    const container = p.spec!.containers[0]!;
    const record = await runtime.startContainer({ pod: p, container, attempt: 0, logPath: logPathOf(p, 'web', 0), sandbox });
    await waitFor(`httpd through hostPort ${hostPort}`, () => httpGet('127.0.0.1', hostPort).catch(() => undefined));
    console.log(`# ${engine.name}: bridge pod answered on its hostPort ${Date.now() - t0} ms after runPodSandbox`);
    await waitFor(`httpd on the pod IP ${sandbox.podIP}`, () => httpGet(sandbox.podIP, 8080).catch(() => undefined));

    const all = await containersOfPod(p.metadata!.uid!);
    const names = all.map((c) => c.Names[0]!.replace(/^\//, '')).sort();
    assert.deepEqual(names, [
      `k8s_POD_${p.metadata!.name}_default_${p.metadata!.uid}_0`,
      `k8s_web_${p.metadata!.name}_default_${p.metadata!.uid}_0`,
    ]);
    const sandboxId = all.find((c) => c.Names[0]!.includes('k8s_POD_'))!.Id;
    const info = await client.json<{ HostConfig: { NetworkMode: string }; Config: { Labels: Record<string, string> } }>('GET', `/containers/${record.id}/json`);
    assert.equal(info!.HostConfig.NetworkMode, `container:${sandboxId}`);
    const sandboxInfo = await client.json<{ Config: { Labels: Record<string, string> } }>('GET', `/containers/${sandboxId}/json`);
    assert.equal(sandboxInfo!.Config.Labels['io.kubernetes.container.name'], 'POD');

    // listContainers shows the app container, not the sandbox.
    const listed = (await runtime.listContainers()).filter((r) => r.podUid === p.metadata!.uid);
    assert.deepEqual(listed.map((r) => r.id), [record.id]);

    const podDir = join(dir, 'volumes', p.metadata!.uid!);
    await access(podDir); // its /etc/hosts lives there
    await runtime.removePodSandbox(p);
    assert.deepEqual(await containersOfPod(p.metadata!.uid!), []);
    // Nothing of the pod is left on disk, not even its empty folder.
    await assert.rejects(access(podDir), { code: 'ENOENT' });
    await waitFor(`hostPort ${hostPort} to close`, () => httpGet('127.0.0.1', hostPort).then(() => undefined, () => true));
  });

  test('stdout and stderr land at logPath in CRI format; an instant clean exit is reported once, Completed', async () => {
    const runtime = await newRuntime();
    const waitExit = exitOf(runtime);
    const p = pod(
      { name: 'say', image: IMAGE, imagePullPolicy: 'Never', command: ['sh', '-c', 'echo "out one"; echo "err one" >&2; echo out two'] },
      { hostNetwork: true },
    );
    const record = await start(runtime, p);
    const exited = await waitExit(record.id);
    assert.equal(exited.exitCode, 0);
    assert.equal(exited.reason, 'Completed');
    assert.equal(exited.logPath, logPathOf(p, 'say', 0));
    const lines = (await readFile(logPathOf(p, 'say', 0), 'utf8')).trimEnd().split('\n');
    const cri = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)) (stdout|stderr) F (.*)$/;
    for (const line of lines) assert.match(line, cri);
    const parsed = lines.map((line) => cri.exec(line)!).map((m) => `${m[4]} ${m[5]}`);
    assert.deepEqual(parsed.filter((l) => l.startsWith('stdout')), ['stdout out one', 'stdout out two']);
    assert.deepEqual(parsed.filter((l) => l.startsWith('stderr')), ['stderr err one']);
    await runtime.removeContainer(record.id);
  });

  test('args, env, runAsUser, emptyDir, the pod hostname and limits reach the container', async () => {
    const runtime = await newRuntime();
    const waitExit = exitOf(runtime);
    const p = pod(
      {
        name: 'spec',
        image: IMAGE,
        imagePullPolicy: 'Never',
        // args only: the image's ENTRYPOINT (none) + these args.
        args: ['sh', '-c', 'echo "user=$(id -u):$(id -g) host=$(hostname) greeting=$GREETING"; echo kept > /data/file'],
        env: [{ name: 'NAME', value: 'berth' }, { name: 'GREETING', value: 'hello $(NAME)' }],
        securityContext: { runAsUser: 65534, runAsGroup: 65534 },
        volumeMounts: [{ name: 'data', mountPath: '/data' }],
        resources: { limits: { cpu: '500m', memory: '64Mi' } },
      },
      { volumes: [{ name: 'data', emptyDir: {} }] },
    );
    const record = await start(runtime, p, 1);
    assert.equal(record.attempt, 1);
    const info = await client.json<{ Name: string; HostConfig: { CpuQuota: number; CpuPeriod: number; Memory: number } }>('GET', `/containers/${record.id}/json`);
    assert.equal(info!.Name.replace(/^\//, ''), `k8s_spec_${p.metadata!.name}_default_${p.metadata!.uid}_1`);
    assert.equal(info!.HostConfig.CpuQuota, 50_000);
    assert.equal(info!.HostConfig.CpuPeriod, 100_000);
    assert.equal(info!.HostConfig.Memory, 64 * 1024 * 1024);
    const exited = await waitExit(record.id);
    assert.equal(exited.exitCode, 0);
    const log = await readFile(logPathOf(p, 'spec', 1), 'utf8');
    assert.match(log, new RegExp(` stdout F user=65534:65534 host=${p.metadata!.name} greeting=hello berth\n`));
    assert.equal(await readFile(join(dir, 'volumes', p.metadata!.uid!, 'volumes', 'data', 'file'), 'utf8'), 'kept\n');
    await runtime.removeContainer(record.id);
    await runtime.removePodSandbox(p);
    await assert.rejects(readFile(join(dir, 'volumes', p.metadata!.uid!, 'volumes', 'data', 'file')), 'emptyDir removed with the pod');
  });

  test('a new runtime instance adopts a running container and continues its log without duplicates', async () => {
    const first = await newRuntime();
    const p = pod(
      {
        name: 'count',
        image: IMAGE,
        imagePullPolicy: 'Never',
        command: ['sh', '-c', 'trap "exit 3" TERM; i=0; while :; do echo line$i; i=$((i+1)); sleep 0.1; done'],
      },
      { hostNetwork: true },
    );
    const logPath = logPathOf(p, 'count', 0);
    const record = await start(first, p);
    const lineCount = async (): Promise<number> => (await readFile(logPath, 'utf8').catch(() => '')).split('\n').length - 1;
    await waitFor('a few log lines', async () => ((await lineCount()) >= 5 ? true : undefined));
    await first.close(); // the agent goes away; the container keeps running and printing
    const linesAtClose = await lineCount();
    await new Promise((resolve) => setTimeout(resolve, 500));

    const second = await newRuntime();
    const waitExit = exitOf(second);
    const listed = (await second.listContainers()).find((r) => r.id === record.id);
    assert.ok(listed, 'the new instance lists the running container');
    assert.equal(listed.state, 'running');
    assert.equal(listed.podUid, p.metadata!.uid);
    assert.equal(listed.podName, p.metadata!.name);
    assert.equal(listed.containerName, 'count');
    assert.equal(listed.attempt, 0);
    assert.equal(listed.logPath, logPath);
    // The new instance copies again: the lines printed while no agent ran, then new ones.
    await waitFor('the log copy to resume', async () => ((await lineCount()) >= linesAtClose + 10 ? true : undefined));

    const stopped = await second.stopContainer(record.id, 5);
    assert.equal(stopped?.state, 'exited');
    assert.equal(stopped?.exitCode, 3);
    assert.equal((await waitExit(record.id)).exitCode, 3);

    const numbers = (await readFile(logPath, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((line) => Number(/ stdout F line(\d+)$/.exec(line)?.[1]));
    assert.ok(numbers.length >= linesAtClose + 10, `enough lines (${numbers.length})`);
    assert.deepEqual(numbers, numbers.map((_, i) => i), 'every line once, in order, none missing or repeated');
    await second.removeContainer(record.id);
  });

  test('image absent with pull policy Never => ErrImageNeverPull', async () => {
    const runtime = await newRuntime();
    const p = pod({ name: 'c', image: 'berth.test/absent:1', imagePullPolicy: 'Never', command: ['true'] }, { hostNetwork: true });
    await assert.rejects(start(runtime, p), (err: unknown) => {
      assert.ok(err instanceof RuntimeError);
      assert.equal(err.reason, 'ErrImageNeverPull');
      assert.equal(err.message, 'Container image "berth.test/absent:1" is not present with pull policy of Never');
      return true;
    });
  });

  test('pull policy Always without a reachable registry uses the image already on the node', async () => {
    const runtime = await newRuntime();
    const p = pod({ name: 'c', image: IMAGE, imagePullPolicy: 'Always', command: ['sleep', '30'] }, { hostNetwork: true });
    const record = await start(runtime, p);
    assert.equal(record.state, 'running');
    await runtime.removePodSandbox(p);
  });

  test('a failed pull => ErrImagePull with the engine message', async () => {
    const runtime = await newRuntime();
    const p = pod({ name: 'c', image: 'berth.test/absent:1', imagePullPolicy: 'IfNotPresent', command: ['true'] }, { hostNetwork: true });
    const t0 = Date.now();
    await assert.rejects(start(runtime, p), (err: unknown) => {
      assert.ok(err instanceof RuntimeError);
      assert.equal(err.reason, 'ErrImagePull');
      assert.match(err.message, /^Failed to pull image "berth\.test\/absent:1": \S/);
      return true;
    });
    console.log(`# ${engine.name}: failed pull reported after ${Date.now() - t0} ms`);
    assert.deepEqual(await containersOfPod(p.metadata!.uid!), []);
  });

  test('a command missing from the image => RunContainerError, no container left', async () => {
    const runtime = await newRuntime();
    const exits: ContainerRecord[] = [];
    runtime.onContainerExit((r) => exits.push(r));
    for (const hostNetwork of [true, false]) {
      const p = pod({ name: 'c', image: IMAGE, imagePullPolicy: 'Never', command: ['/no/such/binary'] }, { hostNetwork });
      await assert.rejects(start(runtime, p), (err: unknown) => {
        assert.ok(err instanceof RuntimeError);
        assert.equal(err.reason, 'RunContainerError');
        assert.match(err.message, /no\/such\/binary/);
        return true;
      });
      const left = (await containersOfPod(p.metadata!.uid!)).filter((c) => !c.Names[0]!.includes('k8s_POD_'));
      assert.deepEqual(left, [], 'the failed container was removed');
      await runtime.removePodSandbox(p);
      assert.deepEqual(await containersOfPod(p.metadata!.uid!), []);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(exits, [], 'a container that never started is not reported as exited');
  });

  test('the engine socket vanishing and coming back: clear errors, then exits missed meanwhile are reported', async () => {
    const target = engine.endpoint.replace(/^unix:\/\//, '');
    const proxy = new SocketProxy(join(dir, 'proxy.sock'), target);
    await proxy.start();
    try {
      const endpoint = `unix://${proxy.path}`;
      const runtime = await newRuntime(endpoint);
      const waitExit = exitOf(runtime);
      const p = pod(
        { name: 'loop', image: IMAGE, imagePullPolicy: 'Never', command: ['sh', '-c', 'trap "exit 4" TERM; while :; do sleep 0.1; done'] },
        { hostNetwork: true },
      );
      const record = await start(runtime, p);

      await proxy.stop();
      await assert.rejects(runtime.listContainers(), (err: Error) => {
        assert.match(err.message, new RegExp(proxy.path.replace(/[/.]/g, '\\$&')));
        assert.match(err.message, /scripts\/docker-up\.sh/);
        return true;
      });
      await assert.rejects(start(runtime, pod({ name: 'x', image: IMAGE, imagePullPolicy: 'Never', command: ['true'] }, { hostNetwork: true })), (err: unknown) => {
        assert.ok(err instanceof RuntimeError);
        assert.match(err.message, /no container engine answers/);
        return true;
      });
      // The container exits while berth cannot see the engine.
      await client.call('POST', `/containers/${record.id}/stop`, { query: { t: 5 }, timeoutMs: 30_000 }, [304]);

      await proxy.start();
      const exited = await waitExit(record.id);
      assert.equal(exited.exitCode, 4);
      const listed = await runtime.listContainers();
      assert.ok(listed.some((r) => r.id === record.id && r.state === 'exited'));
      await runtime.removeContainer(record.id);
      await runtime.close();
    } finally {
      await proxy.stop();
    }
  });
}
