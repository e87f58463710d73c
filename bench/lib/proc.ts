// Reads what the kernel says about a process (/proc), so resource numbers come from outside the
// agent rather than from its own accounting.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second for /proc/PID/stat times (USER_HZ); 100 on every mainstream Linux. */
export function clockTicksPerSecond(): number {
  const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(out.stdout?.trim());
  return Number.isInteger(n) && n > 0 ? n : 100;
}

function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).trim().split(/\s+/);
}

/** utime + stime of the whole thread group, in clock ticks (fields 14 and 15 of /proc/PID/stat). */
export function cpuTicks(pid: number): number {
  const f = statFields(pid); // f[0] is field 3 (state)
  return Number(f[11]) + Number(f[12]);
}

/** A kB value ("VmRSS", "VmHWM", ...) from /proc/PID/status. */
export function statusKb(pid: number, key: string): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`^${key}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
  if (!m) throw new Error(`/proc/${pid}/status has no ${key} line`);
  return Number(m[1]);
}

/** True while the process exists and has not died (a zombie waiting to be reaped counts as gone). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return statFields(pid)[0] !== 'Z';
  } catch {
    return false;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Polls (every ~1 ms: setTimeout's floor) until the process is gone; resolves with
 * performance.now() of the first poll that saw it gone.
 */
export async function waitGone(pid: number, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (!processAlive(pid)) return performance.now();
    if (performance.now() > deadline) throw new Error(`process ${pid} still running after ${timeoutMs} ms`);
    await sleep(1);
  }
}
