// Spawning shims through berth-spawner (spawner.c), a small helper process. Node's spawn() forks
// the agent itself and blocks the event loop until the child has exec'd: with 2000 containers
// starting on a busy machine that was seconds without API or /healthz. A worker thread doing the
// spawns kept the event loop free but cost a second Node.js environment (about 10 MB resident, for
// good). The helper is a few hundred KB, forks in microseconds, and reports each shim's pid,
// handshake and exit here over a pipe.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The part of a ChildProcess the process runtime uses, for a shim started by the spawner.
 * Emits 'exit' (code, null when a signal ended it) once the shim exited.
 */
export class SpawnedShim extends EventEmitter {
  pid: number | undefined;
  exitCode: number | null = null;
  /** The container's pid and start time from the shim's handshake; undefined when the shim exited first. */
  readonly started: Promise<{ pid: number; startTime: number } | undefined>;
  private settle!: (value: { pid: number; startTime: number } | undefined) => void;
  private fail!: (err: Error) => void;

  constructor(
    private readonly spawner: Spawner,
    readonly id: number,
  ) {
    super();
    // A spawn waiting for its handshake keeps the process alive, as a ChildProcess would.
    spawner.hold(+1);
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      spawner.hold(-1);
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
    this.spawner.release(this);
  }

  /** @internal one reply line's kind and the rest of it. */
  onReply(kind: string, rest: string): void {
    switch (kind) {
      case 'spawned':
        this.pid = Number(rest);
        break;
      case 'started': {
        const m = /^(\d+) (\d+)$/.exec(rest);
        if (m) this.settle({ pid: Number(m[1]), startTime: Number(m[2]) });
        break;
      }
      case 'error': {
        // "spawn FILE ENOENT", as Node words it, with the errno name as the error's code.
        const err: NodeJS.ErrnoException = new Error(rest);
        const code = /^spawn .* ([A-Z][A-Z0-9]+)$/.exec(rest)?.[1];
        if (code) err.code = code;
        this.fail(err);
        break;
      }
      case 'exit':
        this.exitCode = rest === '-' ? null : Number(rest);
        this.emit('exit', this.exitCode);
        break;
      case 'close':
        this.settle(undefined);
        break;
    }
  }
}

/** The running helper: one per agent, started on first use and again if it ever died. */
class Spawner {
  private readonly child: ChildProcess;
  private readonly live = new Map<number, SpawnedShim>();
  private waiting = 0;
  private partial = '';
  private stderr = '';
  private gone = false;

  constructor(private readonly path: string) {
    // detached: a session of its own, so a Ctrl-C at the agent's terminal does not reach it; it
    // ends by itself when its stdin closes (the agent stopped or died).
    this.child = spawn(path, [], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => this.onData(chunk));
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (chunk: string) => (this.stderr = (this.stderr + chunk).slice(-2000)));
    this.child.stdin!.on('error', () => {}); // reported through 'exit' below
    this.child.on('error', (err) => this.died(err.message));
    this.child.on('exit', (code, signal) => this.died(`exited (${signal ?? `code ${code}`})${this.stderr.trim() ? `: ${this.stderr.trim()}` : ''}`));
    this.refresh();
  }

  get alive(): boolean {
    return !this.gone;
  }

  spawn(id: number, file: string, args: string[], env: Record<string, string>): SpawnedShim {
    const shim = new SpawnedShim(this, id);
    this.live.set(id, shim);
    const envList = Object.entries(env).map(([k, v]) => `${k}=${v}`);
    this.send(['spawn', String(id), file, String(args.length), ...args, String(envList.length), ...envList]);
    return shim;
  }

  release(shim: SpawnedShim): void {
    if (!this.live.delete(shim.id)) return;
    this.send(['release', String(shim.id)]);
  }

  /** A spawn waiting for its handshake refs the helper's pipes; none waiting, they never keep the agent alive. */
  hold(delta: number): void {
    this.waiting += delta;
    this.refresh();
  }

  private refresh(): void {
    const streams = [this.child.stdout, this.child.stderr, this.child.stdin] as unknown as { ref(): void; unref(): void }[];
    if (this.waiting > 0) {
      this.child.ref();
      for (const s of streams) s.ref();
    } else {
      this.child.unref();
      for (const s of streams) s.unref();
    }
  }

  private send(strings: string[]): void {
    const body = Buffer.from(`${strings.join('\0')}\0`, 'utf8');
    const frame = Buffer.allocUnsafe(4 + body.length);
    frame.writeUInt32LE(body.length, 0);
    body.copy(frame, 4);
    this.child.stdin!.write(frame);
  }

  private onData(chunk: string): void {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop()!;
    for (const line of lines) {
      const [kind = '', idText = '', ...rest] = line.split(' ');
      const id = Number(idText);
      const shim = this.live.get(id);
      if (!shim) continue;
      if (kind === 'close') this.live.delete(id);
      shim.onReply(kind, rest.join(' '));
    }
  }

  /**
   * The helper is gone (killed, or a bug). Shims it had started keep running, but their exits
   * can no longer be heard from it: each is reported as exited, and the runtime, finding its
   * container still running, watches it through /proc as it watches containers it adopted.
   */
  private died(why: string): void {
    if (this.gone) return;
    this.gone = true;
    const message = `the shim spawner ${this.path} ${why}`;
    for (const shim of [...this.live.values()]) {
      shim.onReply('error', message);
      shim.onReply('exit', '-');
      shim.onReply('close', '');
    }
    this.live.clear();
  }
}

let current: Spawner | undefined;
let currentPath: string | undefined;
let nextId = 1;

/** berth-spawner is built next to berth-shim (`npm run build`). */
export function spawnerPathFor(shimPath: string): string {
  return join(dirname(shimPath), 'berth-spawner');
}

/** Why the spawner at `path` cannot be used, or undefined when it can. */
export function spawnerProblem(path: string): string | undefined {
  return existsSync(path) ? undefined : `the shim spawner ${path} is missing; build it with \`npm run build\` (compiles src/runtime/process/spawner.c with cc)`;
}

/** Starts the helper at `path` now (the runtime's init), so the first container does not wait for it. */
export function startSpawner(path: string): void {
  if (current?.alive && currentPath === path) return;
  currentPath = path;
  current = new Spawner(path);
}

/** Spawns `file` (a shim) detached (its own session), stdout a pipe for the handshake. */
export function spawnShim(file: string, args: string[], env: Record<string, string>): SpawnedShim {
  if (!currentPath) throw new Error('the shim spawner was not started (a bug in berth: the process runtime starts it in init())');
  // Gone since (killed, or it failed): a new one for this and later spawns.
  if (!current?.alive) current = new Spawner(currentPath);
  return current.spawn(nextId++, file, args, env);
}
