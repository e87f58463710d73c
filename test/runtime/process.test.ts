import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Container, Pod } from 'kubernetes-types/core/v1';
import { silentLogger } from '../../src/log/index.js';
import { ProcessRuntime, defaultShimPath } from '../../src/runtime/process/index.js';
import { readProcStat } from '../../src/runtime/process/procfs.js';
import { buildShim, shimPath } from './process-helpers.js';
import { RuntimeError, type ContainerRecord } from '../../src/runtime/types.js';

const isRoot = process.getuid?.() === 0;

let dir: string;
/** Container pids (= process group ids) started by the tests: killed in after(), whatever happened. */
const startedGroups = new Set<number>();
const runtimes: ProcessRuntime[] = [];

before(async () => {
  buildShim();
  dir = await mkdtemp(join(tmpdir(), 'berth-process-'));
});

after(async () => {
  for (const runtime of runtimes) await runtime.close();
  for (const pgid of startedGroups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await rm(dir, { recursive: true, force: true });
});

async function newRuntime(rootDir = join(dir, 'root')): Promise<ProcessRuntime> {
  const runtime = new ProcessRuntime({ rootDir, shimPath, logger: silentLogger, nodeIP: '192.0.2.10' });
  runtimes.push(runtime);
  await runtime.init();
  return runtime;
}

let podCounter = 0;

function podWith(container: Container, extra: Partial<Pod['spec']> = {}): Pod {
  podCounter++;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `pod${podCounter}-node1`, namespace: 'default', uid: `uid-${podCounter}` },
    spec: { containers: [container], ...extra },
  };
}

async function start(runtime: ProcessRuntime, container: Container, extra: Partial<Pod['spec']> = {}) {
  const pod = podWith(container, extra);
  const logPath = join(dir, 'logs', `${pod.metadata!.uid}`, container.name, '0.log');
  const record = await runtime.startContainer({
    pod,
    container,
    attempt: 0,
    logPath,
    sandbox: await runtime.runPodSandbox(pod),
  });
  if (record.pid) startedGroups.add(record.pid);
  return { pod, record, logPath };
}

function sh(script: string, extra: Partial<Container> = {}): Container {
  return { name: 'c', image: 'ignored', command: ['sh', '-c', script], ...extra };
}

async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function readLog(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return '';
  }
}

/** The log's lines as [stream, tag, text]; asserts the CRI format of every line. */
function criLines(log: string): Array<[string, string, string]> {
  return log
    .split('\n')
    .filter((l) => l !== '')
    .map((line) => {
      const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z) (stdout|stderr) ([FP]) (.*)$/.exec(line);
      assert.ok(m, `not a CRI log line: ${JSON.stringify(line)}`);
      assert.ok(!Number.isNaN(Date.parse(m[1]!)));
      return [m[2]!, m[3]!, m[4]!];
    });
}

function exitsOf(runtime: ProcessRuntime): ContainerRecord[] {
  const exits: ContainerRecord[] = [];
  runtime.onContainerExit((record) => exits.push(record));
  return exits;
}

function exitFor(exits: ContainerRecord[], id: string): Promise<ContainerRecord> {
  return waitFor(`the exit of ${id}`, () => exits.find((e) => e.id === id));
}

async function gone(pid: number): Promise<boolean> {
  const stat = await readProcStat(pid);
  return stat === undefined || stat.state === 'Z';
}

test('init fails clearly when the shim is missing', async () => {
  const runtime = new ProcessRuntime({ rootDir: join(dir, 'noshim'), shimPath: join(dir, 'nope', 'berth-shim'), logger: silentLogger });
  await assert.rejects(runtime.init(), /nope\/berth-shim is missing.*npm run build/);
});

test('the default shim path is where npm run build puts it', () => {
  assert.equal(defaultShimPath(), shimPath);
});

