// The on-disk state of one container: <rootDir>/containers/<id>/
//   meta.json  written by the runtime (atomically): identity, log path, then pid once started
//   pid        written by the shim once it forked the container (see shim.c)
//   exit       written by the shim when the container exited (or by the runtime when the exit code
//              was lost: container and shim both gone without an exit record)
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { readJsonFile } from '../../state/index.js';
import type { ContainerCgroup } from '../../cgroups/index.js';
import type { ContainerRecord } from '../types.js';
import type { ContainerSetup } from './security.js';
import type { RunAs } from './host.js';

export interface ContainerMeta {
  id: string;
  podUid: string;
  podName: string;
  podNamespace: string;
  containerName: string;
  attempt: number;
  createdAt: string;
  logPath: string;
  command: string[];
  /** What a command exec'd into the container inherits: the start path's user, groups, env, working dir. */
  exec?: { runAs: RunAs; env: Record<string, string>; workingDir: string };
  /** The security context as the shim applied it (an exec gets the same). */
  setup?: ContainerSetup;
  /** The container's cgroup, when cgroups are usable. */
  cgroup?: ContainerCgroup;
  /**
   * Its command started without waiting for the move into the cgroup (no limits): memory it
   * touched before the move is charged elsewhere, so the cgroup's figure can be short.
   */
  cgroupJoinedLate?: boolean;
  /** The host file the container sees at its terminationMessagePath, and the container's policy. */
  terminationMessageFile?: string;
  terminationMessagePolicy?: string;
  gracePeriodSeconds?: number;
  /** The container's stdin, stdinOnce and tty: its shim keeps them for attach clients. */
  terminal?: ContainerTerminal;
  // Where the container runs (its pid, the shim's pid, when it started) is the shim's pid file,
  // not meta.json: meta.json is written once, before the shim starts (a rewrite after the start
  // costs a new inode per container, which a journal-less ext4 makes slow to allocate in bulk).
}

export interface ContainerTerminal {
  stdin: boolean;
  stdinOnce: boolean;
  tty: boolean;
}

export interface PidFile {
  pid: number;
  startTime: number;
  shimPid: number;
  shimStartTime: number;
  startedAt: string;
}

export interface ExitFile {
  /** null when the exit code could not be known. */
  exitCode: number | null;
  signal: number;
  finishedAt: string;
  /** Set by the shim when the command could not be started (exec, chdir, setuid failed). */
  startError?: boolean;
  message?: string;
  /** Set by the runtime for lost exits: 'Unknown'; by the shim for OOM kills: 'OOMKilled'. */
  reason?: string;
  /** Set by the runtime once it read the termination message and removed the cgroup. */
  finalized?: boolean;
}

export class StateDir {
  /**
   * meta.json of each container, as last written or read: only this agent writes it, and it is
   * read for every look at a container (each stop, exit, stats sweep). With 2000 two-container
   * pods removed at once, reading it again each time was a large share of the agent's garbage.
   */
  private readonly metas = new Map<string, ContainerMeta>();
  /** The same for the shim's pid file (written once, when the container has started)... */
  private readonly pids = new Map<string, PidFile>();
  /** ...and for exit records that will not change again (finalized, or a start failure). */
  private readonly exits = new Map<string, ExitFile>();

  constructor(readonly root: string) {}

  containersDir(): string {
    return join(this.root, 'containers');
  }

  dir(id: string): string {
    return join(this.root, 'containers', id);
  }

