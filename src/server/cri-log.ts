// Reading CRI-format container logs (`<RFC3339Nano> <stdout|stderr> <P|F> <text>` per line), as
// the kubelet does for /containerLogs: partial (P) lines are joined, timestamps optional, and the
// windows of PodLogOptions applied: the last N lines, lines since a time, at most N bytes. Every
// runtime writes this format (the Docker runtime copies the Engine's output into it), so these
// windows work the same for all of them.
//
// Big files are never read whole: the last N lines are found by reading backwards from the end,
// and the first line since a time by a binary search over the file (log lines are written in
// time order), so `--tail=10` or `--since=5s` on a gigabyte log reads a few kilobytes.
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';

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
    this.pending += chunk;
    let out = '';
    let nl: number;
    while ((nl = this.pending.indexOf('\n')) >= 0) {
      const line = this.pending.slice(0, nl);
      this.pending = this.pending.slice(nl + 1);
      out += this.decodeLine(line);
    }
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

/** Writes the log file's decoded lines to `out`, within the requested window, following growth. */
export async function streamCriLog(path: string, out: Writable, o: LogReadOptions): Promise<void> {
  const decoder = new CriLogDecoder(o.timestamps, o.sinceNs);
  const sink = new LimitedOutput(out, o.limitBytes);
  let offset = 0;
  const fh = await fs.open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    if (o.sinceNs !== undefined) offset = Math.max(offset, await searchSince(fh, size, o.sinceNs));
    if (o.tailLines !== undefined) offset = Math.max(offset, await tailStart(fh, size, o.tailLines));
    offset = await copyFrom(fh, offset, size, decoder, sink);
    if (!o.follow) return;
    for (;;) {
      if (o.aborted() || sink.full) return;
      const writing = o.stillWriting();
      const now = (await fh.stat().catch(() => undefined))?.size ?? offset;
      if (now > offset) offset = await copyFrom(fh, offset, now, decoder, sink);
      if (!writing) return;
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await fh.close();
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
 * Offset where the last `n` logical lines begin, reading backwards from the end. A logical line
 * ends with a full (F) CRI line; its P fragments before it belong to it. An unfinished last line
 * (no newline yet) is not counted: the follow or the next read gets it.
 */
async function tailStart(fh: FileHandle, size: number, n: number): Promise<number> {
  if (n <= 0) return size;
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
        if (full === n + 1) return lineEnd + 1;
      }
      lineEnd = nl;
    }
    later = Buffer.from(data.subarray(0, Math.min(HEADER, data.length)));
  }
  return 0;
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
