// Spawning shims off the main thread. Node's spawn() returns only once the child has exec'd; with
// 2000 containers starting on a busy machine that was seconds of a blocked event loop (no API, no
// /healthz meanwhile) and every spawn waited for the previous one. A spawner thread does it
// instead, so the event loop stays free.
import { EventEmitter } from 'node:events';
import type { Worker } from 'node:worker_threads';
import { startWorkerThread } from '../../heap/index.js';

export type SpawnerRequest =
  | { kind: 'spawn'; id: number; file: string; args: string[]; env: Record<string, string> }
  | { kind: 'release'; id: number };

export type SpawnerReply =
  | { id: number; kind: 'spawned'; pid: number | undefined }
  | { id: number; kind: 'started'; pid: number; startTime: number }
  | { id: number; kind: 'error'; message: string }
  | { id: number; kind: 'exit'; code: number | null }
  | { id: number; kind: 'close' };

/**
 * One thread: each is a whole Node.js environment (about 7 MB), and a second one made things
 * slower on a 2-core machine, not faster (2000 pods all running in 13.6 s with two, 10.5 s with
 * one; 500 pods 3.4 s and 2.5 s; the agent with 100 pods 115 MB and 107 MB).
 */
const THREADS = 1;

/**
 * The part of a ChildProcess the process runtime uses, for a shim spawned by a spawner thread.
 * Emits 'exit' (code) once the shim exited.
 */
export class SpawnedShim extends EventEmitter {
  pid: number | undefined;
  exitCode: number | null = null;
  /** The container's pid and start time from the shim's handshake; undefined when the shim exited first. */
  readonly started: Promise<{ pid: number; startTime: number } | undefined>;
  private settle!: (value: { pid: number; startTime: number } | undefined) => void;
  private fail!: (err: Error) => void;

  constructor(
    private readonly thread: Worker,
    private readonly id: number,
  ) {
    super();
    // A spawn waiting for its handshake keeps the process alive, as a ChildProcess would.
    holdThread(thread, +1);
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      holdThread(thread, -1);
    };
    this.started = new Promise((resolve, reject) => {
      this.settle = (value) => {
        done();
        resolve(value);
      };
      this.fail = (err) => {
        done();
        reject(err);
      };
    });
  }

  /** Stops watching the shim (the agent is stopping; the shim and its container keep running). */
  release(): void {
    this.thread.postMessage({ kind: 'release', id: this.id } satisfies SpawnerRequest);
    live.delete(this.id);
  }

  /** @internal a reply from the spawner thread. */
  onReply(m: SpawnerReply): void {
    switch (m.kind) {
      case 'spawned':
        this.pid = m.pid;
        break;
      case 'started':
        this.settle({ pid: m.pid, startTime: m.startTime });
        break;
      case 'error':
        this.fail(new Error(m.message));
        break;
      case 'exit':
        this.exitCode = m.code;
        this.emit('exit', m.code);
        break;
      case 'close':
        this.settle(undefined);
        live.delete(this.id);
        break;
    }
  }
}

// Built, this file is dist/runtime/process/spawner.js; in tests it runs from src/ through tsx,
// whose loader a thread does not inherit: there a small bootstrap registers it first.
const fromSource = import.meta.url.endsWith('.ts');
const threadUrl = new URL(fromSource ? './spawner-thread.ts' : './spawner-thread.js', import.meta.url);

const threads: Worker[] = [];
/** Spawns per thread still waiting for their handshake. */
const waiting = new Map<Worker, number>();

function holdThread(thread: Worker, delta: number): void {
  const n = (waiting.get(thread) ?? 0) + delta;
  waiting.set(thread, n);
  if (n > 0) thread.ref();
  else thread.unref();
}
const live = new Map<number, SpawnedShim>();
let nextId = 1;

function newThread(): Worker {
  let w: Worker;
  if (fromSource) {
    const tsx = import.meta.resolve('tsx/esm/api');
    w = startWorkerThread(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(threadUrl.href)}); })`, { eval: true });
  } else {
    w = startWorkerThread(threadUrl);
  }
  w.on('message', (m: SpawnerReply) => live.get(m.id)?.onReply(m));
  w.on('error', (err) => {
    const i = threads.indexOf(w);
    if (i >= 0) threads.splice(i, 1);
    for (const shim of live.values()) shim.onReply({ id: 0, kind: 'error', message: `the spawner thread failed: ${err.message}` });
  });
  // The threads never keep the agent alive; while it runs they deliver every shim's exit. (After
  // the listeners: adding a 'message' listener refs the thread again.)
  w.unref();
  return w;
}

/**
 * Starts the spawner threads now, before the first burst of containers: a starting thread resets
 * the process's V8 flags (see src/heap), and one started in the middle of a burst let the agent's
 * young generation grow to 16 MB before the setting was back.
 */
export function startSpawnerThreads(): void {
  while (threads.length < THREADS) threads.push(newThread());
}

/** Spawns `file` detached (its own session), stdout a pipe for the handshake, on a spawner thread. */
export function spawnShim(file: string, args: string[], env: Record<string, string>): SpawnedShim {
  startSpawnerThreads();
  const id = nextId++;
  const thread = threads[id % threads.length]!;
  const shim = new SpawnedShim(thread, id);
  live.set(id, shim);
  thread.postMessage({ kind: 'spawn', id, file, args, env } satisfies SpawnerRequest);
  return shim;
}
