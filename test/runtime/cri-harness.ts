// Shared setup of the CRI runtime tests: is containerd there (skip outside CI, fail in CI), temp
// folders, pods labelled with this run's id, and a cleanup that removes every sandbox (and so
// every container) the run created, even after a failed assertion.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Container, Pod, PodSpec } from 'kubernetes-types/core/v1';
import { silentLogger } from '../../src/log/index.js';
import { CriClient, CriRuntime, isCriEndpoint, type CriRuntimeOptions } from '../../src/runtime/cri/index.js';
import type { ContainerRecord } from '../../src/runtime/types.js';

export const ENDPOINT = process.env.BERTH_CRI_ENDPOINT ?? 'unix:///run/containerd/containerd.sock';
export const BUSYBOX = 'berth.test/busybox:1';
const RUN_LABEL = 'berth.test.run';

/**
 * false when containerd answers with the test images present; otherwise why the tests skip. In CI
 * (CI=true) a missing runtime throws instead, so the test file fails rather than passing empty.
 */
export async function criSkipReason(): Promise<string | false> {
  let reason: string | undefined;
  if (!(await isCriEndpoint(ENDPOINT, 2000))) {
    reason = `containerd is not reachable at ${ENDPOINT}; start it with scripts/containerd-up.sh (as root)`;
  } else {
    const client = new CriClient(ENDPOINT);
    try {
      const status = await client.call<{ image: unknown }>('ImageService', 'ImageStatus', { image: { image: BUSYBOX } });
      if (!status.image) reason = `the test image ${BUSYBOX} is missing in containerd; import it with scripts/containerd-up.sh`;
    } finally {
      client.close();
    }
  }
  if (!reason) return false;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${reason}`);
  return reason;
}

export class CriTestEnv {
  readonly runId = `t${randomBytes(4).toString('hex')}`;
  dir = '';
  private readonly runtimes: CriRuntime[] = [];

  async setup(): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), 'berth-cri-'));
  }

  get podLogsDir(): string {
    return join(this.dir, 'pods');
  }

  get volumesDir(): string {
    return join(this.dir, 'volumes');
  }

  runtime(overrides: Partial<CriRuntimeOptions> = {}): CriRuntime {
    const runtime = new CriRuntime({
      endpoint: ENDPOINT,
      podLogsDir: this.podLogsDir,
      volumesDir: this.volumesDir,
      logger: silentLogger,
      nodeName: 'test-node',
      pollIntervalMs: 100,
      ...overrides,
    });
    this.runtimes.push(runtime);
    return runtime;
  }

  pod(name: string, spec: Partial<PodSpec> & { containers: Container[] }): Pod {
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `${name}-${this.runId}`,
        namespace: 'default',
        uid: `${this.runId}-${name}`,
        labels: { [RUN_LABEL]: this.runId },
        annotations: { 'kubernetes.io/config.hash': `${this.runId}-${name}` },
      },
      spec,
    };
  }

  logPath(pod: Pod, container: string, attempt: number): string {
    const m = pod.metadata!;
    return join(this.podLogsDir, `${m.namespace}_${m.name}_${m.uid}`, container, `${attempt}.log`);
  }

  /** runPodSandbox + startContainer of the pod's first container (or the one named). */
  async start(runtime: CriRuntime, pod: Pod, name?: string, attempt = 0): Promise<ContainerRecord> {
    const container = pod.spec!.containers.find((c) => name === undefined || c.name === name)!;
    const sandbox = await runtime.runPodSandbox(pod);
    return runtime.startContainer({ pod, container, attempt, logPath: this.logPath(pod, container.name, attempt), sandbox });
  }

  /** Every sandbox of this run, straight from the CRI. */
  async sandboxes(client: CriClient, uid?: string): Promise<Array<{ id: string; state: string }>> {
    const labelSelector: Record<string, string> = { [RUN_LABEL]: this.runId };
    if (uid) labelSelector['io.kubernetes.pod.uid'] = uid;
    const response = await client.call<{ items: Array<{ id: string; state: string }> }>('RuntimeService', 'ListPodSandbox', {
      filter: { labelSelector },
    });
    return response.items;
  }

  async cleanup(): Promise<void> {
    for (const runtime of this.runtimes) await runtime.close().catch(() => undefined);
    const client = new CriClient(ENDPOINT);
    try {
      for (const sandbox of await this.sandboxes(client).catch(() => [])) {
        await client.call('RuntimeService', 'StopPodSandbox', { podSandboxId: sandbox.id }, 60_000).catch(() => undefined);
        await client.call('RuntimeService', 'RemovePodSandbox', { podSandboxId: sandbox.id }, 60_000).catch(() => undefined);
      }
    } finally {
      client.close();
    }
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}

/** A TCP port nothing listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '0.0.0.0', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function httpGet(url: string): Promise<{ status: number; body: string } | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return { status: response.status, body: await response.text() };
  } catch {
    return undefined;
  }
}
