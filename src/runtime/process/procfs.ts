// Just enough of /proc/<pid>/stat to tell whether a recorded process is still the same process:
// pids are reused, so a pid is only "ours" while its start time (field 22) matches the recorded one.
import { readFile } from 'node:fs/promises';

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
    return parseProcStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
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
