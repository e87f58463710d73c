// The kubelet's image and Created events from the engine runtimes, against real engines (no
// registry is reachable here, so a pull fails at once: the Failed path is real too).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Container, Pod } from 'kubernetes-types/core/v1';
import { silentLogger } from '../../src/log/index.js';
import { DockerRuntime, EngineClient, isDockerEndpoint } from '../../src/runtime/docker/index.js';
import { formatDuration } from '../../src/runtime/image-events.js';
import { RuntimeError, type ContainerEvents, type ContainerRecord, type Runtime } from '../../src/runtime/types.js';
import { BUSYBOX, CriTestEnv, criSkipReason } from './cri-harness.js';

const inCI = process.env.CI === 'true';

test('durations are printed as Go prints them', () => {
  assert.equal(formatDuration(850), '850ms');
  assert.equal(formatDuration(1234), '1.234s');
  assert.equal(formatDuration(2000), '2s');
  assert.equal(formatDuration(123_500), '2m3.5s');
});

interface Harness {
  runtime: Runtime;
  start(container: Container, events: ContainerEvents): Promise<ContainerRecord>;
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
    async start(container, events) {
      const pod = env.pod(`ev${++n}`, { hostNetwork: true, containers: [container] });
      const sandbox = await runtime.runPodSandbox(pod);
      return runtime.startContainer({ pod, container, attempt: 0, logPath: env.logPath(pod, container.name, 0), sandbox, events });
    },
    cleanup: () => env.cleanup(),
  };
}

async function engineHarness(name: string, endpoint: string): Promise<Harness> {
  const nodeName = `berth-events-${name}-${process.pid}`;
  const dir = await mkdtemp(join(tmpdir(), `berth-events-${name}-`));
  const runtime = new DockerRuntime({ endpoint, podLogsDir: join(dir, 'pods'), logger: silentLogger, nodeName, nodeIP: '192.0.2.10', volumesDir: join(dir, 'volumes') });
  await runtime.init();
  let n = 0;
  return {
    runtime,
    async start(container, events) {
      n++;
      const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: `ev${n}-${name}`, namespace: 'default', uid: `${nodeName}-${n}` }, spec: { hostNetwork: true, containers: [container] } };
      const sandbox = await runtime.runPodSandbox(pod);
      return runtime.startContainer({ pod, container, attempt: 0, logPath: join(dir, 'pods', pod.metadata!.uid!, container.name, '0.log'), sandbox, events });
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

const suites: Array<{ name: string; skip: string | false; make: () => Promise<Harness> }> = [];
suites.push({ name: 'containerd', skip: await criSkipReason(), make: criHarness });
for (const engine of [
  { name: 'docker', endpoint: process.env.BERTH_TEST_DOCKER_ENDPOINT ?? 'unix:///var/run/docker.sock', script: 'scripts/docker-up.sh' },
  { name: 'podman', endpoint: process.env.BERTH_TEST_PODMAN_ENDPOINT ?? 'unix:///run/podman/podman.sock', script: 'scripts/podman-up.sh' },
]) {
  const reachable = await isDockerEndpoint(engine.endpoint, 3000);
  if (!reachable && inCI) throw new Error(`CI=true and no ${engine.name} engine answers at ${engine.endpoint}; start it with ${engine.script}`);
  suites.push({ name: engine.name, skip: reachable ? false : `no ${engine.name} engine at ${engine.endpoint}; start it with ${engine.script}`, make: () => engineHarness(engine.name, engine.endpoint) });
}

for (const suite of suites) {
  describe(`image events on ${suite.name}`, { skip: suite.skip }, () => {
    let h: Harness;
    before(async () => {
      h = await suite.make();
    });
    after(() => h?.cleanup());

    const recorder = () => {
      const seen: string[] = [];
      const events: ContainerEvents = (type, reason, message) => seen.push(`${type} ${reason} ${message}`);
      return { seen, events };
    };

    test('an image on the node: Pulled "already present", then Created', async () => {
      const { seen, events } = recorder();
      await h.start({ name: 'web', image: BUSYBOX, imagePullPolicy: 'IfNotPresent', command: ['sleep', '30'] }, events);
      assert.deepEqual(seen, [`Normal Pulled Container image "${BUSYBOX}" already present on machine`, 'Normal Created Created container web']);
    });

    test('a pull that fails: Pulling, then Failed with the reason, and no Created', async () => {
      const { seen, events } = recorder();
      const image = 'registry.invalid/berth/none:1';
      await assert.rejects(h.start({ name: 'c', image, imagePullPolicy: 'Always', command: ['true'] }, events), (err: unknown) => err instanceof RuntimeError && err.reason === 'ErrImagePull');
      assert.equal(seen[0], `Normal Pulling Pulling image "${image}"`);
      assert.match(seen[1] ?? '', new RegExp(`^Warning Failed Failed to pull image "${image.replace(/[./]/g, '\\$&')}": .+`));
      assert.equal(seen.length, 2);
    });

    test('pull policy Never with the image missing: ErrImageNeverPull', async () => {
      const { seen, events } = recorder();
      const image = 'berth.test/not-here:1';
      await assert.rejects(h.start({ name: 'c', image, imagePullPolicy: 'Never', command: ['true'] }, events), (err: unknown) => err instanceof RuntimeError && err.reason === 'ErrImageNeverPull');
      assert.deepEqual(seen, [`Warning ErrImageNeverPull Container image "${image}" is not present with pull policy of Never`]);
    });
  });
}