  async ids(): Promise<string[]> {
    try {
      const entries = await fs.readdir(this.containersDir(), { withFileTypes: true });
      return entries.filter((e) => e.isDirectory() && /^[0-9a-f]+$/.test(e.name)).map((e) => e.name);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  /** The container's meta; treat it as read-only (it is shared with later readers). */
  readMeta(id: string): Promise<ContainerMeta | undefined> {
    return this.readKept(this.metas, id, 'meta.json');
  }

  readPid(id: string): Promise<PidFile | undefined> {
    return this.readKept(this.pids, id, 'pid');
  }

  readExit(id: string): Promise<ExitFile | undefined> {
    return this.readKept(this.exits, id, 'exit', isFinal);
  }

  /** The shim's count of log lines it could not write (full disk); undefined when none were lost. */
  readLogDrops(id: string): Promise<{ lines: number; bytes: number; failing: boolean } | undefined> {
    return readJsonFile(join(this.dir(id), 'logdrop'));
  }

  /** Owner-only: it holds the container's environment (env values may be secrets). */
  async writeMeta(meta: ContainerMeta): Promise<void> {
    const json = JSON.stringify(meta);
    await writeQuick(join(this.dir(meta.id), 'meta.json'), json + '\n', 0o600);
    // A copy: the writer may go on changing its object before it writes it again.
    this.metas.set(meta.id, JSON.parse(json) as ContainerMeta);
  }

  async writeExit(id: string, exit: ExitFile): Promise<void> {
    const json = JSON.stringify(exit);
    await writeQuick(join(this.dir(id), 'exit'), json + '\n');
    if (isFinal(exit)) this.exits.set(id, JSON.parse(json) as ExitFile);
    else this.exits.delete(id);
  }

  /** Remembers `exit` as the container's final record without writing it (the file on disk says the same but for the flag). */
  keepExit(id: string, exit: ExitFile): void {
    if (isFinal(exit)) this.exits.set(id, exit);
  }

  async remove(id: string): Promise<void> {
    this.metas.delete(id);
    this.pids.delete(id);
    this.exits.delete(id);
    await fs.rm(this.dir(id), { recursive: true, force: true });
  }

  /** One of the container's files, from `kept` when known; kept from now on when `keep` says so. */
  private async readKept<T>(kept: Map<string, T>, id: string, file: string, keep: (value: T) => boolean = () => true): Promise<T | undefined> {
    const known = kept.get(id);
    if (known) return known;
    const value = await readJsonFile<T>(join(this.dir(id), file));
    if (value && keep(value)) kept.set(id, value);
    return value;
  }
}

/** An exit record nobody rewrites any more: finalized by the agent, or a start that failed. */
function isFinal(exit: ExitFile): boolean {
  return exit.finalized === true || exit.startError === true;
}

let counter = 0;

/**
 * Temp file + rename, without fsync: these files must survive an agent crash (they do: the kernel
 * has the data), not a power loss, after which no container is running anyway. Keeps the container
 * start path free of disk flushes.
 */
async function writeQuick(path: string, data: string, mode = 0o644): Promise<void> {
  const tmp = `${path}.${process.pid}.${counter++}.tmp`;
  await fs.writeFile(tmp, data, { mode });
  await fs.rename(tmp, path);
}

/** The record of an exited container from its exit file. */
export function exitedRecord(base: ContainerRecord, exit: ExitFile): ContainerRecord {
  const record: ContainerRecord = { ...base, state: 'exited', finishedAt: exit.finishedAt };
  if (exit.exitCode !== null) record.exitCode = exit.exitCode;
  record.reason = exit.reason ?? (exit.startError ? 'StartError' : exit.exitCode === 0 ? 'Completed' : 'Error');
  if (exit.message !== undefined) record.message = exit.message;
  return record;
}

export function baseRecord(meta: ContainerMeta): ContainerRecord {
  const record: ContainerRecord = {
    id: meta.id,
    podUid: meta.podUid,
    podName: meta.podName,
    podNamespace: meta.podNamespace,
    containerName: meta.containerName,
    attempt: meta.attempt,
    state: 'created',
    createdAt: meta.createdAt,
    logPath: meta.logPath,
  };
  if (meta.gracePeriodSeconds !== undefined) record.gracePeriodSeconds = meta.gracePeriodSeconds;
  return record;
}
