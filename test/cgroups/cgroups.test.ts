// cgroups/ on its own: the mountinfo / proc cgroup parsing and placement for v1, v2 and hybrid
// machines (described by text, as a test cannot change the machine), the kubelet's unit
// conversions, and a v2 hierarchy simulated by a folder (controllers files the kernel would have).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { containerLimits, createContainerCgroup, describeSupport, detectCgroups, readUsage, removeContainerCgroup, sharesToWeight } from '../../src/cgroups/index.js';
import { folderOf, parseCgroupMounts, parseProcCgroup } from '../../src/cgroups/hierarchy.js';
import { tempDir } from '../cleanup.js';

const HYBRID = [
  '30 24 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755',
  '31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate',
  '35 30 0:31 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,memory',
  '36 30 0:32 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,cpu,cpuacct',
  '37 30 0:33 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:17 - cgroup cgroup rw,pids',
].join('\n');

test('mountinfo: cgroup mounts with their controllers; octal escapes in paths', () => {
  const mounts = parseCgroupMounts(`${HYBRID}\n40 30 0:40 /sub /mnt/my\\040cg rw - cgroup cgroup rw,memory`);
  assert.deepEqual(
    mounts.map((m) => [m.fsType, m.mountPoint, m.controllers.join(',')]),
    [
      ['cgroup2', '/sys/fs/cgroup/unified', ''],
      ['cgroup', '/sys/fs/cgroup/memory', 'memory'],
      ['cgroup', '/sys/fs/cgroup/cpu,cpuacct', 'cpu,cpuacct'],
      ['cgroup', '/sys/fs/cgroup/pids', 'pids'],
      ['cgroup', '/mnt/my cg', 'memory'],
    ],
  );
  // Inside a cgroup namespace or a bind mount the mount's root is not "/".
  assert.equal(folderOf(mounts[4]!, '/sub/x'), '/mnt/my cg/x');
  assert.equal(folderOf(mounts[4]!, '/other'), undefined);
});

test('/proc/self/cgroup: v1 hierarchies (shared ones split) and the v2 entry', () => {
  const own = parseProcCgroup('12:pids:/a\n4:cpu,cpuacct:/b\n3:memory:/c/d\n0::/init.scope\n');
  assert.equal(own.get('pids'), '/a');
  assert.equal(own.get('cpu'), '/b');
  assert.equal(own.get('cpuacct'), '/b');
  assert.equal(own.get('memory'), '/c/d');
  assert.equal(own.get(''), '/init.scope');
});

test('a hybrid machine is v1 (its cgroup2 has no controllers); berth/ nests under the agent\'s own cgroups', async (t) => {
  const root = await tempDir(t, 'cg-v1');
  const info = HYBRID.replaceAll('/sys/fs/cgroup', root);
  const support = await detectCgroups({ mountinfo: info, procCgroup: '5:pids:/\n4:cpu,cpuacct:/\n3:memory:/agent\n0::/\n' });
  assert.equal(support.version, 1);
  assert.ok(support.version === 1);
  assert.equal(support.base.memory, join(root, 'memory', 'agent', 'berth'));
  assert.equal(support.base.cpu, join(root, 'cpu,cpuacct', 'berth'));
  assert.equal(support.base.cpuacct, join(root, 'cpu,cpuacct', 'berth'));
  assert.equal(support.base.pids, join(root, 'pids', 'berth'));
  assert.match(describeSupport(support), /^cgroups: v1, /);

  const cg = await createContainerCgroup(support, 'pod-uid', 'abc', containerLimits({ name: 'c', resources: { limits: { memory: '64Mi', cpu: '250m' } } }));
  assert.equal(cg.memory, join(root, 'memory', 'agent', 'berth', 'pod-uid', 'abc'));
  assert.equal(await readFile(join(cg.memory, 'memory.limit_in_bytes'), 'utf8'), String(64 * 2 ** 20));
  assert.equal(await readFile(join(cg.cpu, 'cpu.cfs_quota_us'), 'utf8'), '25000');
  assert.equal(await readFile(join(cg.cpu, 'cpu.cfs_period_us'), 'utf8'), '100000');
  assert.equal(await readFile(join(cg.cpu, 'cpu.shares'), 'utf8'), '256');
});

test('no memory controller and no cgroup2: not usable, with the reason', async () => {
  const support = await detectCgroups({ mountinfo: '22 1 0:5 / /proc rw - proc proc rw', procCgroup: '' });
  assert.equal(support.version, 0);
  assert.match(describeSupport(support), /not usable \(no cgroup filesystem is mounted.*mount one at \/sys\/fs\/cgroup\)/);
});

