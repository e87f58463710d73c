// Shared by the process-runtime tests that start real containers under the real shim: a runtime
// in a temp root, pods, and cleanup of every container group and cgroup they started.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Container, Pod } from 'kubernetes-types/core/v1';
import { silentLogger, type Logger } from '../../src/log/index.js';
import { ProcessRuntime, type ProcessRuntimeOptions } from '../../src/runtime/process/index.js';
import type { ContainerRecord } from '../../src/runtime/types.js';
import { defer, tempDir, type TestLike } from '../cleanup.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
export const shimPath = join(repo, 'dist', 'berth-shim');
const builds = [
  [shimPath, join(repo, 'src', 'runtime', 'process', 'shim.c')],
  [join(repo, 'dist', 'berth-spawner'), join(repo, 'src', 'runtime', 'process', 'spawner.c')],
] as const;

export function buildShim(): void {
  if (builds.some(([binary, source]) => !existsSync(binary) || statSync(binary).mtimeMs < statSync(source).mtimeMs)) {
    const build = spawnSync(process.execPath, [join(repo, 'scripts', 'build-shim.mjs')], { stdio: 'inherit' });
    assert.equal(build.status, 0, 'building dist/berth-shim failed');
  }
}

export interface Harness {
  runtime: ProcessRuntime;
  dir: string;
  exits: ContainerRecord[];
  start(container: Container, pod?: Partial<Pod>): Promise<{ pod: Pod; record: ContainerRecord; logPath: string }>;
  exitOf(id: string, ms?: number): Promise<ContainerRecord>;
}

let podCounter = 0;

/** A runtime whose containers are stopped and removed (cgroups too) after the test, also on failure. */
export async function harness(t: TestLike, options: Partial<ProcessRuntimeOptions> = {}, logger: Logger = silentLogger): Promise<Harness> {
  buildShim();
  const dir = await tempDir(t, 'process');
  const runtime = new ProcessRuntime({ rootDir: join(dir, 'root'), shimPath, logger, nodeIP: '192.0.2.10', ...options });
  await runtime.init();
  const ids: string[] = [];
  defer(t, async () => {
    for (const id of ids) await runtime.removeContainer(id).catch(() => undefined);
    await runtime.close();
  });
  const exits: ContainerRecord[] = [];
  runtime.onContainerExit((r) => exits.push(r));
  return {
    runtime,
    dir,
    exits,
    async start(container, extra = {}) {
      podCounter++;
      const pod: Pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        ...extra,
        metadata: { name: `pod${podCounter}-node1`, namespace: 'default', uid: `test-uid-${process.pid}-${podCounter}`, ...extra.metadata },
        spec: { ...extra.spec, containers: [container] },
      };
      const logPath = join(dir, 'logs', pod.metadata!.uid!, container.name, '0.log');
      const record = await runtime.startContainer({ pod, container, attempt: 0, logPath, sandbox: await runtime.runPodSandbox(pod) });
      ids.push(record.id);
      return { pod, record, logPath };
    },
    exitOf(id, ms = 30_000) {
      return waitFor(`the exit of ${id}`, () => exits.find((e) => e.id === id), ms);
    },
  };
}

export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The text the container wrote (CRI log prefixes removed). */
export async function logText(path: string): Promise<string> {
  const raw = await readFile(path, 'utf8').catch(() => '');
  return raw
    .split('\n')
    .filter((l) => l)
    .map((l) => l.replace(/^\S+ (stdout|stderr) [FP] /, ''))
    .join('\n');
}

export function sh(script: string, extra: Partial<Container> = {}): Container {
  return { name: 'c', image: 'ignored', command: ['sh', '-c', script], ...extra };
}

/** A /proc/<pid>/status field ("CapEff", "NoNewPrivs", "Seccomp", ...) of a process. */
export function statusField(status: string, field: string): string | undefined {
  return new RegExp(`^${field}:\\s*(.*)$`, 'm').exec(status)?.[1];
}
