import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { appendFile, open, rename, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { CriLogDecoder, streamCriLog, type LogReadOptions } from '../../src/server/cri-log.js';
import { tempDir, type TestLike } from '../cleanup.js';

describe('CRI log decoding', () => {
  it('prints the text of full lines and joins partial ones', () => {
    const d = new CriLogDecoder(false);
    const out = d.push('2024-01-01T00:00:00.1Z stdout F hello\n2024-01-01T00:00:00.2Z stderr P par') + d.push('t1\n2024-01-01T00:00:00.3Z stderr F -end\n');
    assert.equal(out, 'hello\npart1-end\n');
  });

  it('keeps the first timestamp of a joined line when asked for timestamps', () => {
    const d = new CriLogDecoder(true);
    assert.equal(d.push('T1 stdout P a\nT2 stdout F b\nT3 stdout F \n'), 'T1 ab\nT3 \n');
  });
});

describe('CRI log windows (tailLines, sinceNs, limitBytes) on real files', () => {
  const T0 = Date.parse('2024-01-01T00:00:00Z');
  const ts = (i: number) => new Date(T0 + i * 1000).toISOString().replace('Z', '123456Z');
  /** A log of `n` lines, line i written at T0 + i s; line 5 is split into P fragments. */
  async function writeLog(t: TestLike, n: number, pad = ''): Promise<string> {
    const dir = await tempDir(t, 'crilog');
    const path = join(dir, '0.log');
    let text = '';
    for (let i = 0; i < n; i++) {
      text += i === 5 ? `${ts(i)} stdout P li\n${ts(i)} stdout P ne\n${ts(i)} stdout F -5${pad}\n` : `${ts(i)} stdout F line-${i}${pad}\n`;
    }
    await writeFile(path, text);
    return path;
  }
  async function read(path: string, o: Partial<LogReadOptions>): Promise<string> {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    await streamCriLog(path, out, { timestamps: false, follow: false, stillWriting: () => false, aborted: () => false, ...o });
    out.end();
    return Buffer.concat(chunks).toString('utf8');
  }
  const ns = (i: number) => BigInt(T0 + i * 1000) * 1_000_000n;

  it('tailLines counts joined lines, 0 gives nothing, more than there are gives all', async (t) => {
    const p = await writeLog(t, 10);
    assert.equal(await read(p, { tailLines: 2 }), 'line-8\nline-9\n');
    assert.equal(await read(p, { tailLines: 5 }), 'line-5\nline-6\nline-7\nline-8\nline-9\n');
    assert.equal(await read(p, { tailLines: 0 }), '');
    assert.equal((await read(p, { tailLines: 1000 })).split('\n').length - 1, 10);
  });

  it('sinceNs starts at the first line at or after the time, also across many blocks', async (t) => {
    const small = await writeLog(t, 10);
    assert.equal(await read(small, { sinceNs: ns(8) }), 'line-8\nline-9\n');
    assert.equal(await read(small, { sinceNs: ns(100) }), '');
    // Lines of ~1 KiB make a 3 MiB file: the bisection, not a whole-file read, finds the start.
    const big = await writeLog(t, 3000, 'x'.repeat(1000));
    const got = await read(big, { sinceNs: ns(2998) });
    assert.equal(got, `line-2998${'x'.repeat(1000)}\nline-2999${'x'.repeat(1000)}\n`);
    const tail = await read(big, { tailLines: 1 });
    assert.equal(tail, `line-2999${'x'.repeat(1000)}\n`);
  });

  it('windows combine: tail then since, then the byte limit; timestamps are the first fragment', async (t) => {
    const p = await writeLog(t, 10);
    assert.equal(await read(p, { tailLines: 5, sinceNs: ns(8) }), 'line-8\nline-9\n');
    assert.equal(await read(p, { tailLines: 3, limitBytes: 10 }), 'line-7\nlin');
    assert.equal(await read(p, { sinceNs: ns(5), tailLines: 5, timestamps: true, limitBytes: 1000 }).then((s) => s.split('\n')[0]), `${ts(5)} line-5`);
  });

  it('follow stops at limitBytes and when the container stops writing', async (t) => {
    const p = await writeLog(t, 3);
    let writing = true;
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    const done = streamCriLog(p, out, { timestamps: false, follow: true, stillWriting: () => writing, aborted: () => false, tailLines: 1 });
    await appendFile(p, `${ts(3)} stdout F line-3\n`);
    const deadline = Date.now() + 10_000;
    while (!text.includes('line-3') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    writing = false;
    await done;
    assert.equal(text, 'line-2\nline-3\n');
    const limited = await read(p, { follow: true, stillWriting: () => true, limitBytes: 3 });
    assert.equal(limited, 'lin');
  });
});

describe('CRI log windows across rotated files', () => {
  const T0 = Date.parse('2024-01-01T00:00:00Z');
  const ts = (i: number) => new Date(T0 + i * 1000).toISOString().replace('Z', '123456Z');
  const lines = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => `${ts(from + k)} stdout F line-${from + k}\n`).join('');
  /** 0.log.<older>.gz (lines 0-9), 0.log.<newer> (10-19), 0.log (20-24). */
  async function rotatedLog(t: TestLike): Promise<string> {
    const dir = await tempDir(t, 'crilog-rot');
    const path = join(dir, '0.log');
    await writeFile(`${path}.20240101-000010.gz`, gzipSync(lines(0, 10)));
    await writeFile(`${path}.20240101-000020`, lines(10, 20));
    await writeFile(path, lines(20, 25));
    return path;
  }
  async function read(path: string, o: Partial<LogReadOptions>): Promise<string> {
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    await streamCriLog(path, out, { timestamps: false, follow: false, stillWriting: () => false, aborted: () => false, ...o });
    return text;
  }
  const seq = (text: string) => [...text.matchAll(/line-(\d+)/g)].map((m) => Number(m[1]));
  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);

  it('tailLines reaches back into the newest rotated file when the live one holds fewer lines', async (t) => {
    const p = await rotatedLog(t);
    assert.deepEqual(seq(await read(p, { tailLines: 3 })), [22, 23, 24]);
    assert.deepEqual(seq(await read(p, { tailLines: 8 })), range(17, 25));
    // Compressed files are not unpacked for a tail: it stops at the plain ones.
    assert.deepEqual(seq(await read(p, { tailLines: 100 })), range(10, 25));
  });

  it('sinceTime starts in the rotated file that holds it', async (t) => {
    const p = await rotatedLog(t);
    const ns = (i: number) => BigInt(T0 + i * 1000) * 1_000_000n;
    assert.deepEqual(seq(await read(p, { sinceNs: ns(21) })), range(21, 25));
    assert.deepEqual(seq(await read(p, { sinceNs: ns(15) })), range(15, 25));
  });

  it('a whole read streams every rotated file, compressed ones too, in order', async (t) => {
    const p = await rotatedLog(t);
    assert.deepEqual(seq(await read(p, {})), range(0, 25));
    assert.deepEqual(await read(p, { limitBytes: 7 }), 'line-0\n');
  });

  it('a follow goes on into the new file after rotations, also several between two looks, losing no line', async (t) => {
    const dir = await tempDir(t, 'crilog-follow');
    const path = join(dir, '0.log');
    await writeFile(path, lines(0, 5));
    let writing = true;
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    const done = streamCriLog(path, out, { timestamps: false, follow: true, stillWriting: () => writing, aborted: () => false });
    const until = async (n: number) => {
      const deadline = Date.now() + 30_000;
      while (!text.includes(`line-${n}\n`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    };
    await until(4);
    // One rotation: rename, then more lines in a new file.
    await appendFile(path, lines(5, 8));
    await rename(path, `${path}.20240101-000001`);
    await writeFile(path, lines(8, 10));
    await until(9);
    // Three rotations faster than the follow looks.
    for (let k = 0; k < 3; k++) {
      await appendFile(path, lines(10 + k * 3, 13 + k * 3));
      await rename(path, `${path}.20240101-00001${k + 2}`);
      await writeFile(path, '');
    }
    await appendFile(path, lines(19, 21));
    await until(20);
    writing = false;
    await done;
    assert.deepEqual(seq(text), range(0, 21));
  });
});

describe('CRI log windows on a 512 MB log', () => {
  it('5 concurrent tailLines=1 read from the end: right line, little memory; limitBytes and since too', async (t) => {
    const dir = await tempDir(t, 'crilog-big');
    const path = join(dir, '0.log');
    const T0 = Date.parse('2024-01-01T00:00:00Z');
    const lineAt = (i: number) => `${new Date(T0 + i).toISOString().replace('Z', '000000Z')} stdout F request ${String(i).padStart(9, '0')} served\n`;
    const perChunk = Math.floor((1 << 20) / lineAt(0).length);
    const fh = await open(path, 'w');
    let n = 0;
    try {
      for (let c = 0; c < 512; c++) {
        let chunk = '';
        for (let k = 0; k < perChunk; k++) chunk += lineAt(n++);
        await fh.write(chunk);
      }
    } finally {
      await fh.close();
    }
    const read = async (o: Partial<LogReadOptions>) => {
      const out = new PassThrough();
      let text = '';
      out.on('data', (c: Buffer) => (text += c.toString()));
      await streamCriLog(path, out, { timestamps: false, follow: false, stillWriting: () => false, aborted: () => false, ...o });
      return text;
    };
    const before = process.memoryUsage().rss;
    const tails = await Promise.all(Array.from({ length: 5 }, () => read({ tailLines: 1 })));
    const grew = process.memoryUsage().rss - before;
    for (const tail of tails) assert.equal(tail, `request ${String(n - 1).padStart(9, '0')} served\n`);
    assert.ok(grew < 50 * 1024 * 1024, `RSS grew by ${grew} bytes`);
    assert.equal(await read({ limitBytes: 16 }), 'request 00000000');
    const since = await read({ sinceNs: BigInt(T0 + n - 3) * 1_000_000n });
    assert.equal(since.split('\n').length - 1, 3);
  });
});