test('runAsNonRoot with a root user is CreateContainerConfigError', async () => {
  const runtime = await newRuntime();
  await assert.rejects(
    start(runtime, sh('true', { securityContext: { runAsNonRoot: true, runAsUser: 0 } })),
    (err: unknown) => err instanceof RuntimeError && err.reason === 'CreateContainerConfigError' && /runAsUser breaks non-root policy/.test(err.message),
  );
});

test('pods share the host network: the sandbox has the node IP', async () => {
  const runtime = await newRuntime();
  assert.deepEqual(await runtime.runPodSandbox(podWith(sh('true'))), { podIP: '192.0.2.10', hostIP: '192.0.2.10' });
});

test('stdout and stderr land in the log in CRI format; stop reports the SIGTERM exit', async () => {
  const runtime = await newRuntime();
  const exits = exitsOf(runtime);
  const { record, logPath } = await start(runtime, sh('echo hi; echo err >&2; printf "no newline"; sleep 30'));
  assert.equal(record.state, 'running');
  assert.ok(record.pid && record.startedAt);

  const lines = await waitFor('three log lines', async () => {
    const l = criLines(await readLog(logPath));
    return l.length >= 2 && l;
  });
  assert.deepEqual(
    lines.filter(([s]) => s === 'stdout').map(([, t, text]) => [t, text]),
    [['F', 'hi']],
  );
  assert.deepEqual(lines.filter(([s]) => s === 'stderr'), [['stderr', 'F', 'err']]);

  const listed = (await runtime.listContainers()).find((c) => c.id === record.id);
  assert.equal(listed?.state, 'running');
  assert.equal(listed?.pid, record.pid);

  const stopped = await runtime.stopContainer(record.id, 10);
  assert.equal(stopped?.state, 'exited');
  assert.equal(stopped?.exitCode, 143); // SIGTERM: 128 + 15
  assert.equal(stopped?.reason, 'Error');
  assert.ok(await gone(record.pid!));
  // The unterminated last line is flushed when the output ends.
  assert.deepEqual(criLines(await readLog(logPath)).at(-1), ['stdout', 'F', 'no newline']);
  assert.equal((await exitFor(exits, record.id)).exitCode, 143);
  // Stopping again is fine and says the same.
  assert.equal((await runtime.stopContainer(record.id, 1))?.exitCode, 143);
});

test('long lines are split into P chunks ending with an F chunk', async () => {
  const runtime = await newRuntime();
  const exits = exitsOf(runtime);
  const { record, logPath } = await start(runtime, sh('head -c 40000 /dev/zero | tr "\\0" x; echo; echo after'));
  await exitFor(exits, record.id);
  const lines = criLines(await readLog(logPath));
  assert.deepEqual(lines.map(([, tag]) => tag), ['P', 'P', 'F', 'F']);
  assert.equal(lines.slice(0, 3).map(([, , text]) => text).join(''), 'x'.repeat(40000));
  assert.equal(lines[3]![2], 'after');
});

test('exit codes: 3 is Error, 0 is Completed, kill -9 is 137; each reported once', async () => {
  const runtime = await newRuntime();
  const exits = exitsOf(runtime);
  const three = await start(runtime, sh('exit 3'));
  const zero = await start(runtime, sh('exit 0'));
  const killed = await start(runtime, sh('sleep 30'));

  const e3 = await exitFor(exits, three.record.id);
  assert.equal(e3.exitCode, 3);
  assert.equal(e3.reason, 'Error');
  assert.ok(e3.finishedAt);
  const e0 = await exitFor(exits, zero.record.id);
  assert.equal(e0.exitCode, 0);
  assert.equal(e0.reason, 'Completed');

  process.kill(killed.record.pid!, 'SIGKILL');
  const e137 = await exitFor(exits, killed.record.id);
  assert.equal(e137.exitCode, 137);
  assert.equal(e137.reason, 'Error');

  const listed = new Map((await runtime.listContainers()).map((c) => [c.id, c]));
  assert.equal(listed.get(three.record.id)?.exitCode, 3);
  assert.equal(listed.get(three.record.id)?.state, 'exited');
  assert.equal(listed.get(killed.record.id)?.exitCode, 137);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(exits.filter((e) => [three, zero, killed].some((s) => s.record.id === e.id)).length, 3);
});

