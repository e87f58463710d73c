// Small persistent state under --root-dir. Every write is atomic (temp file, fsync, rename), so a
// kill -9 of the agent at any moment leaves either the old or the new content, never half of it.
import { promises as fs, openSync, writeSync, fsyncSync, closeSync, renameSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';

let tmpCounter = 0;

function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${tmpCounter++}.tmp`);
}

export async function writeFileAtomic(path: string, data: string | Buffer, mode = 0o644): Promise<void> {
  await fs.mkdir(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  const handle = await fs.open(tmp, 'w', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(tmp, path);
}

/** Synchronous twin for the few places that must not yield (shutdown paths). */
export function writeFileAtomicSync(path: string, data: string | Buffer, mode = 0o644): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  const fd = openSync(tmp, 'w', mode);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** Reads a JSON file written by writeFileAtomic; undefined when it does not exist or is unreadable. */
export async function readJsonFile<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fs.readFile(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export function readJsonFileSync<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}
