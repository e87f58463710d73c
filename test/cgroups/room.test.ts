// The hint for a cgroup mkdir that fails because the kernel ran out of cgroup IDs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CGROUP_ID_LIMIT, cgroupRoomHint } from '../../src/cgroups/room.js';

const procCgroups = (memory: number) => `#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpuset\t3\t6\t1\ncpu\t1\t7\t1\nmemory\t4\t${memory}\t1\npids\t8\t32\t1\n`;

test('cgroup room: a controller at the limit is named, with its count and how to clean up under the base', () => {
  const hint = cgroupRoomHint(procCgroups(65_936), '/sys/fs/cgroup/memory/berth');
  assert.match(hint, /memory controller holds 65936 cgroups/);
  assert.match(hint, new RegExp(`allows ${CGROUP_ID_LIMIT}`));
  assert.match(hint, /find \/sys\/fs\/cgroup\/memory\/berth -mindepth 1 -depth -type d -exec rmdir/);
});

test('cgroup room: counts well below the limit, and unreadable or odd text, give no hint', () => {
  assert.equal(cgroupRoomHint(procCgroups(444), '/b'), '');
  assert.equal(cgroupRoomHint(procCgroups(CGROUP_ID_LIMIT - 100), '/b'), '');
  assert.equal(cgroupRoomHint('', '/b'), '');
  assert.equal(cgroupRoomHint('garbage line\nmemory x y z', '/b'), '');
});
