// Finding an OOM kill in the kernel log, on a file in /dev/kmsg's format and on the real log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { oomKilledInCgroup } from '../../src/runtime/oom.js';
import { tempDir } from '../cleanup.js';

test('an oom-kill record names the killed task\'s memory cgroup', async (t) => {
  const dir = await tempDir(t, 'oom');
  const log = join(dir, 'kmsg');
  await writeFile(
    log,
    '6,100,1904796497,-;Memory cgroup out of memory: Killed process 14278 (dd)\n' +
      '6,99,1904796400,-;oom-kill:constraint=CONSTRAINT_MEMCG,task_memcg=/docker/other999,task=x,pid=1,uid=0\n' +
      '6,101,1912458951,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=libpod-abc,mems_allowed=0,' +
      'oom_memcg=/libpod_parent/libpod-abc123,task_memcg=/libpod_parent/libpod-abc123,task=dd,pid=14427,uid=0\n',
  );
  assert.equal(await oomKilledInCgroup('abc123', log), true);
  assert.equal(await oomKilledInCgroup('def456', log), false);
  assert.equal(await oomKilledInCgroup('', log), false);
  assert.equal(await oomKilledInCgroup('abc123', join(dir, 'missing')), false);
});

test('the real kernel log can be read to its end without blocking', async () => {
  // Whatever it holds, a name no cgroup has is not found, and the call returns.
  assert.equal(await oomKilledInCgroup('berth-no-such-cgroup-7f3a9c'), false);
});
