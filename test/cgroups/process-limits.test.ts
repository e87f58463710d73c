// Resource limits on real process-runtime containers in real cgroups (this machine: v1; CI the
// same): the container is in its own cgroup before its command runs, OOM kills show as
// OOMKilled/137, the CPU limit throttles, usage is readable, and the cgroup goes with the container.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { detectCgroups } from '../../src/cgroups/index.js';
import { harness, sh, waitFor } from '../runtime/process-helpers.js';

const support = await detectCgroups();
// On CI (root, cgroups mounted) these must run: a machine without usable cgroups fails them there.
const skip = support.version === 0 && !process.env.CI ? `cgroups not usable here: ${support.reason}` : false;

/** The container's cgroup folders, from the kernel's view of its process. */
async function cgroupOf(pid: number): Promise<Map<string, string>> {
  const text = await readFile(`/proc/${pid}/cgroup`, 'utf8');
  const result = new Map<string, string>();
  for (const line of text.trim().split('\n')) {
    const [, controllers, path] = line.split(':');
    for (const c of controllers!.split(',')) result.set(c, path!);
  }
  return result;
}

test('the container runs in berth/<pod uid>/<container id>, reads its usage, and the cgroup is removed with it', { skip }, async (t) => {
  const h = await harness(t);
  // Without limits the command does not wait for its move into the cgroup, and memory it touches
  // before the move stays charged where it was: it allocates once the start has returned (the
  // container is in its cgroup by then).
  const go = join(h.dir, 'go');
  const { pod, record } = await h.start(
    sh(`while [ ! -e '${go}' ]; do sleep 0.05; done; a=x; for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do a="$a$a"; done; sleep 60`),
    { spec: { containers: [] } },
  );
  await writeFile(go, '');
  const where = await cgroupOf(record.pid!);
  const key = support.version === 2 ? '' : 'memory';
  assert.ok(where.get(key)?.endsWith(`/berth/${pod.metadata!.uid}/${record.id}`), `cgroup: ${where.get(key)}`);
  const usage = await waitFor('memory usage above 1 MiB', async () => {
    const u = await h.runtime.containerUsage(record.id);
    return u && (u.memoryWorkingSetBytes ?? 0) > 2 ** 20 ? u : undefined;
  });
  assert.ok((usage.cpuUsageNanoSeconds ?? 0) > 0);
  assert.ok((usage.processes ?? 0) >= 1, `processes: ${usage.processes}`);
  assert.ok(usage.memoryUsageBytes! >= usage.memoryWorkingSetBytes!);

  const root = support.version === 1 ? support.base.memory : support.version === 2 ? support.base : '';
  const folder = join(root, pod.metadata!.uid!, record.id);
  assert.ok(existsSync(folder));
  await h.runtime.stopContainer(record.id, 5);
  await h.runtime.removeContainer(record.id);
  assert.equal(existsSync(folder), false, 'the container cgroup is removed');
  assert.equal(existsSync(join(root, pod.metadata!.uid!)), false, 'the pod folder goes with its last container');
});

test('a container over its memory limit is OOM-killed: exit code 137, reason OOMKilled; the cgroup goes at the exit', { skip }, async (t) => {
  const h = await harness(t);
  const { pod, record } = await h.start(sh('a=x; while :; do a="$a$a"; done', { resources: { limits: { memory: '32Mi' } } }));
  const exit = await h.exitOf(record.id, 60_000);
  assert.equal(exit.exitCode, 137);
  assert.equal(exit.reason, 'OOMKilled');
  const root = support.version === 1 ? support.base.memory : support.version === 2 ? support.base : '';
  await waitFor('the cgroup to be removed', () => !existsSync(join(root, pod.metadata!.uid!, record.id)));
});

test('a memory limit smaller than the process needs to start: OOMKilled, not a hang or a start error', { skip }, async (t) => {
  const h = await harness(t);
  const { record } = await h.start(sh('a=x; for i in $(seq 1 30); do a="$a$a"; done; echo unreachable', { resources: { limits: { memory: '1Mi' } } }));
  const exit = await h.exitOf(record.id, 60_000);
  assert.equal(exit.reason, 'OOMKilled');
  assert.equal(exit.exitCode, 137);
});

test('a normal exit under a memory limit is not OOMKilled', { skip }, async (t) => {
  const h = await harness(t);
  const { record } = await h.start(sh('exit 2', { resources: { limits: { memory: '64Mi' } } }));
  const exit = await h.exitOf(record.id);
  assert.equal(exit.exitCode, 2);
  assert.equal(exit.reason, 'Error');
});

