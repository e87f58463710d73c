// The shim spawner (spawner.c through spawner.ts), with the real helper process and real children:
// the handshake, exit codes, errors, what a child inherits, release, many at once, and the helper
// dying under live children.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnShim, startSpawner, type SpawnedShim } from '../../src/runtime/process/spawner.js';
import { buildShim } from './process-helpers.js';
import { tempDir } from '../cleanup.js';

const spawnerPath = fileURLToPath(new URL('../../dist/berth-spawner', import.meta.url));

// The spawner never keeps a process alive once no spawn waits for its handshake (the agent has
// its own reasons to run); here the tests wait for exits, so something else keeps this one up.
const keepAlive = setInterval(() => {}, 1000);
after(() => clearInterval(keepAlive));

function ready(): void {
  buildShim();
  startSpawner(spawnerPath);
}

function exitOf(shim: SpawnedShim): Promise<number | null> {
  return new Promise((resolve) => shim.once('exit', resolve));
}

const sh = (script: string, env: Record<string, string> = {}) => spawnShim('/bin/sh', ['-c', script], { PATH: '/usr/bin:/bin', ...env });

async function waitFor(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('spawner: the first stdout line is the handshake, then the exit code comes back', async () => {
  ready();
  const shim = sh('echo "123 456"; exit 3');
  const exit = exitOf(shim);
  assert.deepEqual(await shim.started, { pid: 123, startTime: 456 });
  assert.equal(await exit, 3);
  assert.equal(shim.exitCode, 3);
  assert.ok(Number.isInteger(shim.pid) && shim.pid! > 1, `a pid: ${shim.pid}`);
});

test('spawner: a child that exits without a handshake resolves started with undefined; a signal gives exit code null', async () => {
  ready();
  const quiet = sh('exit 7');
  assert.equal(await quiet.started, undefined);
  assert.equal(quiet.exitCode, 7);
  const killed = sh('kill -9 $$');
  const exit = exitOf(killed);
  assert.equal(await killed.started, undefined);
  assert.equal(await exit, null);
});

test('spawner: a file that cannot be run rejects with Node\'s wording and the errno as the code', async (t) => {
  ready();
  const shim = spawnShim('/nonexistent/berth-shim', [], {});
  await assert.rejects(shim.started, (err: NodeJS.ErrnoException) => err.code === 'ENOENT' && err.message === 'spawn /nonexistent/berth-shim ENOENT');
  const dir = await tempDir(t, 'berth-spawner-');
  writeFileSync(join(dir, 'plain'), 'not a program', { mode: 0o600 });
  const notExecutable = spawnShim(join(dir, 'plain'), [], {});
  await assert.rejects(notExecutable.started, (err: NodeJS.ErrnoException) => err.code === 'EACCES');
});

test('spawner: arguments and env arrive exactly; the child has its own session, /dev/null stdin and no other descriptors', async (t) => {
  ready();
  const dir = await tempDir(t, 'berth-spawner-');
  const script = [
    `printf '%s\\n' "$#" "$1" "$2" "$X" > ${dir}/args`,
    `cut -d' ' -f6 /proc/$$/stat > ${dir}/session`,
    `echo $$ > ${dir}/pid`,
    'echo "1 2"',
    'exec sleep 30',
  ].join('\n');
  const shim = spawnShim('/bin/sh', ['-c', script, 'arg0', 'a b', 'line\nbreak'], { PATH: '/usr/bin:/bin', X: 'é=1' });
  assert.deepEqual(await shim.started, { pid: 1, startTime: 2 });
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');
  assert.equal(read('args'), '2\na b\nline\nbreak\né=1\n');
  assert.equal(read('session'), read('pid'), 'the child leads a session of its own (detached)');
  const exit = exitOf(shim);
  process.kill(shim.pid!, 'SIGKILL');
  assert.equal(await exit, null);
  // A program that opens nothing itself: what it has is what it was given.
  const bare = spawnShim('/bin/sleep', ['30'], {});
  await waitFor('the pid', () => bare.pid !== undefined);
  assert.deepEqual(readdirSync(`/proc/${bare.pid}/fd`).sort(), ['0', '1', '2'], 'only stdin, stdout and stderr are open');
  assert.equal(readlinkSync(`/proc/${bare.pid}/fd/0`), '/dev/null');
  assert.match(readlinkSync(`/proc/${bare.pid}/fd/1`), /^(pipe|socket):/);
  assert.equal(readlinkSync(`/proc/${bare.pid}/fd/2`), '/dev/null');
  const bareExit = exitOf(bare);
  process.kill(bare.pid!, 'SIGKILL');
  assert.equal(await bareExit, null);
});

test('spawner: after release nothing more is reported, and the child keeps running', async () => {
  ready();
  const shim = sh('echo "1 1"; exec sleep 30');
  await shim.started;
  let exited = false;
  shim.on('exit', () => (exited = true));
  shim.release();
  process.kill(shim.pid!, 0); // still there
  process.kill(shim.pid!, 'SIGKILL');
  // Reaped by the helper all the same: no zombie left behind.
  await waitFor('the released child to be reaped', () => !existsSync(`/proc/${shim.pid}`));
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(exited, false);
});

test('spawner: 300 children at once all report their handshake and exit', async () => {
  ready();
  const shims = Array.from({ length: 300 }, (_, i) => sh(`echo "${i} ${i}"; exit ${i % 256}`));
  const exits = shims.map(exitOf);
  const started = await Promise.all(shims.map((s) => s.started));
  assert.deepEqual(
    started.map((s) => s?.pid),
    shims.map((_, i) => i),
  );
  assert.deepEqual(await Promise.all(exits), shims.map((_, i) => i % 256));
});

test('spawner: when the helper dies, live children are reported exited and the next spawn starts a new helper', async () => {
  ready();
  const shim = sh('echo "5 5"; exec sleep 30');
  await shim.started;
  const helper = Number(execFileSync('pgrep', ['-P', String(process.pid), '-x', 'berth-spawner'], { encoding: 'utf8' }).trim().split('\n')[0]);
  assert.ok(helper > 1, 'the helper runs as a child of this process');
  const exit = exitOf(shim);
  process.kill(helper, 'SIGKILL');
  assert.equal(await exit, null);
  // The child itself still runs: the runtime then watches its container through /proc.
  process.kill(shim.pid!, 0);
  process.kill(shim.pid!, 'SIGKILL');
  const next = sh('echo "9 9"; exit 0');
  assert.deepEqual(await next.started, { pid: 9, startTime: 9 });
});
