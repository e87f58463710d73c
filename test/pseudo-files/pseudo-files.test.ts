// readPseudoFile against the real /proc (files that report size 0) and plain files larger than its
// first buffer; mapLimited's bound and order.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { mapLimited, readPseudoFile } from '../../src/pseudo-files/index.js';
import { tempDir } from '../cleanup.js';

test('reads a /proc file whole (stat reports size 0 for it)', async () => {
  const text = await readPseudoFile(`/proc/${process.pid}/stat`);
  assert.match(text, new RegExp(`^${process.pid} \\(`));
  assert.ok(text.endsWith('\n'));
  // /proc/self/maps of a Node process is far longer than the first 4 KiB buffer.
  const maps = await readPseudoFile('/proc/self/maps');
  assert.ok(maps.length > 8 * 1024, `maps is ${maps.length} bytes`);
  assert.ok(maps.endsWith('\n'), 'read to its end');
});

test('a file longer than the first buffer is read whole, multi-byte characters intact', async (t) => {
  const dir = await tempDir(t, 'pseudo');
  const path = join(dir, 'long');
  const content = 'é'.repeat(3000) + 'x'.repeat(20_000) + '\n';
  writeFileSync(path, content);
  assert.equal(await readPseudoFile(path), content);
  assert.equal(await readPseudoFile(path), readFileSync(path, 'utf8'));
  writeFileSync(path, '');
  assert.equal(await readPseudoFile(path), '');
});

test('a missing file rejects with ENOENT, as fs.readFile does', async () => {
  await assert.rejects(readPseudoFile('/proc/999999999/stat'), (err: NodeJS.ErrnoException) => err.code === 'ENOENT');
});

test('mapLimited keeps at most `limit` calls in flight and returns results in order', async () => {
  let inFlight = 0;
  let most = 0;
  const items = Array.from({ length: 50 }, (_, i) => i);
  const out = await mapLimited(items, 4, async (i) => {
    inFlight++;
    most = Math.max(most, inFlight);
    await new Promise((r) => setTimeout(r, (i * 7) % 5));
    inFlight--;
    return i * 2;
  });
  assert.deepEqual(out, items.map((i) => i * 2));
  assert.equal(most, 4);
  assert.deepEqual(await mapLimited([], 4, async () => 1), []);
});