test('stopContainer: a process that traps SIGTERM exits with its own code', async () => {
  const runtime = await newRuntime();
  const { record, logPath } = await start(runtime, sh('trap "exit 7" TERM; echo ready; while :; do sleep 0.05; done'));
  await waitFor('ready', async () => (await readLog(logPath)).includes('ready'));
  const stopped = await runtime.stopContainer(record.id, 30);
  assert.equal(stopped?.exitCode, 7);
});

test('stopContainer: a process that ignores SIGTERM is killed after the grace period', async () => {
  const runtime = await newRuntime();
  const exits = exitsOf(runtime);
  const { record, logPath } = await start(runtime, sh('trap "" TERM; echo ready; while :; do sleep 0.05; done'));
  await waitFor('ready', async () => (await readLog(logPath)).includes('ready'));
  const stopped = await runtime.stopContainer(record.id, 1);
  assert.equal(stopped?.exitCode, 137);
  assert.equal((await exitFor(exits, record.id)).exitCode, 137);
});

test('the whole process group goes: on stop and when the main process dies', async () => {
  const runtime = await newRuntime();
  const exits = exitsOf(runtime);
  for (const how of ['stop', 'kill'] as const) {
    const { record, logPath } = await start(runtime, sh('sleep 1000 & echo "child $!"; wait'));
    const grandchild = Number(
      await waitFor('the grandchild pid', async () => /child (\d+)/.exec(await readLog(logPath))?.[1]),
    );
    startedGroups.add(grandchild);
    assert.equal(await gone(grandchild), false);
    if (how === 'stop') await runtime.stopContainer(record.id, 5);
    else process.kill(record.pid!, 'SIGKILL');
    await exitFor(exits, record.id);
    await waitFor(`the grandchild sleep to die (${how})`, () => gone(grandchild));
  }
});

test('runAsUser and runAsGroup', { skip: !isRoot && 'needs root' }, async () => {
  const runtime = await newRuntime();
  const exits = exitsOf(runtime);
  const { record, logPath } = await start(
    runtime,
    sh('echo "uid=$(id -u) gid=$(id -g) groups=$(id -G)"', { securityContext: { runAsUser: 65534 } }),
    { securityContext: { runAsGroup: 65533, supplementalGroups: [4242] } },
  );
  assert.equal((await exitFor(exits, record.id)).exitCode, 0);
  assert.deepEqual(criLines(await readLog(logPath)), [['stdout', 'F', 'uid=65534 gid=65533 groups=65533 4242']]);
});

test('workingDir, a clean environment with HOSTNAME and a default PATH', async () => {
  const runtime = await newRuntime();
  const exits = exitsOf(runtime);
  const work = join(dir, 'work dir');
  await mkdir(work);
  process.env.BERTH_TEST_SECRET = 'must-not-leak';
  try {
    const { pod, record, logPath } = await start(
      runtime,
      sh('pwd; env | sort', { workingDir: work, env: [{ name: 'GREETING', value: 'hi $(POD_NAME)' }] }),
    );
    const podName = pod.metadata!.name!;
    assert.equal((await exitFor(exits, record.id)).exitCode, 0);
    const out = criLines(await readLog(logPath)).map(([, , text]) => text);
    assert.equal(out[0], work);
    const env = out.slice(1).filter((l) => !l.startsWith('PWD=') && !l.startsWith('SHLVL=') && !l.startsWith('_='));
    assert.deepEqual(env, [
      'GREETING=hi $(POD_NAME)',
      `HOSTNAME=${podName}`,
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    ]);
  } finally {
    delete process.env.BERTH_TEST_SECRET;
  }
});

