// Starts the API-server-only child (api-child.mjs, on the compiled server) for the pure-server
// benchmarks, and removes it again, also when a benchmark fails or the run is interrupted (its temp
// folder at the end of the run, see scratch.ts).
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ApiServerStats } from '../../src/apiserver/index.js';
import { ROOT } from './berth.js';
import { KubeClient, type ApiTarget } from './kube.js';
import { discardLater } from './scratch.js';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'api-child.mjs');

/** process.memoryUsage() of the child, in bytes. */
export interface ChildMemory {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

/** What api-child.mjs sends. */
export type ChildMessage =
  | { type: 'ready'; url: string; caPem: string; token: string }
  | { type: 'mem'; id: number; mem: ChildMemory; stats: ApiServerStats; gc: boolean; watchers: number }
  | { type: 'error'; message: string };

/** What api-child.mjs accepts. */
export type ParentMessage = { type: 'mem'; id: number } | { type: 'stop' };

export type MemReport = Extract<ChildMessage, { type: 'mem' }>;

export interface ApiChild {
  pid: number;
  target: ApiTarget;
  client: KubeClient;
  /** Memory of the child after two full GCs (when it runs with --expose-gc), plus store stats. */
  mem(): Promise<MemReport>;
  stop(): Promise<void>;
}

const active = new Set<ApiChild>();

export async function cleanupApiChildren(): Promise<void> {
  await Promise.allSettled([...active].map((c) => c.stop()));
}

/** `durable`: the server keeps its objects in a SQLite state file, as the agent does. */
export async function startApiChild(label: string, opts: { durable?: boolean } = {}): Promise<ApiChild> {
  const dir = mkdtempSync(join(tmpdir(), `berth-bench-${label}-`));
  const proc: ChildProcess = fork(CHILD, opts.durable ? [dir, 'durable'] : [dir], {
    cwd: ROOT,
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let stopping: Promise<void> | undefined;
  let client: KubeClient | undefined;
  const stop = (): Promise<void> => {
    stopping ??= new Promise<void>((done) => {
      client?.close();
      const finish = () => {
        discardLater(dir);
        done();
      };
      if (proc.exitCode !== null || proc.signalCode !== null) return finish();
      const force = setTimeout(() => proc.kill('SIGKILL'), 3000);
      proc.once('exit', () => {
        clearTimeout(force);
        finish();
      });
      if (proc.connected) proc.send({ type: 'stop' } satisfies ParentMessage);
      else proc.kill('SIGTERM');
    });
    return stopping.finally(() => active.delete(child));
  };
  const pending = new Map<number, (m: MemReport) => void>();
  let nextId = 1;
  const exited = new Promise<never>((_, reject) => proc.once('exit', (code, sig) => reject(new Error(`API server child exited (${code ?? sig})`))));
  exited.catch(() => {});
  const child: ApiChild = {
    pid: proc.pid!,
    target: { url: '', caPem: '', token: '' },
    get client(): KubeClient {
      if (!client) throw new Error('API server child is not ready');
      return client;
    },
    mem: () =>
      Promise.race([
        new Promise<MemReport>((resolve) => {
          const id = nextId++;
          pending.set(id, resolve);
          proc.send({ type: 'mem', id } satisfies ParentMessage);
        }),
        exited,
      ]),
    stop,
  };
  active.add(child);
  proc.on('message', (m: ChildMessage) => {
    if (m.type === 'mem') {
      pending.get(m.id)?.(m);
      pending.delete(m.id);
    }
  });
  try {
    const ready = await Promise.race([
      new Promise<ChildMessage>((resolve) => proc.once('message', resolve)),
      exited,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('API server child did not start within 20 s')), 20_000).unref()),
    ]);
    if (ready.type === 'error') throw new Error(`API server child failed: ${ready.message}`);
    if (ready.type !== 'ready') throw new Error(`API server child: unexpected first message ${ready.type}`);
    child.target = { url: ready.url, caPem: ready.caPem, token: ready.token };
    client = new KubeClient(child.target);
    return child;
  } catch (err) {
    await stop();
    throw err;
  }
}
