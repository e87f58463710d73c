// Podman answers an inspect with 500 "read /proc/<pid>/cgroup: no such process" in the moment a
// container's process dies (seen in CI right after an OOM kill). The runtime asks again instead of
// failing the whole listing. A fake engine on a unix socket plays that answer.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../../src/log/index.js';
import { DOCKER_LABELS, DockerRuntime } from '../../src/runtime/docker/index.js';

const NODE = 'my-node1';

function inspectBody(): Record<string, unknown> {
  return {
    Id: 'c1',
    Created: '2026-12-03T10:00:00Z',
    Config: {
      Labels: {
        [DOCKER_LABELS.managed]: 'true',
        [DOCKER_LABELS.node]: NODE,
        [DOCKER_LABELS.type]: 'container',
        [DOCKER_LABELS.podUid]: 'uid-1',
        [DOCKER_LABELS.podName]: 'web-my-node1',
        [DOCKER_LABELS.podNamespace]: 'default',
        [DOCKER_LABELS.containerName]: 'web',
      },
    },
    State: { Status: 'exited', Pid: 0, ExitCode: 137, OOMKilled: true, StartedAt: '2026-12-03T10:00:01Z', FinishedAt: '2026-12-03T10:00:02Z' },
    HostConfig: { Memory: 16 * 1048576 },
    Mounts: [],
  };
}

/** An engine whose inspect of c1 fails `failures` times with Podman's message, then answers. */
async function fakeEngine(t: { after(fn: () => Promise<void>): void }, failures: number): Promise<{ endpoint: string; inspects: () => number }> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-fake-engine-'));
  let inspects = 0;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (path?.endsWith('/containers/json')) return send(200, [{ Id: 'c1', Labels: (inspectBody()['Config'] as { Labels: unknown }).Labels }]);
    if (path?.endsWith('/containers/c1/json')) {
      inspects++;
      if (inspects <= failures) return send(500, { cause: 'no such process', message: 'read /proc/30903/cgroup: no such process', response: 500 });
      return send(200, inspectBody());
    }
    send(404, { message: `fake engine: no route for ${req.method} ${path}` });
  });
  const socket = join(dir, 'engine.sock');
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  t.after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });
  return { endpoint: `unix://${socket}`, inspects: () => inspects };
}

function runtimeFor(endpoint: string, dir: string): DockerRuntime {
  return new DockerRuntime({ endpoint, podLogsDir: join(dir, 'logs'), logger: silentLogger, nodeName: NODE });
}

test('an inspect answered "no such process" while the container dies is asked again, and the exit is reported', async (t) => {
  const engine = await fakeEngine(t, 3);
  const runtime = runtimeFor(engine.endpoint, tmpdir());
  t.after(() => runtime.close());
  const records = await runtime.listContainers();
  assert.equal(engine.inspects(), 4);
  assert.equal(records.length, 1);
  assert.equal(records[0]!.state, 'exited');
  assert.equal(records[0]!.exitCode, 137);
  assert.equal(records[0]!.reason, 'OOMKilled');
});

test('an inspect that keeps failing that way fails the listing with the engine\'s message, after about a second', async (t) => {
  const engine = await fakeEngine(t, Number.POSITIVE_INFINITY);
  const runtime = runtimeFor(engine.endpoint, tmpdir());
  t.after(() => runtime.close());
  const started = Date.now();
  await assert.rejects(runtime.listContainers(), /read \/proc\/30903\/cgroup: no such process/);
  assert.ok(engine.inspects() > 1, 'asked more than once');
  assert.ok(Date.now() - started < 5000);
});
