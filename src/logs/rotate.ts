// Rotating one container attempt's log as the kubelet's container log manager does
// (pkg/kubelet/logs/container_log_manager.go): drop leftovers of interrupted compressions, remove
// the oldest rotated files beyond the policy, compress every rotated file but the newest, and —
// when the runtime only reopens on request (CRI) — rename the live file and ask the runtime to
// reopen it, renaming it back when the runtime could not.
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { COMPRESSED_SUFFIX, TEMP_SUFFIX, rotatedLogs, rotatedName, tempLogs, type RotatedLog } from './files.js';
import type { LogRotationPolicy } from './policy.js';

/** Removes the oldest rotated files so that at most `keep` remain; returns those kept (oldest first). */
async function removeExcess(rotated: RotatedLog[], keep: number): Promise<RotatedLog[]> {
  const excess = Math.max(0, rotated.length - Math.max(0, keep));
  // Oldest first, so that a `kubectl logs` reading the newer files is not cut.
  for (const old of rotated.slice(0, excess)) await fs.rm(old.path, { force: true });
  return rotated.slice(excess);
}

/** gzip `path` to `path.gz` (through `path.gz.tmp`), then removes `path`. */
export async function compressLog(path: string): Promise<void> {
  const target = path + COMPRESSED_SUFFIX;
  const temp = target + TEMP_SUFFIX;
  try {
    await pipeline(createReadStream(path), createGzip(), createWriteStream(temp));
    await fs.rename(temp, target);
  } catch (err) {
    await fs.rm(temp, { force: true });
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // pruned meanwhile by its writer
    throw err;
  }
  // The writer may have pruned the original while it was being compressed: then it is gone for good.
  const stillThere = await fs.rm(path).then(
    () => true,
    () => false,
  );
  if (!stillThere) await fs.rm(target, { force: true });
}

/**
 * Housekeeping of rotated files, for every runtime: the newest rotated file stays plain (a
 * follower may still be reading it, and `--tail` reads it), older ones are compressed, at most
 * `keepRotated` are kept.
 */
async function tidy(logPath: string, keepRotated: number): Promise<void> {
  for (const temp of await tempLogs(logPath)) await fs.rm(temp, { force: true });
  let rotated = await rotatedLogs(logPath);
  // A plain file whose compressed copy exists was being compressed when the agent stopped.
  const names = new Set(rotated.map((r) => r.path));
  for (const r of rotated) if (!r.compressed && names.has(r.path + COMPRESSED_SUFFIX)) await fs.rm(r.path, { force: true });
  rotated = await removeExcess(await rotatedLogs(logPath), keepRotated);
  for (const r of rotated.slice(0, -1)) if (!r.compressed) await compressLog(r.path);
}

/** For a writer that rotates its own file (process shim, Docker log copier): compress and prune only. */
export async function tidyRotatedLogs(logPath: string, policy: LogRotationPolicy): Promise<void> {
  await tidy(logPath, policy.maxFiles - 1);
}

/**
 * For a runtime that reopens on request (containerd): when the live file has reached the maximum
 * size (or is missing), rotate it and ask the runtime to reopen. Returns the rotated file's path,
 * or undefined when nothing was rotated.
 */
export async function rotateIfFull(
  logPath: string,
  policy: LogRotationPolicy,
  reopen: () => Promise<void>,
  now: () => Date = () => new Date(),
): Promise<string | undefined> {
  const size = await fs.stat(logPath).then(
    (s) => s.size,
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    },
  );
  if (size === undefined) {
    // The runtime lost the file (removed by hand, or a rename was interrupted): have it recreated.
    await reopen();
    return undefined;
  }
  if (size < policy.maxSizeBytes) return undefined;
  // The live file and the one about to be rotated count too: keep maxFiles-2 older ones.
  await tidy(logPath, policy.maxFiles - 2);
  const rotated = await rotatedName(logPath, now());
  // The newest rotated file becomes the second newest: compress it now, as the kubelet does.
  const previous = (await rotatedLogs(logPath)).at(-1);
  if (previous && !previous.compressed) await compressLog(previous.path);
  await fs.rename(logPath, rotated);
  try {
    await reopen();
  } catch (err) {
    // Put it back so the next pass can try again; the runtime still writes to it.
    await fs.rename(rotated, logPath).catch(() => undefined);
    throw err;
  }
  return rotated;
}
