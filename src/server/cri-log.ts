// Reading CRI-format container logs (`<RFC3339Nano> <stdout|stderr> <P|F> <text>` per line), as
// the kubelet does for /containerLogs: partial (P) lines are joined, timestamps optional, and the
// windows of PodLogOptions applied: the last N lines, lines since a time, at most N bytes. Every
// runtime writes this format (the Docker runtime copies the Engine's output into it), so these
// windows work the same for all of them.
//
// Big files are never read whole: the last N lines are found by reading backwards from the end,
// and the first line since a time by a binary search over the file (log lines are written in
// time order), so `--tail=10` or `--since=5s` on a gigabyte log reads a few kilobytes.
//
// Rotation (src/logs/): a window that reaches back past the start of the live file goes on into
// its rotated files (the plain ones; a whole read also streams the compressed ones), and a follow
// that finds the live file renamed reads the renamed file to its end, then goes on with the new one.
import { createReadStream, promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { rotatedLogs, type RotatedLog } from '../logs/index.js';

export interface LogReadOptions {
  /** Only the last N lines (0: none; then only what a follow sees). */
  tailLines?: number;
  /** Only lines whose timestamp is at or after this instant (ns since the epoch). */
  sinceNs?: bigint;
  /** Stop after writing this many bytes (the last line may be cut, as with the kubelet). */
  limitBytes?: number;
  timestamps: boolean;
  /** Keep reading as the file grows until `stillWriting()` says the container has stopped. */
  follow: boolean;
  stillWriting: () => boolean;
  /** Set when the client went away. */
  aborted: () => boolean;
}

/** Reads backwards and searches in blocks of this size. */
const BLOCK = 64 * 1024;
/** A line header (timestamp, stream, tag) fits in this many bytes. */
const HEADER = 64;

/** An RFC 3339 timestamp with up to 9 fraction digits as nanoseconds since the epoch. */
export function timestampNs(ts: string): bigint | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(ts);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/** Turns CRI lines into what `kubectl logs` prints; keeps unfinished partial lines between chunks. */
export class CriLogDecoder {
  private pending = '';
  /** A logical line being joined from P fragments: its prefix, text so far, and whether it is kept. */
  private joining = false;
  private prefix = '';
  private partial = '';
  private kept = true;

  constructor(
    private readonly timestamps: boolean,
    private readonly sinceNs?: bigint,
  ) {}

  push(chunk: string): string {
    const text = this.pending + chunk;
    let out = '';
    let start = 0;
    // Walk the lines by index: slicing the rest off after each line would copy it again per line.
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      out += this.decodeLine(text.slice(start, nl));
      start = nl + 1;
    }
    this.pending = text.slice(start);
    return out;
  }

  private decodeLine(line: string): string {
    const s1 = line.indexOf(' ');
    const s2 = line.indexOf(' ', s1 + 1);
    const s3 = line.indexOf(' ', s2 + 1);
    if (s1 < 0 || s2 < 0) return line + '\n';
    const ts = line.slice(0, s1);
    const tag = s3 < 0 ? line.slice(s2 + 1) : line.slice(s2 + 1, s3);
    const text = s3 < 0 ? '' : line.slice(s3 + 1);
    // A logical line is timed (and shown with) the timestamp of its first fragment.
    if (!this.joining) {
      this.kept = this.inWindow(ts);
      this.prefix = this.timestamps ? ts + ' ' : '';
      this.partial = '';
    }
    if (tag === 'P') {
      this.joining = true;
      this.partial += text;
      return '';
    }
    this.joining = false;
    const out = this.kept ? this.prefix + this.partial + text + '\n' : '';
    this.partial = '';
    return out;
  }

  private inWindow(ts: string): boolean {
    if (this.sinceNs === undefined) return true;
    const ns = timestampNs(ts);
    return ns === undefined || ns >= this.sinceNs;
  }
}

/** Counts output bytes and cuts at the limit. */
class LimitedOutput {
  private left: number;

  constructor(
    private readonly out: Writable,
    limit: number | undefined,
  ) {
    this.left = limit ?? Infinity;
  }

  get full(): boolean {
    return this.left <= 0;
  }

  /** Writes what fits; resolves once the stream can take more. */
  async write(text: string): Promise<void> {
    if (!text || this.full) return;
    let buf = Buffer.from(text, 'utf8');
    if (buf.length > this.left) buf = buf.subarray(0, this.left);
    this.left -= buf.length;
    if (!this.out.write(buf)) await new Promise((r) => this.out.once('drain', r));
  }
}

