// Running a command inside a process-runtime container (exec probes and exec hooks here; `kubectl
// exec` in exec-stream.ts): the same user, groups, environment and working dir the container's own
// process got, in a process group of its own that is killed as a whole at the timeout.
//
// `execLaunch` turns an ExecContext into the argv that is spawned: `berth-shim --enter` when the
// container has a namespace, cgroup or security setup to enter (containerExecContext fills
// `enter`), else setpriv for the credentials alone (Node's spawn cannot keep supplementary groups:
// it clears them whenever uid/gid are given).
import { spawn } from 'node:child_process';
import { constants as fsConstants, promises as fs } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import type { ExecSyncResult } from '../types.js';
import { DEFAULT_PATH, type RunAs } from './host.js';

/** Everything an exec'd process inherits from its container; recorded in meta.json at start. */
export interface ExecContext {
  runAs: RunAs;
  /** The container's complete environment (as its own process got it). */
  env: Record<string, string>;
  workingDir: string;
  /** The container's main process (for entering its cgroup / namespaces). */
  pid: number;
  /** berth-shim and its --enter options that put the command in the container's namespace, cgroup and security context. */
  enter?: { shimPath: string; args: string[] };
}

export interface ExecLaunch {
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
}

/**
 * Output kept per stream: a runaway command must not grow the agent without bound. The kubelet
 * reads at most 10 KiB of an exec probe's output; this is far above that and above any hook's needs.
 */
export const EXEC_OUTPUT_LIMIT = 16 * 1024 * 1024;
/** After the command exited, how long its output may still drain (a background child may hold the pipes). */
const DRAIN_AFTER_EXIT_MS = 200;

const SETPRIV_CANDIDATES = ['/usr/bin/setpriv', '/bin/setpriv', '/usr/sbin/setpriv', '/sbin/setpriv'];
let setprivPath: Promise<string | undefined> | undefined;

function findSetpriv(): Promise<string | undefined> {
  setprivPath ??= (async () => {
    for (const candidate of SETPRIV_CANDIDATES) {
      if (await isExecutableFile(candidate)) return candidate;
    }
    return undefined;
  })();
  return setprivPath;
}

/**
 * The argv that runs `command` (already resolved to a file) with the container's context.
 * Credentials are applied exactly as berth-shim applies them to the container: supplementary
 * groups only when the pod sets supplementalGroups, then gid, then uid.
 */
export async function execLaunch(context: ExecContext, file: string, args: string[]): Promise<ExecLaunch> {
  const { uid, gid, supplementalGroups } = context.runAs;
  const base = { env: context.env, cwd: context.workingDir };
  if (context.enter) return { file: context.enter.shimPath, args: [...context.enter.args, '--', file, ...args], ...base };
  if (uid === undefined && gid === undefined && supplementalGroups.length === 0) {
    return { file, args, ...base };
  }
  const setpriv = await findSetpriv();
  if (!setpriv) {
    throw new Error(
      'running a command as the container\'s user needs setpriv (util-linux), which is not installed on this node; ' +
        'install util-linux',
    );
  }
  const wrapper: string[] = [];
  if (uid !== undefined) wrapper.push(`--reuid=${uid}`);
  if (gid !== undefined) wrapper.push(`--regid=${gid}`);
  // The same groups as the container's shim gives it: as root, none beyond the listed ones.
  wrapper.push(supplementalGroups.length > 0 ? `--groups=${supplementalGroups.join(',')}` : process.getuid?.() === 0 ? '--clear-groups' : '--keep-groups');
  return { file: setpriv, args: [...wrapper, '--', file, ...args], ...base };
}

type Resolved = { file: string } | { exitCode: 126 | 127; message: string };

