// Reading CRI-format container logs (`<RFC3339Nano> <stdout|stderr> <P|F> <text>` per line), as
// the kubelet does for /containerLogs: partial (P) lines are joined, timestamps optional.
import { createReadStream, promises as fs } from 'node:fs';
import type { Writable } from 'node:stream';

export interface LogReadOptions {
  tailLines?: number;
  timestamps: boolean;
  /** Keep reading as the file grows until `stillWriting()` says the container has stopped. */
  follow: boolean;
  stillWriting: () => boolean;
  /** Set when the client went away. */
  aborted: () => boolean;
}

/** Turns CRI lines into what `kubectl logs` prints; keeps unfinished partial lines between chunks. */
export class CriLogDecoder {
  private pending = '';
  private partial = '';

  constructor(private readonly timestamps: boolean) {}

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
    const tag = s3 < 0 ? line.slice(s2 + 1) : line.slice(s2 + 1, s3);
    const text = s3 < 0 ? '' : line.slice(s3 + 1);
    if (tag === 'P') {
      if (!this.partial) this.partial = this.timestamps ? line.slice(0, s1) + ' ' : '';
      this.partial += text;
      return '';
    }
    const prefix = this.partial || (this.timestamps ? line.slice(0, s1) + ' ' : '');
    this.partial = '';
    return prefix + text + '\n';
  }
}

/** Writes the log file's decoded lines to `out`, optionally only the last N and following growth. */
export async function streamCriLog(path: string, out: Writable, o: LogReadOptions): Promise<void> {
  const decoder = new CriLogDecoder(o.timestamps);
  let offset = 0;
  if (o.tailLines !== undefined) {
    const text = await fs.readFile(path, 'utf8');
    offset = Buffer.byteLength(text);
    const lines = decoder.push(text).split('\n');
    lines.pop();
    const tail = o.tailLines <= 0 ? [] : lines.slice(-o.tailLines);
    if (tail.length) out.write(tail.join('\n') + '\n');
  } else {
    offset = await copyFrom(path, 0, decoder, out);
  }
  if (!o.follow) return;
  for (;;) {
    if (o.aborted()) return;
    const writing = o.stillWriting();
    const size = (await fs.stat(path).catch(() => undefined))?.size ?? offset;
    if (size > offset) offset = await copyFrom(path, offset, decoder, out);
    if (!writing) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function copyFrom(path: string, start: number, decoder: CriLogDecoder, out: Writable): Promise<number> {
  let offset = start;
  const stream = createReadStream(path, { start, encoding: 'utf8' });
  for await (const chunk of stream as AsyncIterable<string>) {
    offset += Buffer.byteLength(chunk);
    const text = decoder.push(chunk);
    if (text && !out.write(text)) await new Promise((r) => out.once('drain', r));
  }
  return offset;
}
