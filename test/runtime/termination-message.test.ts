// The shared termination message rules (the kubelet's limits and fallback), on real files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1';
import {
  DEFAULT_TERMINATION_MESSAGE_PATH,
  createTerminationMessageFile,
  joinMessages,
  logTail,
  podTerminationMessageBudget,
  readTerminationMessage,
  terminationMessageSpec,
  truncateTerminationMessage,
} from '../../src/runtime/termination-message.js';
import { tempDir } from '../cleanup.js';

const criLine = (text: string, tag = 'F', stream = 'stdout'): string => `2024-05-01T10:00:00.000000001Z ${stream} ${tag} ${text}\n`;

test('defaults: /dev/termination-log and policy File', () => {
  assert.deepEqual(terminationMessageSpec({ name: 'c' }), { path: DEFAULT_TERMINATION_MESSAGE_PATH, fallbackToLogsOnError: false });
  assert.deepEqual(terminationMessageSpec({ name: 'c', terminationMessagePath: '/tmp/m', terminationMessagePolicy: 'FallbackToLogsOnError' }), {
    path: '/tmp/m',
    fallbackToLogsOnError: true,
  });
});

test('each attempt gets a new empty file that any user may write', async (t) => {
  const dir = await tempDir(t, 'tmsg');
  const a = await createTerminationMessageFile(join(dir, 'containers', 'c'));
  const b = await createTerminationMessageFile(join(dir, 'containers', 'c'));
  assert.notEqual(a, b);
  assert.equal((await stat(a)).size, 0);
  assert.equal((await stat(a)).mode & 0o777, 0o666);
  assert.equal((await readdir(join(dir, 'containers', 'c'))).length, 2);
});

test('the message is the last 4096 bytes of the file', async (t) => {
  const dir = await tempDir(t, 'tmsg');
  const file = join(dir, 'm');
  await writeFile(file, 'x'.repeat(5000) + 'END');
  const message = await readTerminationMessage({ hostFile: file, fallbackToLogsOnError: false, exitCode: 0, logPath: join(dir, 'none.log') });
  assert.equal(message.length, 4096);
  assert.ok(message.endsWith('xEND'));
});

test('FallbackToLogsOnError: empty file + error exit = the log tail; not on success, not when the file has text, not when it never ran', async (t) => {
  const dir = await tempDir(t, 'tmsg');
  const file = join(dir, 'm');
  const log = join(dir, '0.log');
  await writeFile(file, '');
  await writeFile(log, criLine('first') + criLine('part ', 'P') + criLine('of a line') + criLine('to stderr', 'F', 'stderr'));
  const base = { hostFile: file, fallbackToLogsOnError: true, logPath: log };
  assert.equal(await readTerminationMessage({ ...base, exitCode: 1 }), 'first\npart of a line\nto stderr\n');
  assert.equal(await readTerminationMessage({ ...base, exitCode: 0 }), '');
  assert.equal(await readTerminationMessage({ ...base, exitCode: 1, neverRan: true }), '');
  assert.equal(await readTerminationMessage({ ...base, fallbackToLogsOnError: false, exitCode: 1 }), '');
  // A missing file (container made without one) falls back too.
  assert.equal(await readTerminationMessage({ ...base, hostFile: join(dir, 'gone'), exitCode: 2 }), 'first\npart of a line\nto stderr\n');
  await writeFile(file, 'my own words');
  assert.equal(await readTerminationMessage({ ...base, exitCode: 1 }), 'my own words');
});

test('the log tail is at most 80 lines and 2048 bytes, read from the end of a large log', async (t) => {
  const dir = await tempDir(t, 'tmsg');
  const log = join(dir, '0.log');
  let content = '';
  for (let i = 0; i < 20_000; i++) content += criLine(`line ${i}`);
  await writeFile(log, content);
  const tail = await logTail(log);
  const lines = tail.trimEnd().split('\n');
  assert.equal(lines.length, 80);
  assert.equal(lines[79], 'line 19999');
  assert.equal(lines[0], 'line 19920');
  // Long lines: the 2048-byte cap keeps the end.
  await writeFile(log, criLine('a'.repeat(3000)) + criLine('b'.repeat(100)));
  const capped = await logTail(log);
  assert.equal(Buffer.byteLength(capped), 2048);
  assert.ok(capped.endsWith('b'.repeat(100) + '\n'));
});

test('a message file that is a folder gives the kubelet\'s error text', async (t) => {
  const dir = await tempDir(t, 'tmsg');
  assert.match(await readTerminationMessage({ hostFile: dir, fallbackToLogsOnError: false, exitCode: 1, logPath: '' }), /^Error on reading termination log /);
});

test('12 KiB per pod, split over all its containers; cut on a character boundary', () => {
  const pod = (n: number, init = 0): Pod => ({
    spec: {
      containers: Array.from({ length: n }, (_, i) => ({ name: `c${i}` })),
      initContainers: Array.from({ length: init }, (_, i) => ({ name: `i${i}` })),
    },
  });
  assert.equal(podTerminationMessageBudget(pod(1)), 12 * 1024);
  assert.equal(podTerminationMessageBudget(pod(2, 1)), 4096);
  assert.equal(podTerminationMessageBudget(pod(50)), 245);
  assert.equal(truncateTerminationMessage('short', 245), 'short');
  assert.equal(truncateTerminationMessage('abcdef', 3), 'abc');
  assert.equal(truncateTerminationMessage('aé', 2), 'a'); // é is two bytes
  assert.equal(joinMessages(undefined, ''), undefined);
  assert.equal(joinMessages('OOM', ''), 'OOM');
  assert.equal(joinMessages(undefined, 'bye'), 'bye');
  assert.equal(joinMessages('runtime says', 'bye'), 'runtime says: bye');
});