/** How often a follow looks for growth (and for a rotation) of the live file. */
const FOLLOW_POLL_MS = 100;
/** How long a follow waits for the live file after a rotation renamed it, before giving up. */
const REOPEN_WAIT_MS = 30_000;

/** Writes the log's decoded lines to `out`, within the requested window, following growth and rotations. */
export async function streamCriLog(path: string, out: Writable, o: LogReadOptions): Promise<void> {
  const decoder = new CriLogDecoder(o.timestamps, o.sinceNs);
  const sink = new LimitedOutput(out, o.limitBytes);
  let fh: FileHandle | undefined;
  let missing: unknown;
  try {
    fh = await fs.open(path, 'r');
  } catch (err) {
    missing = err;
  }
  try {
    // The window is the file as it is now: later lines are for the follow.
    const size = fh ? (await fh.stat()).size : 0;
    const rotated = await rotatedLogs(path);
    // Missing and never rotated: no log (yet). Missing but rotated: just renamed, the rotated files hold it.
    if (!fh && ((missing as NodeJS.ErrnoException).code !== 'ENOENT' || rotated.length === 0)) throw missing;
    let offset = 0;
    let older: Array<{ file: RotatedLog; start: number }> = [];
    if (o.tailLines !== undefined) {
      const tail = fh ? await tailStart(fh, size, o.tailLines) : { offset: 0, lines: 0 };
      offset = tail.offset;
      if (tail.lines < o.tailLines) older = await olderForTail(rotated, o.tailLines - tail.lines);
    } else if (o.sinceNs !== undefined) {
      const since = fh ? await searchSince(fh, size, o.sinceNs) : 0;
      offset = since;
      if (since === 0 && !(fh && (await firstLineAtOrAfter(fh, o.sinceNs)) === false)) older = await olderForSince(rotated, o.sinceNs);
    } else {
      older = rotated.map((file) => ({ file, start: 0 }));
    }
    if (o.sinceNs !== undefined && o.tailLines !== undefined && fh) offset = Math.max(offset, await searchSince(fh, size, o.sinceNs));
    for (const { file, start } of older) {
      if (sink.full || o.aborted()) return;
      await copyRotated(file, start, decoder, sink);
    }
    if (fh) offset = await copyFrom(fh, offset, size, decoder, sink);
    if (!o.follow) return;
    for (;;) {
      if (o.aborted() || sink.full) return;
      const writing = o.stillWriting();
      if (fh) {
        const now = (await fh.stat().catch(() => undefined))?.size ?? offset;
        if (now > offset) {
          const before = offset;
          offset = await copyFrom(fh, offset, now, decoder, sink);
          if (offset > before) continue; // more may be there already; else only half a character is
        }
      }
      if (await renamedAway(path, fh)) {
        // Rotated. Once the new file exists its writer has switched to it, so the renamed file
        // (still open here) is complete: read it to its end, then go on with the new one.
        const next = (fh && (await openNextRotated(path, fh))) || (await openWhenThere(path, o));
        if (fh) {
          await copyFrom(fh, offset, (await fh.stat()).size, decoder, sink);
          await fh.close();
        }
        fh = next;
        offset = 0;
        if (!fh) return;
        continue;
      }
      if (!writing) return;
      await new Promise((r) => setTimeout(r, FOLLOW_POLL_MS));
    }
  } finally {
    await fh?.close();
  }
}

/** Whether the file at `path` is no longer the one open in `fh` (renamed by a rotation, or not open yet). */
async function renamedAway(path: string, fh: FileHandle | undefined): Promise<boolean> {
  if (!fh) return true;
  const [open, now] = await Promise.all([fh.stat().catch(() => undefined), fs.stat(path).catch(() => undefined)]);
  if (!open) return false;
  return !now || now.ino !== open.ino || now.dev !== open.dev;
}

/**
 * The file written after the one open in `fh`, when that one is already rotated too: a writer
 * faster than the follow's polling may have rotated more than once since, and reading the live
 * file next would skip the files in between.
 */
