// Copies a container's output from the Engine (GET /containers/{id}/logs?follow=1&timestamps=1)
// into the kubelet's log file layout in CRI format (`<RFC3339Nano> stdout|stderr P|F <text>`), so
// the node's /containerLogs reads the same files whatever the runtime. After an agent restart the
// copy resumes after the last line already in the file (or in its newest rotated file): no line is
// written twice. The file is rotated by its writer at the size limit (RotatingLogWriter), and
// output that cannot be written (full disk) is dropped and counted while the copy goes on.
import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import type { IncomingMessage } from 'node:http';
import type { Logger } from '../../log/index.js';
import { RotatingLogWriter, rotatedLogs, type DroppedOutput, type LogRotationPolicy } from '../../logs/index.js';
import { EngineError, type EngineClient } from './client.js';
import type { ContainerInspect } from './engine-types.js';

/** How long to wait before following again when the stream broke while the container still runs. */
const RETRY_MS = 1000;
/** How much of the file's end is read to find the last line written. */
const TAIL_BYTES = 64 * 1024;

/** Where a resumed copy starts: lines older than `ns` are skipped, and the first `count` lines at `ns`. */
export interface ResumePoint {
  ns: bigint;
  count: number;
}

/** An RFC 3339 timestamp with up to 9 fraction digits as nanoseconds since the epoch. */
export function timestampNs(ts: string): bigint | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(ts);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/**
 * The resume point from the end of an existing CRI log file, or of its newest rotated file when
 * the live one was just rotated and is still empty (undefined: start from the beginning).
 */
export async function resumePointOf(logPath: string): Promise<ResumePoint | undefined> {
  const live = await resumePointOfFile(logPath);
  if (live) return live;
  const newest = (await rotatedLogs(logPath)).at(-1);
  return newest && !newest.compressed ? resumePointOfFile(newest.path) : undefined;
}

async function resumePointOfFile(logPath: string): Promise<ResumePoint | undefined> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(logPath, 'r');
  } catch {
    return undefined;
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) return undefined;
    const length = Math.min(size, TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    const lines = buffer.toString('utf8').split('\n').filter((line) => line.length > 0);
    if (size > length) lines.shift(); // probably cut in the middle
    let point: ResumePoint | undefined;
    for (let i = lines.length - 1; i >= 0; i--) {
      const ns = timestampNs(lines[i]!.slice(0, lines[i]!.indexOf(' ')));
      if (ns === undefined) continue;
      if (!point) point = { ns, count: 0 };
      if (ns !== point.ns) break;
      point.count++;
    }
    return point;
  } finally {
    await handle.close();
  }
}

/**
 * Turns Engine log output into CRI lines. Non-TTY output comes in frames (8-byte header: stream
 * 1=stdout 2=stderr, 3 bytes zero, uint32 big-endian length) of one log message each; TTY output
 * is raw text. With timestamps=1 each message starts with `<RFC3339Nano> `.
 */
export class EngineLogDecoder {
  private frames: Buffer = Buffer.alloc(0);
  private readonly pending = { stdout: '', stderr: '' };

  constructor(
    private readonly tty: boolean,
    private resume: ResumePoint | undefined,
  ) {}

  /** CRI-format text for the complete lines in `chunk` ('' when none). */
  push(chunk: Buffer): string {
    if (this.tty) return this.text('stdout', chunk.toString('utf8'));
    this.frames = this.frames.length === 0 ? chunk : Buffer.concat([this.frames, chunk]);
    let out = '';
    while (this.frames.length >= 8) {
      const size = this.frames.readUInt32BE(4);
      if (this.frames.length < 8 + size) break;
      const stream = this.frames[0] === 2 ? 'stderr' : 'stdout';
      out += this.message(stream, this.frames.subarray(8, 8 + size).toString('utf8'));
      this.frames = this.frames.subarray(8 + size);
    }
    return out;
  }