/** Resolves argv[0] as execvp would with the container's PATH and working dir; 127/126 as a shell. */
export async function resolveCommand(name: string, context: ExecContext): Promise<Resolved> {
  if (name === '') return { exitCode: 127, message: 'exec: empty command name' };
  const candidates = name.includes('/')
    ? [resolve(context.workingDir, name)]
    : (context.env.PATH ?? DEFAULT_PATH)
        .split(delimiter)
        .map((dir) => join(isAbsolute(dir) ? dir : resolve(context.workingDir, dir || '.'), name));
  let foundButNotExecutable: string | undefined;
  for (const candidate of candidates) {
    const stat = await fs.stat(candidate).catch(() => undefined);
    if (!stat) continue;
    if (stat.isFile() && (await isExecutableFile(candidate))) return { file: candidate };
    foundButNotExecutable ??= candidate;
  }
  if (foundButNotExecutable) {
    return { exitCode: 126, message: `exec: "${name}": ${foundButNotExecutable} is not an executable file (permission denied)` };
  }
  return name.includes('/')
    ? { exitCode: 127, message: `exec: "${name}": no such file or directory` }
    : { exitCode: 127, message: `exec: "${name}": executable file not found in $PATH (${context.env.PATH ?? DEFAULT_PATH})` };
}

/** Runs `command` with the container's context; never throws for a command that cannot run. */
export async function runInContainer(context: ExecContext, command: string[], timeoutMs: number): Promise<ExecSyncResult> {
  const cwd = await fs.stat(context.workingDir).catch(() => undefined);
  if (!cwd?.isDirectory()) {
    return failed(126, `exec: the container's workingDir "${context.workingDir}" is not a directory on this node`);
  }
  const resolved = await resolveCommand(command[0] ?? '', context);
  if (!('file' in resolved)) return failed(resolved.exitCode, resolved.message);
  const launch = await execLaunch(context, resolved.file, command.slice(1));

  return new Promise<ExecSyncResult>((resolveResult) => {
    // detached: a session and process group of its own, so the timeout kills everything it started.
    const child = spawn(launch.file, launch.args, {
      cwd: launch.cwd,
      env: launch.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      argv0: command[0],
    });
    const stdout = new Collector();
    const stderr = new Collector();
    child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));

    let timedOut = false;
    let exitCode: number | undefined;
    let settled = false;
    const killGroup = (): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // the group is already gone
      }
    };
    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(drainTimer);
      child.stdout!.destroy();
      child.stderr!.destroy();
      resolveResult({
        exitCode: timedOut ? -1 : (exitCode ?? -1),
        stdout: stdout.buffer(),
        stderr: stderr.buffer(),
        timedOut,
      });
    };
    let drainTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
      // 'close' follows once the pipes are shut; do not wait on a child that escaped the group.
      drainTimer = setTimeout(finish, DRAIN_AFTER_EXIT_MS);
    }, Math.max(0, timeoutMs));

    child.once('error', (err: NodeJS.ErrnoException) => {
      exitCode = err.code === 'ENOENT' ? 127 : 126;
      stderr.push(Buffer.from(`exec: "${command[0]}": ${err.message}\n`));
      finish();
    });
    child.once('exit', (code, signal) => {
      exitCode = code ?? 128 + signalNumber(signal);
      if (!timedOut) drainTimer = setTimeout(finish, DRAIN_AFTER_EXIT_MS);
    });
    child.once('close', finish);
  });
}

function failed(exitCode: number, message: string): ExecSyncResult {
  return { exitCode, stdout: Buffer.alloc(0), stderr: Buffer.from(message + '\n'), timedOut: false };
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    await fs.access(path, fsConstants.X_OK);
    return (await fs.stat(path)).isFile();
  } catch {
    return false;
  }
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal ? (osConstants.signals[signal] ?? 0) : 0;
}

/** Keeps up to EXEC_OUTPUT_LIMIT bytes of one stream. */
class Collector {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  push(chunk: Buffer): void {
    if (this.size >= EXEC_OUTPUT_LIMIT) return;
    const part = chunk.length > EXEC_OUTPUT_LIMIT - this.size ? chunk.subarray(0, EXEC_OUTPUT_LIMIT - this.size) : chunk;
    this.chunks.push(part);
    this.size += part.length;
  }
  buffer(): Buffer {
    return Buffer.concat(this.chunks, this.size);
  }
}
