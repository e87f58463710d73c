// execSync on the process runtime against real processes: the container's user, groups, env and
// working dir; exit codes of commands that cannot run; the timeout kills the whole process group.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Container, Pod } from 'kubernetes-types/core/v1';
import { silentLogger } from '../../src/log/index.js';
import { ProcessRuntime } from '../../src/runtime/process/index.js';
import { buildShim, shimPath } from './process-helpers.js';
import { RuntimeError } from '../../src/runtime/types.js';
import { defer, tempDir, type TestLike } from '../cleanup.js';

const isRoot = process.getuid?.() === 0;


let counter = 0;

/** A runtime with one running container; everything is stopped and removed after the test. */
async function running(t: TestLike, container: Partial<Container> = {}, spec: Partial<Pod['spec']> = {}) {
  buildShim();
  const dir = await tempDir(t, 'exec');
  const runtime = new ProcessRuntime({ rootDir: join(dir, 'root'), shimPath, logger: silentLogger, nodeIP: '192.0.2.10' });
  await runtime.init();
  counter++;
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `exec${counter}-node1`, namespace: 'default', uid: `uid-exec-${counter}` },
    spec: { containers: [{ name: 'c', image: 'ignored', command: ['sleep', '300'], ...container }], ...spec },
  };
  const record = await runtime.startContainer({
    pod,
    container: pod.spec!.containers[0]!,
    attempt: 0,
    logPath: join(dir, 'logs', 'c', '0.log'),
    sandbox: await runtime.runPodSandbox(pod),
  });
  defer(t, async () => {
    await runtime.removeContainer(record.id).catch(() => undefined);
    await runtime.close();
  });
  return { runtime, record, dir };
}

test('execSync runs in the container context: env, working dir, exit code, stdout and stderr apart', async (t) => {
  const { runtime, record, dir } = await running(t, {
    env: [{ name: 'GREETING', value: 'hello' }],
    workingDir: '/tmp',
  });
  const result = await runtime.execSync(record.id, ['sh', '-c', 'echo "$GREETING from $(pwd)"; echo oops >&2; exit 3'], 10_000);
  assert.equal(result.exitCode, 3);
  assert.equal(result.timedOut, false);
  assert.equal(result.stdout.toString(), 'hello from /tmp\n');
  assert.equal(result.stderr.toString(), 'oops\n');
  // Nothing from the agent's own environment leaks in, as nothing does into the container.
  const env = await runtime.execSync(record.id, ['env'], 10_000);
  assert.equal(env.exitCode, 0);
  assert.match(env.stdout.toString(), /^HOSTNAME=exec\d+-node1$/m);
  assert.doesNotMatch(env.stdout.toString(), /^NODE_OPTIONS=|^npm_/m);
  assert.ok(dir);
});

test('execSync uses the container\'s uid, gid and supplementary groups', { skip: !isRoot && 'needs root to change user' }, async (t) => {
  const { runtime, record } = await running(t, { securityContext: { runAsUser: 1234, runAsGroup: 2345 } }, {
    securityContext: { supplementalGroups: [3456, 4567] },
  });
  const ids = await runtime.execSync(record.id, ['sh', '-c', 'id -u; id -g; id -G'], 10_000);
  assert.equal(ids.exitCode, 0, ids.stderr.toString());
  const [uid, gid, groups] = ids.stdout.toString().trim().split('\n');
  assert.equal(uid, '1234');
  assert.equal(gid, '2345');
  const execGroups = groups!.split(' ').map(Number).sort();
  assert.ok(execGroups.includes(3456) && execGroups.includes(4567), `supplementalGroups missing: ${groups}`);
  // Exactly what the container's own process has.
  const status = await readFile(`/proc/${record.pid}/status`, 'utf8');
  assert.match(status, /^Uid:\s+1234\s/m);
  const containerGroups = /^Groups:\s*(.*)$/m.exec(status)![1]!.trim().split(/\s+/).map(Number).sort();
  assert.deepEqual([...new Set([...execGroups])].filter((g) => g !== 2345), containerGroups.filter((g) => g !== 2345));
});

test('a command that does not exist gives 127, one that is not executable 126, as a shell would', async (t) => {
  const { runtime, record, dir } = await running(t);
  const missing = await runtime.execSync(record.id, ['no-such-command-here'], 10_000);
  assert.equal(missing.exitCode, 127);
  assert.match(missing.stderr.toString(), /no-such-command-here.*not found in \$PATH/);
  const missingPath = await runtime.execSync(record.id, ['/nonexistent/bin/tool'], 10_000);
  assert.equal(missingPath.exitCode, 127);
  const plain = join(dir, 'plain-file');
  await mkdir(dir, { recursive: true });
  await import('node:fs/promises').then((fs) => fs.writeFile(plain, 'not a program', { mode: 0o644 }));
  const notExecutable = await runtime.execSync(record.id, [plain], 10_000);
  assert.equal(notExecutable.exitCode, 126);
  assert.match(notExecutable.stderr.toString(), /not an executable file/);
  // The container itself is untouched by failed execs.
  const ok = await runtime.execSync(record.id, ['true'], 10_000);
  assert.equal(ok.exitCode, 0);
});

test('the timeout kills the exec\'d command and everything it started', async (t) => {
  const { runtime, record, dir } = await running(t);
  const pidFile = join(dir, 'grandchild.pid');
  const result = await runtime.execSync(record.id, ['sh', '-c', `sleep 300 & echo $! > ${pidFile}; echo started; wait`], 500);
  assert.equal(result.timedOut, true);
  assert.equal(result.exitCode, -1);
  assert.equal(result.stdout.toString(), 'started\n');
  const grandchild = Number(await readFile(pidFile, 'utf8'));
  await waitGone(grandchild);
  // The container keeps running.
  assert.equal((await runtime.listContainers()).find((c) => c.id === record.id)?.state, 'running');
});

test('a background child that keeps the output open does not hold execSync past the command\'s exit', async (t) => {
  const { runtime, record } = await running(t);
  const result = await runtime.execSync(record.id, ['sh', '-c', 'sleep 30 & echo done'], 20_000);
  assert.equal(result.exitCode, 0);
  assert.equal(result.timedOut, false);
  assert.equal(result.stdout.toString(), 'done\n');
});

test('execSync into a container that is not running, or unknown, is a RuntimeError', async (t) => {
  const { runtime, record } = await running(t, { command: ['sh', '-c', 'exit 0'] });
  await waitUntil(async () => (await runtime.listContainers()).find((c) => c.id === record.id)?.state === 'exited');
  await assert.rejects(
    runtime.execSync(record.id, ['true'], 5_000),
    (err: unknown) => err instanceof RuntimeError && err.reason === 'ContainerNotRunning' && /is not running/.test(err.message),
  );
  await assert.rejects(
    runtime.execSync('0123abcd', ['true'], 5_000),
    (err: unknown) => err instanceof RuntimeError && err.reason === 'ContainerNotFound',
  );
});

test('the container state holding its environment is readable by its owner only', async (t) => {
  const { record, dir } = await running(t, { env: [{ name: 'SECRET', value: 's3cret' }] });
  const meta = join(dir, 'root', 'containers', record.id, 'meta.json');
  assert.match(await readFile(meta, 'utf8'), /s3cret/);
  assert.equal((await stat(meta)).mode & 0o077, 0);
});

async function waitUntil(check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function waitGone(pid: number): Promise<void> {
  await waitUntil(async () => {
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      return / [ZX] /.test(stat.slice(stat.lastIndexOf(')')));
    } catch {
      return true;
    }
  });
}
