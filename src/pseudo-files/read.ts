// Reading the kernel's pseudo-files (/proc, cgroupfs). They report a size of 0, so Node's readFile
// reads them in 64 KiB buffers, one per file and call; a stats sweep of a node with 2000 two-
// container pods reads some 8000 of them at once, and those buffers alone took the agent's RSS up
// by hundreds of MB. These files are small (a /proc/<pid>/stat line is under 1 KiB): a 4 KiB
// buffer reads nearly all in one read; a larger one grows as needed.
import { open } from 'node:fs/promises';

const FIRST_BUFFER = 4096;
/** Longer than any file this is meant for; a longer one is cut here rather than read whole. */
const MAX_BYTES = 1 << 20;

/** The file's text (UTF-8), read with a small buffer. Rejects as fs.readFile does (ENOENT, ...). */
export async function readPseudoFile(path: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    let buffer = Buffer.allocUnsafe(FIRST_BUFFER);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length < buffer.length) continue;
      if (buffer.length >= MAX_BYTES) break;
      const bigger = Buffer.allocUnsafe(buffer.length * 4);
      buffer.copy(bigger, 0, 0, length);
      buffer = bigger;
    }
    return buffer.toString('utf8', 0, length);
  } finally {
    await handle.close();
  }
}