test('a cgroup folder that cannot be created: not usable, saying why', async (t) => {
  const root = await tempDir(t, 'cg-ro');
  const info = HYBRID.replaceAll('/sys/fs/cgroup', join(root, 'missing-file-is-a-file'));
  await writeFile(join(root, 'missing-file-is-a-file'), 'not a folder');
  const support = await detectCgroups({ mountinfo: info, procCgroup: '3:memory:/\n4:cpu,cpuacct:/\n' });
  assert.equal(support.version, 0);
  assert.ok(support.version === 0);
  assert.match(support.reason, /cannot create the cgroup .*berth/);
});

test('v2: berth/ at the root with memory, cpu and pids enabled for its children; limits in v2 files; usage read', async (t) => {
  const root = await tempDir(t, 'cg-v2');
  await writeFile(join(root, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
  await writeFile(join(root, 'cgroup.subtree_control'), 'memory\n');
  // The kernel creates these files in every new cgroup folder; this fake gets them before use.
  await mkdir(join(root, 'berth', 'pod-1'), { recursive: true });
  for (const f of ['berth', 'berth/pod-1']) {
    await writeFile(join(root, f, 'cgroup.controllers'), 'cpu memory pids\n');
    await writeFile(join(root, f, 'cgroup.subtree_control'), '');
  }
  const support = await detectCgroups({ mountinfo: `25 1 0:30 / ${root} rw - cgroup2 cgroup2 rw`, procCgroup: '0::/user.slice/berth.service\n' });
  assert.equal(support.version, 2);
  assert.ok(support.version === 2);
  assert.equal(support.base, join(root, 'berth'));
  // The kernel accepts "+cpu +pids" written over "memory"; the fake file keeps the last write.
  assert.equal(await readFile(join(root, 'cgroup.subtree_control'), 'utf8'), '+cpu +pids');
  assert.equal(await readFile(join(root, 'berth', 'cgroup.subtree_control'), 'utf8'), '+memory +cpu +pids');

  const cg = await createContainerCgroup(support, 'pod-1', 'c1', containerLimits({ name: 'c', resources: { limits: { memory: '1G', cpu: '1500m' }, requests: { cpu: '100m' } } }));
  assert.equal(cg.memory, join(root, 'berth', 'pod-1', 'c1'));
  assert.equal(await readFile(join(cg.memory, 'memory.max'), 'utf8'), '1000000000');
  assert.equal(await readFile(join(cg.cpu, 'cpu.max'), 'utf8'), '150000 100000');
  assert.equal(await readFile(join(cg.cpu, 'cpu.weight'), 'utf8'), String(sharesToWeight(102)));

  await writeFile(join(cg.cpu, 'cpu.stat'), 'usage_usec 1500\nuser_usec 1000\n');
  await writeFile(join(cg.memory, 'memory.current'), '10000\n');
  await writeFile(join(cg.memory, 'memory.stat'), 'anon 4000\ninactive_file 3000\n');
  await writeFile(join(cg.pids!, 'pids.current'), '3\n');
  const usage = await readUsage(cg);
  assert.equal(usage.cpuUsageNanoSeconds, 1_500_000);
  assert.equal(usage.memoryUsageBytes, 10000);
  assert.equal(usage.memoryWorkingSetBytes, 7000);
  assert.equal(usage.processes, 3);

  // A cgroup with files in it is not removable in this fake (real cgroupfs folders are): the error is returned, not thrown.
  assert.ok((await removeContainerCgroup(cg)) instanceof Error);
});

test('v2 whose root lacks the memory controller: not usable, naming what is missing', async (t) => {
  const root = await tempDir(t, 'cg-v2-nomem');
  await writeFile(join(root, 'cgroup.controllers'), 'cpu pids\n');
  const support = await detectCgroups({ mountinfo: `25 1 0:30 / ${root} rw - cgroup2 cgroup2 rw`, procCgroup: '0::/\n' });
  assert.ok(support.version === 0);
  assert.match(support.reason, /does not offer the memory controller/);
});

test('resources to kernel units as the kubelet converts them', () => {
  assert.deepEqual(containerLimits({ name: 'c' }), {});
  assert.deepEqual(containerLimits({ name: 'c', resources: { limits: { cpu: '100m' } } }), { cpuQuotaUs: 10000, cpuShares: 102 });
  assert.deepEqual(containerLimits({ name: 'c', resources: { limits: { cpu: '1m' } } }), { cpuQuotaUs: 1000, cpuShares: 2 });
  assert.deepEqual(containerLimits({ name: 'c', resources: { requests: { cpu: '2' } } }), { cpuShares: 2048 });
  assert.deepEqual(containerLimits({ name: 'c', resources: { limits: { memory: '1.5Gi' } } }), { memoryBytes: 1.5 * 2 ** 30 });
  assert.deepEqual(containerLimits({ name: 'c', resources: { limits: { memory: '129e6' } } }), { memoryBytes: 129_000_000 });
  assert.equal(sharesToWeight(2), 1);
  assert.equal(sharesToWeight(1024), 39);
  assert.equal(sharesToWeight(262144), 10000);
});
