// The process runtime's state folder keeps what it knows will not change (meta.json, the pid file,
// final exit records) in memory, and nothing else: what the shim writes later is still seen.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { StateDir, type ContainerMeta } from '../../src/runtime/process/state.js';
import { tempDir } from '../cleanup.js';

const meta = (id: string): ContainerMeta => ({
  id,
  podUid: 'u1',
  podName: 'web',
  podNamespace: 'default',
  containerName: 'c',
  attempt: 0,
  createdAt: new Date().toISOString(),
  logPath: '/dev/null',
  command: ['sleep', '1'],
});

test('meta and pid are read once; a copy is kept, so later changes to the written object do not leak', async (t) => {
  const state = new StateDir(await tempDir(t, 'state'));
  const id = 'aa01';
  mkdirSync(state.dir(id), { recursive: true });
  const m = meta(id);
  await state.writeMeta(m);
  m.gracePeriodSeconds = 42; // the writer goes on changing its object before it writes it again
  assert.equal((await state.readMeta(id))?.gracePeriodSeconds, undefined);
  await state.writeMeta(m);
  assert.equal((await state.readMeta(id))?.gracePeriodSeconds, 42);

  assert.equal(await state.readPid(id), undefined, 'not started yet');
  const pid = { pid: 7, startTime: 1, shimPid: 6, shimStartTime: 1, startedAt: 'now' };
  writeFileSync(join(state.dir(id), 'pid'), JSON.stringify(pid)); // as the shim writes it
  assert.deepEqual(await state.readPid(id), pid, 'a pid file that appears later is seen');
});

test('an exit record the agent will rewrite is read again; a final one is kept; remove() forgets all', async (t) => {
  const state = new StateDir(await tempDir(t, 'state'));
  const id = 'bb02';
  mkdirSync(state.dir(id), { recursive: true });
  await state.writeMeta(meta(id));
  const exitFile = join(state.dir(id), 'exit');
  writeFileSync(exitFile, JSON.stringify({ exitCode: 0, signal: 0, finishedAt: 'then' })); // the shim's
  assert.equal((await state.readExit(id))?.finalized, undefined);
  await state.writeExit(id, { exitCode: 0, signal: 0, finishedAt: 'then', finalized: true, message: 'bye' });
  assert.equal((await state.readExit(id))?.message, 'bye');
  // Final: kept in memory (the file is not read again).
  writeFileSync(exitFile, 'not json any more');
  assert.equal((await state.readExit(id))?.message, 'bye');

  await state.remove(id);
  assert.equal(await state.readMeta(id), undefined);
  assert.equal(await state.readPid(id), undefined);
  assert.equal(await state.readExit(id), undefined);
});
