// Just enough of /proc/<pid>/stat to tell whether a recorded process is still the same process:
// pids are reused, so a pid is only "ours" while its start time (field 22) matches the recorded one.
import { readdir } from 'node:fs/promises';
import { mapLimited, PROC_SWEEP_FILES_IN_FLIGHT, readPseudoFile } from '../../pseudo-files/index.js';

export interface ProcStat {
  /** Field 3: R, S, D, Z (zombie), X (dead), ... */
  state: string;
  /** Field 22: start time in clock ticks since boot. */
  startTime: number;
  /** Field 52 (Linux >= 3.5): the wait status of a zombie, undefined otherwise. */
  waitStatus?: number;
}

export function parseProcStat(text: string): ProcStat | undefined {
  // The command name (field 2) is in parentheses and may itself contain spaces and ')'.
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = text.slice(close + 2).trim().split(' ');
  const state = fields[0];
  const startTime = Number(fields[19]);
  if (!state || !Number.isFinite(startTime)) return undefined;
  const stat: ProcStat = { state, startTime };
  if (state === 'Z' && fields[49] !== undefined) stat.waitStatus = Number(fields[49]);
  return stat;
}

export async function readProcStat(pid: number): Promise<ProcStat | undefined> {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    return parseProcStat(await readPseudoFile(`/proc/${pid}/stat`));
  } catch {
    return undefined;
  }
}

/** True while `pid` is the process that started at `startTime` and has not exited (zombies have). */
export async function isRunning(pid: number, startTime: number): Promise<boolean> {
  const stat = await readProcStat(pid);
  return stat !== undefined && stat.startTime === startTime && stat.state !== 'Z' && stat.state !== 'X';
}

/** A wait(2) status as containerd reports it: the exit code, or 128 + the signal number. */
export function exitCodeOfWaitStatus(status: number): number {
  const signal = status & 0x7f;
  return signal === 0 ? (status >> 8) & 0xff : 128 + signal;
}

/** The fields of /proc/<pid>/stat that exec cleanup and the /proc-based stats need. */
export interface ProcEntry {
  pid: number;
  state: string;
  /** Fields 5 and 6: process group and session. */
  pgrp: number;
  session: number;
  /** Fields 14 and 15: CPU time in clock ticks (USER_HZ). */
  utime: number;
  stime: number;
}

/** Linux reports CPU times in USER_HZ ticks, which is 100 on every architecture it runs on. */
export const NS_PER_TICK = 1e9 / 100;

export function parseProcEntry(pid: number, text: string): ProcEntry | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const f = text.slice(close + 2).trim().split(' ');
  const entry = { pid, state: f[0] ?? '', pgrp: Number(f[2]), session: Number(f[3]), utime: Number(f[11]), stime: Number(f[12]) };
  return Number.isFinite(entry.pgrp) && Number.isFinite(entry.session) ? entry : undefined;
}


/** Every process that can be read now (processes that vanish while reading are skipped). */
export async function listProcesses(): Promise<ProcEntry[]> {
  const names = await readdir('/proc').catch(() => [] as string[]);
  const entries = await mapLimited(
    names.filter((name) => /^\d+$/.test(name)),
    PROC_SWEEP_FILES_IN_FLIGHT,
    async (name) => {
      const text = await readPseudoFile(`/proc/${name}/stat`).catch(() => undefined);
      return text === undefined ? undefined : parseProcEntry(Number(name), text);
    },
  );
  return entries.filter((e): e is ProcEntry => e !== undefined);
}

/** A listing of every process, and when it was taken. */
export interface ProcessSnapshot {
  /** Wall clock (ms) when the listing started. */
  takenAt: number;
  processes: ProcEntry[];
}

let shared: { startedAt: number; listing: Promise<ProcessSnapshot> } | undefined;

/**
 * One listing of /proc shared by every caller within `maxAgeMs` of when it was started. The stats
 * sweep asks for each container of the node in turn; listing /proc for each one read every
 * process's stat file once per container (100 pods: some 40 000 reads per sweep, most of a core).
 */
export function sharedProcessList(maxAgeMs = 1000): Promise<ProcessSnapshot> {
  const now = Date.now();
  if (shared && now - shared.startedAt < maxAgeMs) return shared.listing;
  const listing = listProcesses().then((processes) => ({ takenAt: now, processes }));
  shared = { startedAt: now, listing };
  return listing;
}

/**
 * SIGKILL to every live process of session `sid` until none is left: a command's descendants
 * keep its session even when they leave its process group (a shell's jobs do).
 */
export async function killSession(sid: number, rounds = 50): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    const members = (await listProcesses()).filter((p) => p.session === sid && p.state !== 'Z' && p.state !== 'X');
    if (members.length === 0) return;
    for (const member of members) {
      try {
        process.kill(member.pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
