import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, openSync, closeSync, writeSync } from 'node:fs';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { rotateIfFull, rotatedLogs, tidyRotatedLogs, RotatingLogWriter, type LogRotationPolicy } from '../../src/logs/index.js';
import { defer, tempDir } from '../cleanup.js';

const line = (i: number) => `2026-01-01T00:00:00.${String(i).padStart(9, '0')}Z stdout F line-${i}\n`;

describe('rotation on request (the kubelet way, for CRI runtimes)', () => {
  it('renames a full log, has the writer reopen, compresses all but the newest rotated file, keeps max-files', async (t) => {
    const dir = await tempDir(t, 'rotate');
    const log = join(dir, '0.log');
    const policy: LogRotationPolicy = { maxSizeBytes: 1000, maxFiles: 3 };
    // A writer that, like containerd, keeps its fd until asked to reopen.
    let fd = openSync(log, 'a');
    defer(t, () => closeSync(fd));
    const reopen = async () => {
      closeSync(fd);
      fd = openSync(log, 'a');
    };
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const now = () => new Date((clock += 1000));
    let n = 0;
    for (let round = 0; round < 5; round++) {
      while ((await stat(log)).size < 1000) writeSync(fd, line(n++));
      // Not full yet after a rotation: nothing happens.
      assert.ok(await rotateIfFull(log, policy, reopen, now));
      assert.equal(await rotateIfFull(log, policy, reopen, now), undefined);
    }
    const rotated = await rotatedLogs(log);
    // The live file plus max-files - 1 rotated ones; only the newest rotated file is plain.
    assert.deepEqual(rotated.map((r) => r.compressed), [true, false]);
    assert.match(rotated[1]!.path, /0\.log\.20260101-000005$/);
    const names = (await readdir(dir)).sort();
    assert.equal(names.length, 3, names.join(' '));
    // No line of the kept files was lost or duplicated: they are consecutive.
    const text = gunzipSync(await readFile(rotated[0]!.path)).toString() + (await readFile(rotated[1]!.path, 'utf8')) + (await readFile(log, 'utf8'));
    const seq = [...text.matchAll(/line-(\d+)/g)].map((m) => Number(m[1]));
    assert.ok(seq.length > 0);
    seq.forEach((v, i) => assert.equal(v, seq[0]! + i));
  });

  it('renames the file back when the runtime cannot reopen it, so the next pass tries again', async (t) => {
    const dir = await tempDir(t, 'rotate');
    const log = join(dir, '0.log');
    await writeFile(log, line(1).repeat(40));
    await assert.rejects(
      rotateIfFull(log, { maxSizeBytes: 100, maxFiles: 5 }, () => Promise.reject(new Error('container not found'))),
      /container not found/,
    );
    assert.deepEqual(await readdir(dir), ['0.log']);
  });

  it('asks for a reopen when the live file is missing', async (t) => {
    const dir = await tempDir(t, 'rotate');
    let asked = 0;
    await rotateIfFull(join(dir, '0.log'), { maxSizeBytes: 100, maxFiles: 5 }, async () => void asked++);
    assert.equal(asked, 1);
  });
});

describe('housekeeping for writers that rotate themselves', () => {
  it('compresses older rotated files, removes leftovers and the excess, leaves the newest plain', async (t) => {
    const dir = await tempDir(t, 'tidy');
    const log = join(dir, '0.log');
    await writeFile(log, line(9));
    for (const s of ['20260101-000001', '20260101-000002', '20260101-000002-002', '20260101-000003']) await writeFile(`${log}.${s}`, line(1));
    await writeFile(`${log}.20260101-000000.gz.tmp`, 'half');
    await writeFile(join(dir, '1.log.20260101-000000'), 'another attempt: untouched');
    await tidyRotatedLogs(log, { maxSizeBytes: 100, maxFiles: 4 });
    assert.deepEqual((await readdir(dir)).sort(), [
      '0.log',
      '0.log.20260101-000002-002.gz',
      '0.log.20260101-000002.gz',
      '0.log.20260101-000003',
      '1.log.20260101-000000',
    ]);
    // Sorted by time whatever the compression: -002 comes after the plain second.
    assert.deepEqual((await rotatedLogs(log)).map((r) => r.path.slice(log.length + 1)), ['20260101-000002.gz', '20260101-000002-002.gz', '20260101-000003']);
  });
});

describe('RotatingLogWriter', () => {
  it('rotates before a line would pass the limit: the disk never holds more than max-files * max-size', async (t) => {
    const dir = await tempDir(t, 'writer');
    const log = join(dir, '0.log');
    const w = new RotatingLogWriter(log, { maxSizeBytes: 4096, maxFiles: 3 });
    defer(t, () => w.close());
    for (let i = 0; i < 2000; i++) await w.write(line(i));
    const files = await readdir(dir);
    assert.equal(files.length, 3, files.join(' '));
    let total = 0;
    for (const f of files) total += (await stat(join(dir, f))).size;
    assert.ok(total <= 3 * 4096, `${total} bytes`);
    const last = (await readFile(log, 'utf8')).trim().split('\n').at(-1);
    assert.match(last!, /line-1999$/);
  });

  it('drops and counts lines on a full disk, keeps files whole, and writes again when space returns', { skip: process.getuid?.() !== 0 ? 'needs root to mount a tmpfs' : false }, async (t) => {
    const dir = await tempDir(t, 'writer-full');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]);
    defer(t, () => void execFileSync('umount', ['-l', dir]));
    const filler = join(dir, 'filler');
    const log = join(dir, '0.log');
    const w = new RotatingLogWriter(log, { maxSizeBytes: 1 << 20, maxFiles: 2 });
    defer(t, () => w.close());
    let i = 0;
    while (w.dropped.lines === 0 && i < 10_000) await w.write(line(i++));
    assert.ok(w.dropped.lines > 0 && w.dropped.failing, 'the disk filled up');
    for (let k = 0; k < 10; k++) await w.write(line(i++));
    assert.ok(w.dropped.lines >= 11);
    const full = await readFile(log, 'utf8');
    assert.ok(full.endsWith('\n'), 'no half line was left behind');
    // Space returns: writing goes on by itself.
    appendFileSync(filler, '');
    execFileSync('sh', ['-c', `: > ${log}`]);
    await w.write(line(99_999));
    assert.equal(w.dropped.failing, false);
    assert.match(await readFile(log, 'utf8'), /line-99999\n$/);
    assert.ok(existsSync(log));
  });
});
