// `kubectl exec` on the process runtime: a command in the container's context (exec.ts gives the
// argv) wired to the client's streams. Without a tty the command's pipes are piped to the client
// (with backpressure: a slow client slows the command, nothing piles up in the agent). With a tty
// berth-shim --pty runs it on a pseudo-terminal and relays it (Node has no pty API); window sizes
// go to the shim's fd 3 as "COLS ROWS" lines.
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { constants as osConstants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import type { StreamIO } from '../types.js';
import { execLaunch, resolveCommand, type ExecContext } from './exec.js';
import { killSession } from './procfs.js';

/** After the command exited, output still arriving keeps the streams open this long past the last byte. */
const IDLE_AFTER_EXIT_MS = 500;
/** A tty exec's shim gets this long to kill the command's session after SIGTERM before it is killed itself. */
const SHIM_STOP_MS = 5_000;
/** How long a tty exec waits for the client's first window size, so the command starts with it. */
const FIRST_SIZE_WAIT_MS = 300;

export async function execStreaming(context: ExecContext, shimPath: string, command: string[], io: StreamIO): Promise<number> {
  const errors = io.tty ? io.stdout : io.stderr;
  const cwd = await fs.stat(context.workingDir).catch(() => undefined);
  if (!cwd?.isDirectory()) {
    return refuse(errors, 126, `exec: the container's workingDir "${context.workingDir}" is not a directory on this node`);
  }
  const resolved = await resolveCommand(command[0] ?? '', context);
  if (!('file' in resolved)) return refuse(errors, resolved.exitCode, resolved.message);
  const launch = await execLaunch(context, resolved.file, command.slice(1));
  const sizes = io.tty ? new WindowSizes(io) : undefined;
  const firstSize = await sizes?.first(FIRST_SIZE_WAIT_MS);
  if (io.signal.aborted) return 130;

  // detached: a session of its own, so everything it starts can be found and killed with it.
  const pty = ['--pty', '3', ...(firstSize ? ['--pty-size', firstSize] : [])];
  const child = io.tty
    ? spawn(shimPath, [...pty, ...(context.enter ? launch.args : ['--', launch.file, ...launch.args])], {
        cwd: launch.cwd,
        env: launch.env,
        detached: true,
        stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
      })
    : spawn(launch.file, launch.args, {
        cwd: launch.cwd,
        env: launch.env,
        detached: true,
        stdio: [io.stdin ? 'pipe' : 'ignore', io.stdout ? 'pipe' : 'ignore', io.stderr ? 'pipe' : 'ignore'],
        argv0: command[0],
      });
  sizes?.sendTo(child.stdio[3] as Writable);
  return relay(child, io);
}

/** The client's window sizes as "COLS ROWS" lines: the first one before the start, then to the shim's fd 3. */
class WindowSizes {
  private latest: string | undefined;
  private target: Writable | undefined;
  private arrived: (() => void) | undefined;

  constructor(io: StreamIO) {
    io.onResize((size) => {
      this.latest = `${Math.trunc(size.width)} ${Math.trunc(size.height)}`;
      if (this.target?.writable) this.target.write(`${this.latest}\n`);
      this.arrived?.();
    });
  }

  /** The size known after at most `ms` (undefined when the client sent none). */
  async first(ms: number): Promise<string | undefined> {
    if (this.latest === undefined) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        this.arrived = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.arrived = undefined;
    }
    return this.latest;
  }

  sendTo(target: Writable): void {
    target.on('error', () => undefined); // the shim is gone
    this.target = target;
  }
}

function relay(child: ChildProcess, io: StreamIO): Promise<number> {
  return new Promise<number>((resolveExit) => {
    const outputs: Array<[Readable | null, Writable | null]> = [
      [child.stdout, io.stdout],
      // The shim's own errors (no pty on this node) before the terminal exists: shown like its output.
      [child.stderr, io.tty ? io.stdout : io.stderr],
    ];
    let lastOutput = Date.now();
    for (const [from, to] of outputs) {
      if (!from) continue;
      if (to) {
        from.on('data', () => (lastOutput = Date.now()));
        from.pipe(to, { end: false });
      } else {
        from.resume();
      }
    }
    if (child.stdin) {
      child.stdin.on('error', () => undefined); // EPIPE: the command stopped reading
      if (io.stdin) io.stdin.pipe(child.stdin);
      else if (!io.tty) child.stdin.end();
    }
    const resize = child.stdio[3] as Writable | null | undefined;

    let exitCode: number | undefined;
    let settled = false;
    let idleTimer: NodeJS.Timeout | undefined;
    let stopTimer: NodeJS.Timeout | undefined;
    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(idleTimer);
      clearTimeout(stopTimer);
      io.signal.removeEventListener('abort', onAbort);
      if (io.stdin && child.stdin) io.stdin.unpipe(child.stdin);
      for (const [from, to] of outputs) {
        if (from && to) from.unpipe(to);
        from?.destroy();
      }
      child.stdin?.destroy();
      resize?.destroy();
      resolveExit(exitCode ?? 137);
    };
    // The client went away: nothing the command started may outlive the session.
    const onAbort = (): void => {
      if (child.pid === undefined) return finish();
      if (io.tty) {
        // The shim kills the command's session (it knows its pid); then it exits.
        signalGroup(child.pid, 'SIGTERM');
        stopTimer = setTimeout(() => {
          if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
        }, SHIM_STOP_MS);
      } else {
        void killSession(child.pid);
      }
    };
    io.signal.addEventListener('abort', onAbort, { once: true });
    if (io.signal.aborted) onAbort();

    child.once('error', (err: NodeJS.ErrnoException) => {
      exitCode = err.code === 'ENOENT' ? 127 : 126;
      const errors = io.tty ? io.stdout : io.stderr;
      errors?.write(`exec: cannot run the command: ${err.message}\n`);
      finish();
    });
    child.once('exit', (code, signal) => {
      exitCode = code ?? 128 + (signal ? (osConstants.signals[signal] ?? 0) : 0);
      // A background process may hold the pipes: wait while output still flows, then let go.
      const checkIdle = (): void => {
        // Held back by a slow client is not idle: what is in the pipes must still reach it.
        if (outputs.some(([from, to]) => from && to && (from.isPaused() || from.readableLength > 0))) lastOutput = Date.now();
        const idle = Date.now() - lastOutput;
        if (idle >= IDLE_AFTER_EXIT_MS) finish();
        else idleTimer = setTimeout(checkIdle, IDLE_AFTER_EXIT_MS - idle);
      };
      lastOutput = Date.now();
      checkIdle();
    });
    child.once('close', finish);
  });
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function refuse(errors: Writable | null, exitCode: number, message: string): number {
  errors?.write(message + '\n');
  return exitCode;
}