  /** What is left at the end of the stream: unfinished lines, written as partial (P) lines. */
  flush(): string {
    let out = '';
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.pending[stream]) out += this.line(stream, this.pending[stream], 'P');
      this.pending[stream] = '';
    }
    return out;
  }

  /** One framed message: its lines, and a last one without newline as a partial (P) line. */
  private message(stream: 'stdout' | 'stderr', text: string): string {
    const parts = text.split('\n');
    const last = parts.pop() ?? '';
    let out = '';
    for (const part of parts) out += this.line(stream, part, 'F');
    if (last) out += this.line(stream, last, 'P');
    return out;
  }

  /** TTY text: complete lines now, the rest when more arrives. */
  private text(stream: 'stdout' | 'stderr', text: string): string {
    const all = this.pending[stream] + text;
    const parts = all.split('\n');
    this.pending[stream] = parts.pop() ?? '';
    let out = '';
    for (const part of parts) out += this.line(stream, part, 'F');
    return out;
  }

  private line(stream: 'stdout' | 'stderr', message: string, tag: 'F' | 'P'): string {
    const space = message.indexOf(' ');
    const head = space < 0 ? message : message.slice(0, space);
    let ns = timestampNs(head);
    let ts = head;
    let body = space < 0 ? '' : message.slice(space + 1);
    if (ns === undefined) {
      // No timestamp (a continuation of a TTY line): stamp it now.
      ts = new Date().toISOString().replace('Z', '000000Z');
      ns = timestampNs(ts)!;
      body = message;
    }
    if (this.resume) {
      if (ns < this.resume.ns) return '';
      if (ns === this.resume.ns && this.resume.count > 0) {
        this.resume.count--;
        return '';
      }
      this.resume = undefined;
    }
    return `${ts} ${stream} ${tag} ${body.endsWith('\r') && this.tty ? body.slice(0, -1) : body}\n`;
  }
}

export interface LogCopierOptions {
  client: EngineClient;
  id: string;
  logPath: string;
  tty: boolean;
  logger: Logger;
  rotation: LogRotationPolicy;
}

/** Follows one container's output into its log file until the container stops or stop() is called. */
export class LogCopier {
  /** Resolves when the container's output has been copied completely (or copying was given up). */
  readonly done: Promise<void>;
  private stopped = false;
  private current: IncomingMessage | undefined;
  private readonly file: RotatingLogWriter;

  constructor(private readonly o: LogCopierOptions) {
    this.file = new RotatingLogWriter(o.logPath, o.rotation);
    this.done = this.run().catch((err: Error) => {
      o.logger.warn('copying container logs failed', { containerId: o.id, logPath: o.logPath, err: err.message });
    });
  }

  stop(): void {
    this.stopped = true;
    this.current?.destroy();
  }

  /** Output lost because the log file could not be written. */
  get dropped(): DroppedOutput {
    return { ...this.file.dropped };
  }

  private async run(): Promise<void> {
    await fs.mkdir(dirname(this.o.logPath), { recursive: true });
    await this.file.create();
    try {
      await this.follow();
    } finally {
      await this.file.close();
    }
  }

  private async follow(): Promise<void> {
    while (!this.stopped) {
      const resume = await resumePointOf(this.o.logPath);
      let broken = false;
      try {
        await this.copyOnce(resume);
      } catch (err) {
        if (err instanceof EngineError && err.status === 404) return; // removed
        broken = true;
        this.o.logger.debug('container log stream broke', { containerId: this.o.id, err: (err as Error).message });
      }
      if (this.stopped) return;
      // The stream ends when the container stops. Ended or broken while it still runs (engine
      // restarted, socket gone): follow again, from where the file ends.
      const info = await this.o.client
        .json<ContainerInspect>('GET', `/containers/${this.o.id}/json`)
        .catch(() => 'unreachable' as const);
      if (info === undefined) return;
      if (info !== 'unreachable' && !info.State.Running && !broken) return;
      if (info !== 'unreachable' && !info.State.Running && broken) {
        // One more pass picks up the last lines the broken stream did not deliver.
        await this.copyOnce(await resumePointOf(this.o.logPath)).catch(() => undefined);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }

  private async copyOnce(resume: ResumePoint | undefined): Promise<void> {
    const query = {
      follow: true,
      stdout: true,
      stderr: true,
      timestamps: true,
      // Whole seconds: both Docker and Podman accept them; the decoder drops the overlap.
      since: resume ? String(resume.ns / 1_000_000_000n) : undefined,
    };
    const res = await this.o.client.stream('GET', `/containers/${this.o.id}/logs`, { query });
    this.current = res;
    const decoder = new EngineLogDecoder(this.o.tty, resume);
    // One write at a time, in order: the stream is paused while a chunk is being written.
    let writing: Promise<void> = Promise.resolve();
    try {
      await new Promise<void>((resolve, reject) => {
        res.on('data', (chunk: Buffer) => {
          const text = decoder.push(chunk);
          if (!text) return;
          res.pause();
          writing = writing.then(() => this.file.write(text)).finally(() => res.resume());
        });
        res.once('end', resolve);
        res.once('aborted', () => reject(new Error('log stream aborted')));
        res.once('error', reject);
        res.once('close', () => (res.complete ? resolve() : reject(new Error('log stream closed'))));
      });
    } finally {
      if (this.current === res) this.current = undefined;
      await writing;
      await this.file.write(decoder.flush());
    }
  }
}