async function openNextRotated(path: string, fh: FileHandle): Promise<FileHandle | undefined> {
  const open = await fh.stat().catch(() => undefined);
  if (!open) return undefined;
  const rotated = await rotatedLogs(path);
  const inodes = await Promise.all(rotated.map((r) => fs.stat(r.path).then((st) => st.ino, () => -1)));
  const i = inodes.indexOf(open.ino);
  const next = i >= 0 ? rotated[i + 1] : undefined;
  if (!next || next.compressed) return undefined;
  return fs.open(next.path, 'r').catch(() => undefined);
}

/** The new live file once its writer created it; undefined when the container stopped or the client left. */
async function openWhenThere(path: string, o: LogReadOptions): Promise<FileHandle | undefined> {
  const deadline = Date.now() + REOPEN_WAIT_MS;
  for (;;) {
    const fh = await fs.open(path, 'r').catch(() => undefined);
    if (fh) return fh;
    if (o.aborted() || !o.stillWriting() || Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, FOLLOW_POLL_MS));
  }
}

/** The plain rotated files (newest last) that the last `n` lines reach back into, with where to start in each. */
async function olderForTail(rotated: RotatedLog[], n: number): Promise<Array<{ file: RotatedLog; start: number }>> {
  const out: Array<{ file: RotatedLog; start: number }> = [];
  let left = n;
  for (let i = rotated.length - 1; i >= 0 && left > 0; i--) {
    const file = rotated[i]!;
    if (file.compressed) break; // a tail does not unpack whole files: it stops at the plain ones
    const fh = await fs.open(file.path, 'r').catch(() => undefined);
    if (!fh) break;
    try {
      const tail = await tailStart(fh, (await fh.stat()).size, left);
      out.unshift({ file, start: tail.offset });
      left -= tail.lines;
    } finally {
      await fh.close();
    }
  }
  return out;
}

/** The plain rotated files (newest last) holding lines at or after `sinceNs`, with where to start in each. */
async function olderForSince(rotated: RotatedLog[], sinceNs: bigint): Promise<Array<{ file: RotatedLog; start: number }>> {
  const out: Array<{ file: RotatedLog; start: number }> = [];
  for (let i = rotated.length - 1; i >= 0; i--) {
    const file = rotated[i]!;
    if (file.compressed) break;
    const fh = await fs.open(file.path, 'r').catch(() => undefined);
    if (!fh) break;
    try {
      const size = (await fh.stat()).size;
      const start = await searchSince(fh, size, sinceNs);
      out.unshift({ file, start });
      if (start > 0 || (await firstLineAtOrAfter(fh, sinceNs)) === false) break;
    } finally {
      await fh.close();
    }
  }
  return out;
}

/** Whether the file's first line is at or after `sinceNs` (undefined: empty or no timestamp). */
async function firstLineAtOrAfter(fh: FileHandle, sinceNs: bigint): Promise<boolean | undefined> {
  const buf = Buffer.alloc(HEADER);
  const { bytesRead } = await fh.read(buf, 0, HEADER, 0);
  const header = buf.subarray(0, bytesRead).toString('latin1');
  const ts = timestampNs(header.slice(0, Math.max(0, header.indexOf(' '))));
  return ts === undefined ? undefined : ts >= sinceNs;
}

/** Copies a rotated file from `start` to its end (a compressed one is streamed through gunzip). */
async function copyRotated(file: RotatedLog, start: number, decoder: CriLogDecoder, sink: LimitedOutput): Promise<void> {
  if (!file.compressed) {
    const fh = await fs.open(file.path, 'r').catch(() => undefined);
    if (!fh) return; // removed by the rotation meanwhile
    try {
      await copyFrom(fh, start, (await fh.stat()).size, decoder, sink);
    } finally {
      await fh.close();
    }
    return;
  }
  const input = createReadStream(file.path).pipe(createGunzip());
  try {
    let carry = Buffer.alloc(0);
    for await (const chunk of input as AsyncIterable<Buffer>) {
      if (sink.full) break;
      const data = carry.length ? Buffer.concat([carry, chunk]) : chunk;
      const cut = completeUtf8(data);
      carry = Buffer.from(data.subarray(cut));
      await sink.write(decoder.push(data.subarray(0, cut).toString('utf8')));
    }
  } catch {
    // Removed (pruned) or cut short while being read: what was read stands.
  } finally {
    input.destroy();
  }
}

