// The three real engines as one list of test suites: containerd over the CRI, Docker and Podman
// over the Engine API. Each suite makes a runtime and starts single-container host-network pods on
// it; cleanup removes whatever the suite left. Outside CI a missing engine skips its suite; with
// CI=true it fails, saying which script starts it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Container, Pod } from 'kubernetes-types/core/v1';
import { silentLogger } from '../../src/log/index.js';
import { DockerRuntime, EngineClient, isDockerEndpoint } from '../../src/runtime/docker/index.js';
import type { ContainerEvents, ContainerRecord, Runtime } from '../../src/runtime/types.js';
import { CriTestEnv, criSkipReason } from './cri-harness.js';

export interface EngineHarness {
  runtime: Runtime;
  /** Sandbox + container of a new host-network pod holding only `container`. */
  start(container: Container, spec?: Partial<Pod['spec']>, events?: ContainerEvents): Promise<ContainerRecord>;
  /** The pod of the last start (port-forward takes a pod). */
  lastPod(): Pod;
  cleanup(): Promise<void>;
}

export interface EngineSuite {
  name: string;
  skip: string | false;
  make: () => Promise<EngineHarness>;
}

async function criHarness(prefix: string): Promise<EngineHarness> {
  const env = new CriTestEnv();
  await env.setup();
  const runtime = env.runtime();
  await runtime.init();
  let n = 0;
  let last: Pod | undefined;
  return {
    runtime,
    lastPod: () => last!,
    async start(container, spec = {}, events) {
      const pod = last = env.pod(`${prefix}${++n}`, { hostNetwork: true, ...spec, containers: [container] });
      const sandbox = await runtime.runPodSandbox(pod);
      return runtime.startContainer({ pod, container, attempt: 0, logPath: env.logPath(pod, container.name, 0), sandbox, events });
    },
    cleanup: () => env.cleanup(),
  };
}

async function dockerHarness(prefix: string, name: string, endpoint: string): Promise<EngineHarness> {
  const nodeName = `berth-${prefix}-${name}-${process.pid}`;
  const dir = await mkdtemp(join(tmpdir(), `berth-${prefix}-${name}-`));
  const runtime = new DockerRuntime({ endpoint, podLogsDir: join(dir, 'pods'), logger: silentLogger, nodeName, nodeIP: '192.0.2.10', volumesDir: join(dir, 'volumes') });
  await runtime.init();
  let n = 0;
  let last: Pod | undefined;
  const pods: Pod[] = [];
  return {
    runtime,
    lastPod: () => last!,
    async start(container, spec = {}, events) {
      n++;
      const pod: Pod = (last = { apiVersion: 'v1', kind: 'Pod', metadata: { name: `${prefix}${n}-${name}`, namespace: 'default', uid: `${nodeName}-${n}` }, spec: { hostNetwork: true, ...spec, containers: [container] } });
      pods.push(pod);
      const sandbox = await runtime.runPodSandbox(pod);
      return runtime.startContainer({ pod, container, attempt: 0, logPath: join(dir, 'pods', pod.metadata!.uid!, container.name, '0.log'), sandbox, events });
    },
    async cleanup() {
      // The runtime's own removal first (sandboxes after their containers), then a sweep by label.
      for (const pod of pods) await runtime.removePodSandbox(pod).catch(() => undefined);
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

/** One suite per engine; `prefix` names the suite's pods so that files never collide. */
export async function engineSuites(prefix: string): Promise<EngineSuite[]> {
  const suites: EngineSuite[] = [{ name: 'containerd', skip: await criSkipReason(), make: () => criHarness(prefix) }];
  for (const engine of [
    { name: 'docker', endpoint: process.env.BERTH_TEST_DOCKER_ENDPOINT ?? 'unix:///var/run/docker.sock', script: 'scripts/docker-up.sh' },
    { name: 'podman', endpoint: process.env.BERTH_TEST_PODMAN_ENDPOINT ?? 'unix:///run/podman/podman.sock', script: 'scripts/podman-up.sh' },
  ]) {
    const reachable = await isDockerEndpoint(engine.endpoint, 3000);
    if (!reachable && process.env.CI === 'true') throw new Error(`CI=true and no ${engine.name} engine answers at ${engine.endpoint}; start it with ${engine.script}`);
    suites.push({
      name: engine.name,
      skip: reachable ? false : `no ${engine.name} engine at ${engine.endpoint}; start it with ${engine.script}`,
      make: () => dockerHarness(prefix, engine.name, engine.endpoint),
    });
  }
  return suites;
}