test('the command is resolved with the container PATH; args are expanded', async () => {
  const runtime = await newRuntime();
  const exits = exitsOf(runtime);
  const bin = join(dir, 'bin');
  await mkdir(bin, { recursive: true });
  await writeFile(join(bin, 'my-tool'), '#!/bin/sh\necho "tool: $*"\n', { mode: 0o755 });
  const { record, logPath } = await start(runtime, {
    name: 'c',
    command: ['my-tool'],
    args: ['$(WHO)', '$$(WHO)'],
    env: [
      { name: 'PATH', value: `${bin}:/usr/bin:/bin` },
      { name: 'WHO', value: 'world' },
    ],
  });
  assert.equal((await exitFor(exits, record.id)).exitCode, 0);
  assert.deepEqual(criLines(await readLog(logPath)), [['stdout', 'F', 'tool: world $(WHO)']]);
});

test('a command that cannot be executed fails clearly', async () => {
  const runtime = await newRuntime();
  const exits = exitsOf(runtime);
  const notExec = join(dir, 'not-executable');
  await writeFile(notExec, 'echo hi\n', { mode: 0o644 });
  const cases: Array<[Container, RegExp, number]> = [
    [{ name: 'missing', command: ['no-such-command-xyz'] }, /^container "missing": exec: "no-such-command-xyz": executable file not found in \$PATH$/, 127],
    [{ name: 'abs', command: ['/nonexistent/tool'] }, /exec: "\/nonexistent\/tool": stat \/nonexistent\/tool: no such file or directory/, 127],
    [{ name: 'perm', command: [notExec] }, /exec: ".*not-executable": permission denied/, 126],
    [{ name: 'cwd', command: ['true'], workingDir: '/nonexistent-dir' }, /chdir to workingDir "\/nonexistent-dir": no such file or directory/, 128],
  ];
  for (const [container, message, exitCode] of cases) {
    const err = await start(runtime, container).then(
      () => assert.fail(`${container.name} started`),
      (e: unknown) => e,
    );
    assert.ok(err instanceof RuntimeError, String(err));
    assert.equal(err.reason, 'RunContainerError');
    assert.match(err.message, message);
    const listed = (await runtime.listContainers()).find((c) => c.containerName === container.name);
    assert.equal(listed?.state, 'exited');
    assert.equal(listed?.reason, 'StartError');
    assert.equal(listed?.exitCode, exitCode);
    assert.match(listed?.message ?? '', message.source.startsWith('^') ? /exec: / : message);
  }
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(exits, [], 'start failures are reported by the rejection, not as exits');
});

test('no command: CreateContainerConfigError saying what to set', async () => {
  const runtime = await newRuntime();
  await assert.rejects(
    start(runtime, { name: 'web', image: 'nginx' }),
    (err: unknown) =>
      err instanceof RuntimeError &&
      err.reason === 'CreateContainerConfigError' &&
      /container "web": .*cannot use images.*set spec\.containers\[0\]\.command/.test(err.message),
  );
});

