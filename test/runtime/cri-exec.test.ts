// ExecSync through the CRI against a real containerd: output, exit codes, the container's user and
// env, commands that cannot run, the timeout, and containers that are not running.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CriRuntime } from '../../src/runtime/cri/index.js';
import { RuntimeError, type ContainerRecord } from '../../src/runtime/types.js';
import { BUSYBOX, CriTestEnv, criSkipReason } from './cri-harness.js';

const skip = await criSkipReason();

describe('CRI ExecSync with containerd', { skip }, () => {
  const env = new CriTestEnv();
  let runtime: CriRuntime;
  let record: ContainerRecord;

  before(async () => {
    await env.setup();
    runtime = env.runtime();
    await runtime.init();
    const pod = env.pod('exec', {
      hostNetwork: true,
      securityContext: { runAsUser: 1234, runAsGroup: 2345, supplementalGroups: [3456] },
      containers: [
        {
          name: 'c',
          image: BUSYBOX,
          imagePullPolicy: 'IfNotPresent',
          command: ['sleep', '300'],
          env: [{ name: 'GREETING', value: 'hello' }],
          workingDir: '/tmp',
        },
      ],
    });
    record = await env.start(runtime, pod);
  });

  after(() => env.cleanup());

  test('stdout, stderr and the exit code come back apart; the command has the container\'s env, dir and user', async () => {
    const result = await runtime.execSync(record.id, ['sh', '-c', 'echo "$GREETING from $(pwd) as $(id -u):$(id -g) $(id -G)"; echo oops >&2; exit 3'], 10_000);
    assert.equal(result.timedOut, false);
    assert.equal(result.exitCode, 3);
    assert.equal(result.stdout.toString(), 'hello from /tmp as 1234:2345 2345 3456\n');
    assert.equal(result.stderr.toString(), 'oops\n');
  });

  test('a command that does not exist gives 127, one that cannot be executed 126, with the runtime\'s reason', async () => {
    const missing = await runtime.execSync(record.id, ['no-such-command'], 10_000);
    assert.equal(missing.exitCode, 127);
    assert.match(missing.stderr.toString(), /executable file not found/);
    const notExecutable = await runtime.execSync(record.id, ['/etc/passwd'], 10_000);
    assert.equal(notExecutable.exitCode, 126);
    const ok = await runtime.execSync(record.id, ['true'], 10_000);
    assert.equal(ok.exitCode, 0);
  });

  test('the timeout ends the call and kills the command', async () => {
    const result = await runtime.execSync(record.id, ['sleep', '77'], 1500);
    assert.equal(result.timedOut, true);
    assert.equal(result.exitCode, -1);
    const deadline = Date.now() + 15_000;
    for (;;) {
      const ps = await runtime.execSync(record.id, ['ps', '-o', 'args'], 10_000);
      if (!/sleep 77/.test(ps.stdout.toString())) break;
      assert.ok(Date.now() < deadline, `the timed-out command still runs:\n${ps.stdout}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  test('an unknown container or one that is not running is a RuntimeError', async () => {
    await assert.rejects(runtime.execSync('no-such-container-id', ['true'], 5_000), (err: unknown) => err instanceof RuntimeError && err.reason === 'ContainerNotFound');
    const pod = env.pod('done', { hostNetwork: true, containers: [{ name: 'c', image: BUSYBOX, imagePullPolicy: 'IfNotPresent', command: ['sleep', '300'] }] });
    const done = await env.start(runtime, pod);
    await runtime.stopContainer(done.id, 0);
    await assert.rejects(runtime.execSync(done.id, ['true'], 5_000), (err: unknown) => err instanceof RuntimeError && err.reason === 'ContainerNotRunning' && /not running/.test(err.message));
  });
});
