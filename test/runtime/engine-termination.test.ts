// Termination messages and OOMKilled on the real engines (containerd over the CRI, Docker and
// Podman over the Engine API): the file at terminationMessagePath, FallbackToLogsOnError, and a
// container over its memory limit. Outside CI a missing engine skips its suite; with CI=true it fails.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Container, Pod } from 'kubernetes-types/core/v1';
import { silentLogger } from '../../src/log/index.js';
import { DockerRuntime, EngineClient, isDockerEndpoint } from '../../src/runtime/docker/index.js';
import type { ContainerRecord, Runtime } from '../../src/runtime/types.js';
import { BUSYBOX, CriTestEnv, criSkipReason } from './cri-harness.js';

const inCI = process.env.CI === 'true';

interface Harness {
  runtime: Runtime;
  start(container: Container, spec?: Partial<Pod['spec']>): Promise<ContainerRecord>;
  cleanup(): Promise<void>;
}

async function criHarness(): Promise<Harness> {
  const env = new CriTestEnv();
  await env.setup();
  const runtime = env.runtime();
  await runtime.init();
  let n = 0;
  return {
    runtime,
    start: (container, spec = {}) => env.start(runtime, env.pod(`term${++n}`, { hostNetwork: true, ...spec, containers: [container] })),
    cleanup: () => env.cleanup(),
  };
}

async function engineHarness(name: string, endpoint: string): Promise<Harness> {
  const nodeName = `berth-term-${name}-${process.pid}`;
  const dir = await mkdtemp(join(tmpdir(), `berth-term-${name}-`));
  const runtime = new DockerRuntime({ endpoint, podLogsDir: join(dir, 'pods'), logger: silentLogger, nodeName, nodeIP: '192.0.2.10', volumesDir: join(dir, 'volumes') });
  await runtime.init();
  let n = 0;
  return {
    runtime,
    async start(container, spec = {}) {
      n++;
      const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: `term${n}-${name}`, namespace: 'default', uid: `${nodeName}-${n}` }, spec: { hostNetwork: true, ...spec, containers: [container] } };
      const sandbox = await runtime.runPodSandbox(pod);
      return runtime.startContainer({ pod, container, attempt: 0, logPath: join(dir, 'pods', pod.metadata!.uid!, container.name, '0.log'), sandbox });
    },
    async cleanup() {
      await runtime.close().catch(() => undefined);
      const client = new EngineClient(endpoint);
      const filters = JSON.stringify({ label: [`berth.node=${nodeName}`] });
      const left = (await client.json<Array<{ Id: string }>>('GET', '/containers/json', { query: { all: true, filters } })) ?? [];
      for (const c of left) await client.call('DELETE', `/containers/${c.Id}`, { query: { force: true } }, [404]).catch(() => undefined);
      client.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function exited(runtime: Runtime, id: string): Promise<ContainerRecord> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const record = (await runtime.listContainers()).find((c) => c.id === id);
    if (record?.state === 'exited') return record;
    assert.ok(Date.now() < deadline, `container ${id} did not exit in time (${record?.state})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const sh = (script: string, extra: Partial<Container> = {}): Container => ({ name: 'c', image: BUSYBOX, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', script], ...extra });

const suites: Array<{ name: string; skip: string | false; make: () => Promise<Harness> }> = [];
const criSkip = await criSkipReason();
suites.push({ name: 'containerd', skip: criSkip, make: criHarness });
for (const engine of [
  { name: 'docker', endpoint: process.env.BERTH_TEST_DOCKER_ENDPOINT ?? 'unix:///var/run/docker.sock', script: 'scripts/docker-up.sh' },
  { name: 'podman', endpoint: process.env.BERTH_TEST_PODMAN_ENDPOINT ?? 'unix:///run/podman/podman.sock', script: 'scripts/podman-up.sh' },
]) {
  const reachable = await isDockerEndpoint(engine.endpoint, 3000);
  if (!reachable && inCI) throw new Error(`CI=true and no ${engine.name} engine answers at ${engine.endpoint}; start it with ${engine.script}`);
  suites.push({ name: engine.name, skip: reachable ? false : `no ${engine.name} engine at ${engine.endpoint}; start it with ${engine.script}`, make: () => engineHarness(engine.name, engine.endpoint) });
}

for (const suite of suites) {
  describe(`termination messages and OOMKilled on ${suite.name}`, { skip: suite.skip }, () => {
    let h: Harness;
    before(async () => {
      h = await suite.make();
    });
    after(() => h?.cleanup());

    test('what the container writes to /dev/termination-log is the message', async () => {
      const started = await h.start(sh('printf "all done\\n" > /dev/termination-log; exit 0'));
      const record = await exited(h.runtime, started.id);
      assert.equal(record.exitCode, 0);
      assert.equal(record.message, 'all done\n');
    });

    test('a custom terminationMessagePath written by a non-root user; only the last 4096 bytes are kept', async () => {
      const started = await h.start(
        sh('head -c 5000 /dev/zero | tr "\\0" x > /tmp/why; printf END >> /tmp/why; exit 4', { terminationMessagePath: '/tmp/why', securityContext: { runAsUser: 1234 } }),
      );
      const record = await exited(h.runtime, started.id);
      assert.equal(record.exitCode, 4);
      assert.equal(record.message?.length, 4096);
      assert.ok(record.message?.endsWith('xxEND'));
    });

    test('FallbackToLogsOnError takes the log tail when the file is empty and the exit is an error', async () => {
      const failing = await h.start(sh('echo starting; sleep 0.2; echo "boom: no config" >&2; exit 2', { terminationMessagePolicy: 'FallbackToLogsOnError' }));
      const record = await exited(h.runtime, failing.id);
      assert.equal(record.exitCode, 2);
      assert.equal(record.message, 'starting\nboom: no config\n');
      const fine = await h.start(sh('echo only logs; exit 0', { terminationMessagePolicy: 'FallbackToLogsOnError' }));
      const ok = await exited(h.runtime, fine.id);
      assert.equal(ok.exitCode, 0);
      assert.equal(ok.message, undefined);
    });

    test('a container over its memory limit is OOMKilled with exit code 137', async () => {
      const started = await h.start(
        sh('echo filling; exec dd if=/dev/zero of=/dev/null bs=64M count=1', { resources: { limits: { memory: '8Mi' } } }),
      );
      const record = await exited(h.runtime, started.id);
      assert.equal(record.exitCode, 137);
      assert.equal(record.reason, 'OOMKilled');
    });
  });
}
