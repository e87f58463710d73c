// execSync through the Engine API against real engines: dockerd and Podman's compat service
// (outside CI a missing engine skips its suite; with CI=true it fails, as test/runtime/docker.test.ts).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1';
import { silentLogger } from '../../src/log/index.js';
import { DockerRuntime, EngineClient, isDockerEndpoint } from '../../src/runtime/docker/index.js';
import { StreamDemuxer } from '../../src/runtime/docker/exec.js';
import { RuntimeError, type ContainerRecord } from '../../src/runtime/types.js';

const IMAGE = 'berth.test/busybox:1';
const inCI = process.env.CI === 'true';
const ENGINES = [
  { name: 'docker', endpoint: process.env.BERTH_TEST_DOCKER_ENDPOINT ?? 'unix:///var/run/docker.sock', script: 'scripts/docker-up.sh' },
  { name: 'podman', endpoint: process.env.BERTH_TEST_PODMAN_ENDPOINT ?? 'unix:///run/podman/podman.sock', script: 'scripts/podman-up.sh' },
];

test('the multiplexed stream is split into stdout and stderr, also when frames are cut across chunks', () => {
  const frame = (stream: number, text: string): Buffer => {
    const payload = Buffer.from(text);
    const header = Buffer.alloc(8);
    header[0] = stream;
    header.writeUInt32BE(payload.length, 4);
    return Buffer.concat([header, payload]);
  };
  const all = Buffer.concat([frame(1, 'out one\n'), frame(2, 'err\n'), frame(1, ''), frame(1, 'out two')]);
  const demux = new StreamDemuxer();
  for (let i = 0; i < all.length; i += 3) demux.push(all.subarray(i, i + 3));
  assert.equal(demux.stdout().toString(), 'out one\nout two');
  assert.equal(demux.stderr().toString(), 'err\n');
});

for (const engine of ENGINES) {
  const reachable = await isDockerEndpoint(engine.endpoint, 3000);
  if (!reachable && inCI) {
    test(`${engine.name}: the engine answers at ${engine.endpoint}`, () => {
      assert.fail(`no ${engine.name} engine answers at ${engine.endpoint}; CI must start it with \`sudo ${engine.script}\``);
    });
    continue;
  }
  describe(`execSync on ${engine.name}`, { skip: reachable ? false : `no ${engine.name} engine at ${engine.endpoint}; start it with \`sudo ${engine.script}\`` }, () => {
    const nodeName = `berth-exec-${engine.name}-${process.pid}`;
    const client = new EngineClient(engine.endpoint);
    let dir: string;
    let runtime: DockerRuntime;
    let record: ContainerRecord;
    let counter = 0;

    async function start(spec: Pod['spec']): Promise<ContainerRecord> {
      counter++;
      const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: `exec${counter}-${engine.name}`, namespace: 'default', uid: `${nodeName}-${counter}` }, spec };
      const container = pod.spec!.containers[0]!;
      const sandbox = await runtime.runPodSandbox(pod);
      return runtime.startContainer({ pod, container, attempt: 0, logPath: join(dir, 'pods', pod.metadata!.uid!, container.name, '0.log'), sandbox });
    }

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), `berth-exec-${engine.name}-`));
      runtime = new DockerRuntime({ endpoint: engine.endpoint, podLogsDir: join(dir, 'pods'), logger: silentLogger, nodeName, nodeIP: '192.0.2.10', volumesDir: join(dir, 'volumes') });
      await runtime.init();
      record = await start({
        hostNetwork: true,
        securityContext: { runAsUser: 1234, runAsGroup: 2345, supplementalGroups: [3456] },
        containers: [{ name: 'c', image: IMAGE, imagePullPolicy: 'Never', command: ['sleep', '300'], env: [{ name: 'GREETING', value: 'hello' }], workingDir: '/tmp' }],
      });
    });

    after(async () => {
      await runtime?.close().catch(() => undefined);
      const filters = JSON.stringify({ label: [`berth.node=${nodeName}`] });
      const left = (await client.json<Array<{ Id: string }>>('GET', '/containers/json', { query: { all: true, filters } })) ?? [];
      for (const c of left) await client.call('DELETE', `/containers/${c.Id}`, { query: { force: true } }, [404]).catch(() => undefined);
      client.close();
      await rm(dir, { recursive: true, force: true });
    });

    test('stdout, stderr and the exit code come back apart; the command has the container\'s env, dir and user', async () => {
      const result = await runtime.execSync(record.id, ['sh', '-c', 'echo "$GREETING from $(pwd) as $(id -u):$(id -g) $(id -G)"; echo oops >&2; exit 3'], 10_000);
      assert.equal(result.timedOut, false);
      assert.equal(result.exitCode, 3);
      assert.equal(result.stdout.toString(), 'hello from /tmp as 1234:2345 2345 3456\n');
      assert.equal(result.stderr.toString(), 'oops\n');
    });

    test('large output arrives whole', async () => {
      const result = await runtime.execSync(record.id, ['sh', '-c', 'head -c 1000000 /dev/zero | tr "\\0" x'], 20_000);
      assert.equal(result.exitCode, 0);
      assert.equal(result.stdout.length, 1_000_000);
    });

    test('a command that does not exist gives 127, one that cannot be executed 126', async () => {
      const missing = await runtime.execSync(record.id, ['no-such-command'], 10_000);
      assert.equal(missing.exitCode, 127, `stderr: ${missing.stderr} stdout: ${missing.stdout}`);
      assert.match(missing.stderr.toString(), /no-such-command/);
      assert.equal(missing.stdout.length, 0);
      const notExecutable = await runtime.execSync(record.id, ['/etc/passwd'], 10_000);
      assert.equal(notExecutable.exitCode, 126, `stderr: ${notExecutable.stderr} stdout: ${notExecutable.stdout}`);
    });

    test('the timeout ends the call and kills the exec\'d process', async () => {
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
      const done = await start({ hostNetwork: true, containers: [{ name: 'c', image: IMAGE, imagePullPolicy: 'Never', command: ['sleep', '300'] }] });
      await runtime.stopContainer(done.id, 0);
      await assert.rejects(runtime.execSync(done.id, ['true'], 5_000), (err: unknown) => err instanceof RuntimeError && err.reason === 'ContainerNotRunning' && /not running/.test(err.message));
    });
  });
}
