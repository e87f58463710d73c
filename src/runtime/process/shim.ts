// Starting berth-shim (shim.c) for one container and waiting for its "started" handshake.
import { spawn, type ChildProcess } from 'node:child_process';
import type { RunAs } from './host.js';

export interface ShimLaunch {
  shimPath: string;
  stateDir: string;
  logPath: string;
  workingDir: string;
  runAs: RunAs;
  /** command + args, already expanded. */
  argv: string[];
  /** The container's complete environment (also the shim's: execvp resolves with its PATH). */
  env: Record<string, string>;
}

export interface ShimHandle {
  child: ChildProcess;
  /** The container's pid and /proc start time once exec succeeded; undefined if the shim exited first. */
  started: Promise<{ pid: number; startTime: number } | undefined>;
}

export function launchShim(launch: ShimLaunch): ShimHandle {
  const args = ['--dir', launch.stateDir, '--log', launch.logPath, '--cwd', launch.workingDir];
  if (launch.runAs.uid !== undefined) args.push('--uid', String(launch.runAs.uid));
  if (launch.runAs.gid !== undefined) args.push('--gid', String(launch.runAs.gid));
  if (launch.runAs.supplementalGroups.length > 0) args.push('--groups', launch.runAs.supplementalGroups.join(','));
  args.push('--', ...launch.argv);

  // detached: the shim gets its own session, so it (and the container) outlive the agent. Its
  // stdout is a pipe only for the one-line handshake; the shim points it at /dev/null right after.
  const child = spawn(launch.shimPath, args, {
    detached: true,
    stdio: ['ignore', 'pipe', 'ignore'],
    env: launch.env,
  });
  const started = new Promise<{ pid: number; startTime: number } | undefined>((resolve, reject) => {
    let text = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      text += chunk;
      const m = /^(\d+) (\d+)\n/.exec(text);
      if (m) resolve({ pid: Number(m[1]), startTime: Number(m[2]) });
    });
    child.once('error', reject);
    // 'close' comes after the exit AND the end of stdout, so a handshake is never missed.
    child.once('close', () => resolve(undefined));
  });
  return { child, started };
}