test('limits.cpu 100m throttles a busy loop far below the same loop without a limit', { skip }, async (t) => {
  const h = await harness(t);
  const busy = 'while :; do :; done';
  const limited = await h.start(sh(busy, { name: 'limited', resources: { limits: { cpu: '100m' } } }));
  const free = await h.start(sh(busy, { name: 'free' }));
  const first = await Promise.all([h.runtime.containerUsage(limited.record.id), h.runtime.containerUsage(free.record.id)]);
  const startedAt = process.hrtime.bigint();
  // Both loops run side by side for the same wall time; their CPU use is compared, not timed.
  await new Promise((r) => setTimeout(r, 3000));
  const last = await Promise.all([h.runtime.containerUsage(limited.record.id), h.runtime.containerUsage(free.record.id)]);
  const wallNs = Number(process.hrtime.bigint() - startedAt);
  const used = (i: number) => (last[i]!.cpuUsageNanoSeconds ?? 0) - (first[i]!.cpuUsageNanoSeconds ?? 0);
  const limitedShare = used(0) / wallNs;
  const freeShare = used(1) / wallNs;
  t.diagnostic(`cpu used over ${(wallNs / 1e9).toFixed(1)} s: limited ${(limitedShare * 100).toFixed(1)} %, free ${(freeShare * 100).toFixed(1)} %`);
  // 100m is 10 % of one core; allow a generous 2.5x for CFS slack on a loaded machine.
  assert.ok(limitedShare < 0.25, `the limited loop used ${(limitedShare * 100).toFixed(1)} % of a core`);
  // The kernel's own account: the limited cgroup hit its quota again and again.
  const cpuBase = support.version === 1 ? support.base.cpu : support.version === 2 ? support.base : '';
  const stat = await readFile(join(cpuBase, limited.pod.metadata!.uid!, limited.record.id, 'cpu.stat'), 'utf8');
  assert.match(stat, /nr_throttled [1-9]\d*/);
  const freeStat = await readFile(join(cpuBase, free.pod.metadata!.uid!, free.record.id, 'cpu.stat'), 'utf8');
  assert.match(freeStat, /nr_throttled 0\b/);
  // On a machine with a core to spare, the unlimited loop shows the difference directly (on a
  // saturated one it gets little more than the limit itself, and the kernel's count above decides).
  if (freeShare > 0.3) assert.ok(used(0) < used(1) / 2, `limited ${used(0)} ns vs free ${used(1)} ns`);
});

test('without limits the command does not wait for its cgroup, and what it forked meanwhile is in the cgroup once started', { skip }, async (t) => {
  const h = await harness(t);
  // Forks at once, before the shim's move into the cgroup can have finished (it waits for the kernel).
  const { pod, record, logPath } = await h.start(sh('setsid sleep 300 & echo child $!; exec sleep 300'));
  const key = support.version === 2 ? '' : 'memory';
  const inContainerCgroup = (where: Map<string, string>) => where.get(key)?.endsWith(`/berth/${pod.metadata!.uid}/${record.id}`) ?? false;
  assert.ok(inContainerCgroup(await cgroupOf(record.pid!)), 'the container process');
  const child = await waitFor('the child pid in the log', async () => Number(/child (\d+)/.exec(await readFile(logPath, 'utf8'))?.[1]) || undefined);
  const where = await cgroupOf(child);
  assert.ok(inContainerCgroup(where), `the child it forked at once: ${where.get(key)}`);
});

test('a daemon that left the container\'s process group still goes with the container (it is in the cgroup)', { skip }, async (t) => {
  const h = await harness(t);
  const { pod, record, logPath } = await h.start(sh('setsid sh -c "echo daemon \\$\\$; sleep 300" & sleep 0.5; exit 0'));
  await h.exitOf(record.id);
  const text = await readFile(logPath, 'utf8');
  const daemon = Number(/daemon (\d+)/.exec(text)?.[1]);
  assert.ok(daemon > 0, text);
  await waitFor('the daemon to be gone', async () => {
    const stat = await readFile(`/proc/${daemon}/stat`, 'utf8').catch(() => '');
    return stat === '' || / Z /.test(stat);
  });
  const root = support.version === 1 ? support.base.memory : support.version === 2 ? support.base : '';
  await waitFor('the cgroup to be removed', () => !existsSync(join(root, pod.metadata!.uid!, record.id)));
});