/** Copies [start, end) through the decoder; returns the offset reached. */
async function copyFrom(fh: FileHandle, start: number, end: number, decoder: CriLogDecoder, sink: LimitedOutput): Promise<number> {
  const buf = Buffer.alloc(BLOCK);
  let offset = start;
  // A multi-byte character may straddle two blocks: keep the incomplete tail for the next read.
  let carry = Buffer.alloc(0);
  while (offset < end && !sink.full) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(BLOCK, end - offset), offset);
    if (bytesRead === 0) break;
    offset += bytesRead;
    const data = carry.length ? Buffer.concat([carry, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead);
    const cut = completeUtf8(data);
    carry = Buffer.from(data.subarray(cut));
    await sink.write(decoder.push(data.subarray(0, cut).toString('utf8')));
  }
  return offset - carry.length;
}

/** Length of the prefix of `b` that ends on a whole UTF-8 character. */
function completeUtf8(b: Buffer): number {
  let i = b.length - 1;
  let back = 0;
  while (i >= 0 && back < 4 && (b[i]! & 0xc0) === 0x80) {
    i--;
    back++;
  }
  if (i < 0) return b.length;
  const lead = b[i]!;
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return b.length - i >= need ? b.length : i;
}

function isPartial(header: Buffer): boolean {
  const h = header.toString('latin1');
  const s1 = h.indexOf(' ');
  const s2 = h.indexOf(' ', s1 + 1);
  if (s1 < 0 || s2 < 0) return false;
  return h.slice(s2 + 1, s2 + 3) === 'P ' || h.slice(s2 + 1) === 'P';
}

/**
 * Offset where the last `n` logical lines begin, reading backwards from the end, and how many
 * lines there are from there (fewer than `n` when the file holds fewer). A logical line
 * ends with a full (F) CRI line; its P fragments before it belong to it. An unfinished last line
 * (no newline yet) is not counted: the follow or the next read gets it.
 */
async function tailStart(fh: FileHandle, size: number, n: number): Promise<{ offset: number; lines: number }> {
  if (n <= 0) return { offset: size, lines: 0 };
  let full = 0;
  let pos = size;
  let lineEnd = -1; // offset of the '\n' that ends the line being looked at
  let later = Buffer.alloc(0); // the first bytes after the current block, for headers that straddle
  while (pos > 0) {
    const len = Math.min(BLOCK, pos);
    pos -= len;
    const block = Buffer.alloc(len);
    await fh.read(block, 0, len, pos);
    const data = Buffer.concat([block, later]);
    for (let i = len - 1; i >= -1; i--) {
      if (i >= 0 && data[i] !== 0x0a) continue;
      const nl = pos + i; // -1 + pos at i = -1: the line starts at pos
      if (i === -1 && pos > 0) break; // the line continues into the previous block
      if (lineEnd < 0) {
        lineEnd = nl; // the last newline: lines before it are complete
        continue;
      }
      const start = nl + 1;
      const header = data.subarray(start - pos, Math.min(start - pos + HEADER, lineEnd - pos));
      if (!isPartial(header)) {
        full++;
        if (full === n + 1) return { offset: lineEnd + 1, lines: n };
      }
      lineEnd = nl;
    }
    later = Buffer.from(data.subarray(0, Math.min(HEADER, data.length)));
  }
  return { offset: 0, lines: full };
}

/**
 * A line start at or before the first line written at or after `sinceNs`, found by bisecting the
 * file on the timestamps that begin its lines; the decoder then drops what is still too old.
 */
async function searchSince(fh: FileHandle, size: number, sinceNs: bigint): Promise<number> {
  let lo = 0;
  let hi = size;
  const buf = Buffer.alloc(BLOCK);
  while (hi - lo > BLOCK) {
    const mid = Math.floor((lo + hi) / 2);
    const { bytesRead } = await fh.read(buf, 0, BLOCK, mid - 1);
    const nl = buf.subarray(0, bytesRead).indexOf(0x0a);
    const ls = nl < 0 ? undefined : mid + nl;
    if (ls === undefined || ls >= hi) {
      hi = mid;
      continue;
    }
    const header = buf.subarray(nl + 1, Math.min(bytesRead, nl + 1 + HEADER)).toString('latin1');
    const ts = timestampNs(header.slice(0, Math.max(0, header.indexOf(' '))));
    if (ts !== undefined && ts < sinceNs) lo = ls;
    else hi = ls;
  }
  return lo;
}
