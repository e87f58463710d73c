// Starting berth-shim (shim.c) for one container and waiting for its "started" handshake.
import type { LogRotationPolicy } from '../../logs/index.js';
import type { RunAs } from './host.js';
import { setupArgs, type ContainerSetup } from './security.js';
import type { ContainerTerminal } from './state.js';
import { spawnShim, type SpawnedShim } from './spawner.js';

export interface ShimLaunch {
  shimPath: string;
  stateDir: string;
  logPath: string;
  /** The shim rotates the log itself at this size. */
  logRotation: LogRotationPolicy;
  workingDir: string;
  runAs: RunAs;
  /** command + args, already expanded. */
  argv: string[];
  /** The container's complete environment (also the shim's: execvp resolves with its PATH). */
  env: Record<string, string>;
  /** Security context as the shim applies it. */
  setup: ContainerSetup;
  /** cgroup.procs files the container joins before exec. */
  cgroupProcs: string[];
  /** Its command starts without waiting for the move into the cgroup (a container without limits). */
  cgroupNoWait?: boolean;
  /** memory.oom_control / memory.events: OOM kills in it make the exit reason OOMKilled. */
  oomFile?: string;
  /** The per-container termination message file and where the container sees it. */
  terminationMessage?: { file: string; path: string };
  /** stdin / stdinOnce / tty of the container: kept by the shim for attach clients. */
  terminal?: ContainerTerminal;
}

export interface ShimHandle {
  child: SpawnedShim;
  /** The container's pid and /proc start time once exec succeeded; undefined if the shim exited first. */
  started: Promise<{ pid: number; startTime: number } | undefined>;
}

export function launchShim(launch: ShimLaunch): ShimHandle {
  const args = ['--dir', launch.stateDir, '--log', launch.logPath];
  args.push('--log-max-size', String(launch.logRotation.maxSizeBytes), '--log-max-files', String(launch.logRotation.maxFiles));
  for (const file of launch.cgroupProcs) args.push('--cgroup', file);
  if (launch.cgroupNoWait && launch.cgroupProcs.length > 0) args.push('--cgroup-no-wait');
  if (launch.oomFile) args.push('--oom-file', launch.oomFile);
  if (launch.terminal?.stdin) args.push('--stdin');
  if (launch.terminal?.stdin && launch.terminal.stdinOnce) args.push('--stdin-once');
  if (launch.terminal?.tty) args.push('--tty');
  if (launch.setup.readOnlyRoot) {
    args.push('--ro-root');
    for (const path of launch.setup.writable) args.push('--rw', path);
  }
  for (const path of launch.setup.proc.masked) args.push('--mask', path);
  for (const path of launch.setup.proc.readonly) args.push('--ro', path);
  if (launch.terminationMessage) args.push('--bind', launch.terminationMessage.file, '--to', launch.terminationMessage.path);
  args.push(...identityArgs(launch.runAs, launch.workingDir), ...setupArgs(launch.setup), '--', ...launch.argv);

  // detached: the shim gets its own session, so it (and the container) outlive the agent. Its
  // stdout is a pipe only for the one-line handshake; the shim points it at /dev/null right after.
  // Started by berth-spawner (see spawner.ts): the agent neither forks nor waits for the exec.
  const child = spawnShim(launch.shimPath, args, launch.env);
  return { child, started: child.started };
}

/** The shim options for the user, groups and working dir (the same for the container and an exec). */
export function identityArgs(runAs: RunAs, workingDir: string): string[] {
  const args = ['--cwd', workingDir];
  if (runAs.uid !== undefined) args.push('--uid', String(runAs.uid));
  if (runAs.gid !== undefined) args.push('--gid', String(runAs.gid));
  if (runAs.supplementalGroups.length > 0) args.push('--groups', runAs.supplementalGroups.join(','));
  return args;
}
