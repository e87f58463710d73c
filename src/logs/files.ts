// The files of one container attempt's log: the live `<n>.log` and its rotated predecessors
// `<n>.log.<UTC yyyymmdd-hhmmss>[-kkk][.gz]` beside it, as the kubelet names them (plus a
// zero-padded `-kkk` counter when rotations fall in the same second, so that none has to wait
// and the names still sort oldest first).
import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export const COMPRESSED_SUFFIX = '.gz';
export const TEMP_SUFFIX = '.tmp';

export interface RotatedLog {
  path: string;
  compressed: boolean;
}

/** The sort key of a rotated file: its name without `.gz`, so compressing a file keeps its place. */
function orderKey(name: string): string {
  return name.endsWith(COMPRESSED_SUFFIX) ? name.slice(0, -COMPRESSED_SUFFIX.length) : name;
}

/** Rotated files of `logPath`, oldest first; half-written compressions (`.tmp`) are left out. */
export async function rotatedLogs(logPath: string): Promise<RotatedLog[]> {
  const dir = dirname(logPath);
  const prefix = basename(logPath) + '.';
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  return names
    .filter((n) => n.startsWith(prefix) && !n.endsWith(TEMP_SUFFIX))
    .sort((a, b) => (orderKey(a) < orderKey(b) ? -1 : orderKey(a) > orderKey(b) ? 1 : 0))
    .map((n) => ({ path: join(dir, n), compressed: n.endsWith(COMPRESSED_SUFFIX) }));
}

/** Leftovers of an interrupted compression: `*.tmp` beside the log. */
export async function tempLogs(logPath: string): Promise<string[]> {
  const dir = dirname(logPath);
  const prefix = basename(logPath) + '.';
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  return names.filter((n) => n.startsWith(prefix) && n.endsWith(TEMP_SUFFIX)).map((n) => join(dir, n));
}

/** `20261202-063012` for a UTC instant: the kubelet's rotated-file timestamp (in UTC here, so names sort across time zones). */
export function rotationStamp(at: Date): string {
  const iso = at.toISOString(); // 2026-12-02T06:30:12.345Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
}

/** A free name for the file rotated now: `<log>.<stamp>`, else `<log>.<stamp>-002`, `-003`, ... */
export async function rotatedName(logPath: string, at: Date): Promise<string> {
  const base = `${logPath}.${rotationStamp(at)}`;
  for (let k = 1; ; k++) {
    const candidate = k === 1 ? base : `${base}-${String(k).padStart(3, '0')}`;
    const taken = await Promise.any([fs.access(candidate), fs.access(candidate + COMPRESSED_SUFFIX)]).then(
      () => true,
      () => false,
    );
    if (!taken) return candidate;
  }
}