test('adoption: a new runtime instance finds running containers and reports their exit', async () => {
  const rootDir = join(dir, 'adopt');
  const first = await newRuntime(rootDir);
  const firstExits = exitsOf(first);
  const done = await start(first, sh('exit 5'));
  const doneExit = await exitFor(firstExits, done.record.id);
  // Without a termination message the agent adds nothing to the shim's exit record: not rewritten.
  const exitFile = join(rootDir, 'containers', done.record.id, 'exit');
  const onDisk = JSON.parse(await readFile(exitFile, 'utf8')) as { exitCode: number; finalized?: boolean };
  assert.equal(onDisk.exitCode, 5);
  assert.equal(onDisk.finalized, undefined);
  assert.equal((await first.listContainers()).find((c) => c.id === done.record.id)?.exitCode, 5);
  const victim = await start(first, sh('sleep 30'));
  const stoppable = await start(first, sh('trap "exit 9" TERM; echo ready; while :; do sleep 0.05; done'));
  await waitFor('ready', async () => (await readLog(stoppable.logPath)).includes('ready'));
  await first.close(); // the agent "crashes": containers keep running

  const second = await newRuntime(rootDir);
  const exits = exitsOf(second);
  const listed = new Map((await second.listContainers()).map((c) => [c.id, c]));
  assert.equal(listed.get(victim.record.id)?.state, 'running');
  assert.equal(listed.get(victim.record.id)?.pid, victim.record.pid);
  assert.equal(listed.get(victim.record.id)?.podName, victim.pod.metadata!.name);
  assert.equal(listed.get(stoppable.record.id)?.state, 'running');
  assert.equal(listed.get(done.record.id)?.state, 'exited');
  assert.equal(listed.get(done.record.id)?.exitCode, 5);
  assert.equal(listed.get(done.record.id)?.finishedAt, doneExit.finishedAt, 'the restarted agent finalizes it to the same record');
  assert.equal(listed.get(done.record.id)?.reason, doneExit.reason);

  process.kill(victim.record.pid!, 'SIGKILL');
  const exit = await exitFor(exits, victim.record.id);
  assert.equal(exit.exitCode, 137);
  assert.equal(exit.state, 'exited');

  const stopped = await second.stopContainer(stoppable.record.id, 30);
  assert.equal(stopped?.exitCode, 9);
  assert.equal((await exitFor(exits, stoppable.record.id)).exitCode, 9);

  await new Promise((r) => setTimeout(r, 1200)); // more than one adoption poll
  assert.deepEqual(exits.map((e) => e.id).sort(), [victim.record.id, stoppable.record.id].sort());

  await second.removeContainer(victim.record.id);
  assert.equal((await second.listContainers()).some((c) => c.id === victim.record.id), false);
  assert.ok(existsSync(victim.logPath), 'the log stays');
});

test('a state folder whose process is gone or whose pid was reused is reported exited', async () => {
  const rootDir = join(dir, 'stale');
  // A pid that is certainly dead: a finished child of ours.
  const dead = spawn('true');
  await new Promise((r) => dead.once('exit', r));
  const self = (await readProcStat(process.pid))!;
  const folders: Array<[string, number]> = [
    ['aa01', process.pid], // alive, but a different process than recorded (start time differs)
    ['aa02', dead.pid!], // gone
  ];
  for (const [id, pid] of folders) {
    const folder = join(rootDir, 'containers', id);
    await mkdir(folder, { recursive: true });
    const meta = {
      id, podUid: 'u', podName: 'p', podNamespace: 'default', containerName: 'c', attempt: 2,
      createdAt: '2024-01-01T00:00:00.000Z', logPath: join(dir, 'stale.log'), command: ['sleep', '1'],
    };
    await writeFile(join(folder, 'meta.json'), JSON.stringify(meta));
    const pidFile = { pid, startTime: self.startTime + 12345, shimPid: pid, shimStartTime: self.startTime + 12345, startedAt: '2024-01-01T00:00:01.000Z' };
    await writeFile(join(folder, 'pid'), JSON.stringify(pidFile));
  }
  const runtime = await newRuntime(rootDir);
  const exits = exitsOf(runtime);
  const first = await runtime.listContainers();
  assert.equal(first.length, 2);
  for (const record of first) {
    assert.equal(record.state, 'exited', record.id);
    assert.equal(record.reason, 'Unknown');
    assert.equal(record.exitCode, undefined);
    assert.equal(record.attempt, 2);
    assert.match(record.message ?? '', /recorded no exit code/);
  }
  const again = await runtime.listContainers();
  assert.deepEqual(
    again.map((r) => r.finishedAt).sort(),
    first.map((r) => r.finishedAt).sort(),
    'the verdict is recorded, not recomputed',
  );
  assert.deepEqual(exits, []);
});
