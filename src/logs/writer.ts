// A CRI log file written by the agent itself (the Docker/Podman log copier), rotated by its writer
// at the size limit: the live file is renamed and a new one started before the line that would
// pass the limit, and the oldest rotated files removed, so the disk never holds more than
// maxFiles * maxSize whatever the container prints. When a write fails (full disk, read-only,
// quota) the lines are dropped and counted instead of failing the copy, and writing resumes by
// itself when space returns.
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { rotatedLogs, rotatedName } from './files.js';
import type { LogRotationPolicy } from './policy.js';

/** Output lost because the log could not be written. */
export interface DroppedOutput {
  lines: number;
  bytes: number;
  /** Whether the last write failed (still dropping). */
  failing: boolean;
}

/** How long a failed rotation (or reopen) waits before it is tried again. */
const RETRY_MS = 1000;

export class RotatingLogWriter {
  private file: FileHandle | undefined;
  private size = 0;
  private retryAt = 0;
  readonly dropped: DroppedOutput = { lines: 0, bytes: 0, failing: false };

  constructor(
    readonly path: string,
    private readonly policy: LogRotationPolicy,
  ) {}

  /** Appends whole CRI lines (one call must not split a line). Never throws for a failed write. */
  async write(text: string): Promise<void> {
    if (!text) return;
    const data = Buffer.from(text, 'utf8');
    if (this.file && this.size > 0 && this.size + data.length > this.policy.maxSizeBytes && Date.now() >= this.retryAt) await this.rotate();
    if (!this.file && Date.now() >= this.retryAt) await this.create();
    if (!this.file) return this.drop(data);
    let written = 0;
    try {
      while (written < data.length) {
        const { bytesWritten } = await this.file.write(data, written, data.length - written);
        if (bytesWritten === 0) throw Object.assign(new Error('no space written'), { code: 'ENOSPC' });
        written += bytesWritten;
      }
      this.size += written;
      this.dropped.failing = false;
    } catch {
      // A half-written line would glue onto the next one: cut the file back to whole lines.
      if (written > 0) await this.file.truncate(this.size).catch(() => undefined);
      this.drop(data);
    }
  }

  async close(): Promise<void> {
    const file = this.file;
    this.file = undefined;
    await file?.close().catch(() => undefined);
  }

  private drop(data: Buffer): void {
    this.dropped.failing = true;
    this.dropped.bytes += data.length;
    let lines = 0;
    for (let i = data.indexOf(0x0a); i >= 0; i = data.indexOf(0x0a, i + 1)) lines++;
    this.dropped.lines += lines;
  }

  /** Creates (or opens) the live file now, so readers find it before the first line arrives. */
  async create(): Promise<void> {
    if (this.file) return;
    try {
      this.file = await fs.open(this.path, 'a', 0o640);
      this.size = (await this.file.stat()).size;
    } catch {
      await this.close();
      this.retryAt = Date.now() + RETRY_MS;
    }
  }

  private async rotate(): Promise<void> {
    try {
      await fs.rename(this.path, await rotatedName(this.path, new Date()));
    } catch {
      this.retryAt = Date.now() + RETRY_MS; // keep writing to the live file; try again later
      return;
    }
    await this.close();
    const rotated = await rotatedLogs(this.path);
    for (const old of rotated.slice(0, Math.max(0, rotated.length - (this.policy.maxFiles - 1)))) await fs.rm(old.path, { force: true });
    await this.create();
  }
}
