// The agent's disks as an operator meets them: a read-only or full root dir at start is a clear
// error and exit code 1; one that turns read-only while the agent runs makes /healthz fail with
// that reason (and recover); an argument too long for the kernel is refused naming its field and
// leaves no state folder behind.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BERTH, containerState, NODE, shPod, startBerth, waitFor, workspace, type Berth } from './harness.js';

const asRoot = process.getuid?.() === 0;

describe('root dir storage', { skip: asRoot ? false : 'needs root to mount a tmpfs' }, () => {
  const ws = workspace();
  const mounts: string[] = [];
  let berth: Berth | undefined;
  const mountTmpfs = (dir: string, options: string) => {
    mkdirSync(dir, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]);
    mounts.push(dir);
  };
  after(async () => {
    await berth?.stop();
    for (const m of mounts.reverse()) spawnSync('umount', ['-l', m]);
    await ws.cleanup();
  });
  const run = (rootDir: string) =>
    spawnSync(process.execPath, [BERTH, 'run', `--root-dir=${rootDir}`, `--pod-logs-dir=${join(ws.dir, 'logs')}`, '--port=0', '--serve-api=false'], { encoding: 'utf8', timeout: 30_000 });

  it('a read-only root dir at start: says read-only (not "no such file"), exit code 1', () => {
    const ro = join(ws.dir, 'ro');
    mountTmpfs(ro, 'size=1m,ro');
    for (const rootDir of [ro, join(ro, 'not-yet')]) {
      const r = run(rootDir);
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`--root-dir ${rootDir} cannot be used: it is on a read-only file system: remount it read-write or give a writable folder with --root-dir`));
      assert.doesNotMatch(r.stderr, /no such file or directory/i);
    }
  });

  it('a full root dir at start: says the disk is full, exit code 1', () => {
    const full = join(ws.dir, 'full');
    mountTmpfs(full, 'size=64k');
    spawnSync('sh', ['-c', `cat /dev/zero > ${full}/filler`]);
    const r = run(full);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /--root-dir .*full cannot be used: the disk is full: free space or give another folder with --root-dir/);
  });

  it('/healthz fails with the reason while the root dir is read-only, and recovers', async () => {
    const root = join(ws.dir, 'live-root');
    mountTmpfs(root, 'size=64m');
    berth = await startBerth({ ...ws, root }, ['--serve-api=false']);
    assert.equal((await berth.get('/healthz')).status, 200);
    execFileSync('mount', ['-o', 'remount,ro', root]);
    const sick = await waitFor(async () => {
      const r = await berth!.get('/healthz');
      return r.status !== 200 ? r : undefined;
    }, '/healthz fails', 60_000);
    assert.match(sick.body, /read-only file system/);
    assert.match(sick.body, new RegExp(`--root-dir ${root}`));
    execFileSync('mount', ['-o', 'remount,rw', root]);
    await waitFor(async () => (await berth!.get('/healthz')).status === 200, '/healthz recovers', 60_000);
  });
});

describe('an argument too long for the kernel (process runtime)', () => {
  const ws = workspace();
  let berth: Berth | undefined;
  after(async () => {
    await berth?.stop();
    await ws.cleanup();
  });

  it('is refused naming the container and field, and leaves no state folder behind', async () => {
    berth = await startBerth(ws, ['--serve-api=false']);
    ws.write('huge.yaml', shPod('huge', `echo ${'x'.repeat(200 * 1024)}`));
    const waiting = await waitFor(async () => containerState(await berth!.pod(`huge-${NODE}`))?.state?.waiting?.message, 'the pod says why it cannot start', 60_000);
    assert.match(waiting, /container "main": spec\.containers\[0\]\.command\[2\] is 2048\d\d bytes, more than the 131071 bytes the kernel accepts for one argument/);
    assert.doesNotMatch(waiting, /spawn E2BIG/);
    assert.equal(containerState(await berth.pod(`huge-${NODE}`))?.state?.waiting?.reason, 'CreateContainerError');
    assert.deepEqual(readdirSync(join(ws.root, 'containers')), []);
  });
});
