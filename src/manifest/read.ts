// Reading one manifest file safely: never throws, never blocks on a FIFO, never reads more than the
// size limit, and says in plain words why a path in the manifest directory is not a usable file.
import { constants, promises as fs, type Stats } from 'node:fs';
import type { ManifestProblem } from './problem.js';
import { tooLargeProblem } from './decode.js';
import { decodePodManifestOffThread } from './off-thread.js';
import { MAX_MANIFEST_BYTES, type DecodeResult, type StaticIdentity } from './types.js';

function failed(origin: string, message: string, fix: string): DecodeResult {
  const problem: ManifestProblem = { origin, field: '', message, fix, reason: 'FailedToParse' };
  return { pods: [], problems: [problem], warnings: [] };
}

function errorCode(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
}

/** The problem for a failed fs call on the manifest path. */
function fsProblem(path: string, origin: string, err: unknown): DecodeResult {
  switch (errorCode(err)) {
    case 'ENOENT':
      return failed(origin, 'does not exist (it was removed while being read)', 'nothing to do if the file was removed on purpose; otherwise recreate it');
    case 'EACCES':
    case 'EPERM':
      return failed(origin, 'cannot be read: permission denied', `make the file readable by Berth, e.g. chmod 0644 ${path}`);
    case 'ELOOP':
      return failed(origin, 'is a symlink loop', 'point the symlink at a real manifest file');
    case 'EISDIR':
      return failed(origin, 'is a directory, not a manifest file', 'move the directory out of the manifest directory (subdirectories are not read)');
    default:
      return failed(origin, `cannot be read: ${(err as Error)?.message ?? String(err)}`, 'check the file and the file system it is on');
  }
}

/**
 * Looks at a manifest's bytes before they are decoded (trust checks: owner, mode, signature).
 * `stats` is the fstat of the very file that was read. A problem refuses the manifest.
 */
export type ManifestGate = (file: { path: string; stats: Stats; content: Buffer }) => Promise<ManifestProblem | undefined>;

/** Reads a manifest file safely and decodes it with decodePodManifest (off the main thread when large). Never throws. */
export async function readPodManifestFile(path: string, identity: StaticIdentity, gate?: ManifestGate): Promise<DecodeResult> {
  const origin = identity.origin;
  try {
    let link;
    try {
      link = await fs.lstat(path);
    } catch (err) {
      return fsProblem(path, origin, err);
    }
    if (link.isSymbolicLink()) {
      try {
        await fs.stat(path);
      } catch (err) {
        if (errorCode(err) === 'ENOENT') {
          const to = await fs.readlink(path).catch(() => '?');
          return failed(origin, `is a symlink whose target does not exist (${to})`, 'fix or remove the dangling symlink');
        }
        return fsProblem(path, origin, err);
      }
    }
    // O_NONBLOCK: if the path was swapped for a FIFO after the checks, open must not hang.
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (err) {
      return fsProblem(path, origin, err);
    }
    try {
      // fstat on the open handle is authoritative (no race with the earlier lstat/stat).
      const st = await handle.stat();
      if (st.isDirectory()) {
        return failed(origin, 'is a directory, not a manifest file', 'move the directory out of the manifest directory (subdirectories are not read)');
      }
      if (!st.isFile()) {
        return failed(origin, 'is not a regular file (a device, FIFO or socket)', 'put only regular manifest files in the manifest directory');
      }
      if (st.size > MAX_MANIFEST_BYTES) return { pods: [], problems: [tooLargeProblem(origin, st.size)], warnings: [] };
      const content = await readCapped(handle, st.size, origin);
      const refused = gate ? await gate({ path, stats: st, content }) : undefined;
      if (refused) return { pods: [], problems: [refused], warnings: [] };
      return await decodePodManifestOffThread(content, identity);
    } finally {
      await handle.close().catch(() => undefined);
    }
  } catch (err) {
    if (err instanceof TooLarge) return { pods: [], problems: [tooLargeProblem(origin, 'grew')], warnings: [] };
    return fsProblem(path, origin, err);
  }
}

class TooLarge extends Error {}

/**
 * Reads the whole file but never more than the limit + 1 bytes, so a file that grows after the
 * size check is still refused instead of being read without bound.
 */
async function readCapped(handle: fs.FileHandle, expected: number, origin: string): Promise<Buffer> {
  let buf = Buffer.alloc(Math.min(expected, MAX_MANIFEST_BYTES) + 1);
  let length = 0;
  for (;;) {
    if (length === buf.length) {
      if (length > MAX_MANIFEST_BYTES) throw new TooLarge(origin);
      const bigger = Buffer.alloc(Math.min(buf.length * 2, MAX_MANIFEST_BYTES + 1));
      buf.copy(bigger, 0, 0, length);
      buf = bigger;
    }
    const { bytesRead } = await handle.read(buf, length, buf.length - length, length);
    if (bytesRead === 0) return buf.subarray(0, length);
    length += bytesRead;
  }
}
