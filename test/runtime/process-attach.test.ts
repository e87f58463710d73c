// `kubectl attach` on the process runtime against real containers and their real shims: stdin and
// a pty kept by the shim, detach and re-attach, attach after an "agent restart" (a new runtime
// object on the same root dir), stdinOnce, and a container without stdin (output only).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { silentLogger } from '../../src/log/index.js';
import { ProcessRuntime } from '../../src/runtime/process/index.js';
import { RuntimeError } from '../../src/runtime/types.js';
import { harness, sh, shimPath, waitFor } from './process-helpers.js';
import { testClient, type TestClient } from './stream-io.js';

/** Attaches in the background; the returned promise settles when the attach ends. */
function attachIn(runtime: ProcessRuntime, id: string, client: TestClient): Promise<void> {
  return runtime.attach(id, client.io);
}

/** Types `line` until `expected` shows in the client's output (the first bytes may race the attach). */
async function typeUntil(client: TestClient, line: string, expected: RegExp): Promise<void> {
  await waitFor(`${expected}`, async () => {
    client.stdin.write(line);
    await new Promise((r) => setTimeout(r, 300));
    return expected.test(client.stdout());
  }, 30_000);
}

test('attach to a stdin+tty container: its shell, its terminal size, detach and re-attach, the log keeps the output', async (t) => {
  const h = await harness(t);
  const { record, logPath } = await h.start({ name: 'c', image: 'ignored', command: ['sh'], stdin: true, tty: true });

  const first = testClient({ tty: true });
  const attached = attachIn(h.runtime, record.id, first);
  await typeUntil(first, 'echo first-$((40+2))\n', /first-42/);
  await waitFor('the new size', async () => {
    first.resize({ width: 111, height: 33 });
    first.stdin.write('stty size\n');
    await new Promise((r) => setTimeout(r, 300));
    return first.stdout().includes('33 111');
  }, 30_000);
  first.disconnect();
  await attached;
  // A detach never stops the container.
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await h.runtime.listContainers()).find((c) => c.id === record.id)?.state, 'running');

  const second = testClient({ tty: true });
  const again = attachIn(h.runtime, record.id, second);
  await typeUntil(second, 'echo second-$((50+5))\n', /second-55/);
  assert.doesNotMatch(second.stdout(), /first-42/, 'an attach shows the live output from now on, not the past');
  second.stdin.write('exit 4\n');
  await again; // the container exited: the shim closed the attach
  const exit = await h.exitOf(record.id);
  assert.equal(exit.exitCode, 4);
  // The terminal's output went to the CRI log as stdout, as before.
  assert.match(await readFile(logPath, 'utf8'), / stdout [FP] second-55/);
});

test('attach works after the agent restarts: a new runtime on the same root dir reaches the same shim', async (t) => {
  const h = await harness(t);
  const { record } = await h.start({ name: 'c', image: 'ignored', command: ['sh'], stdin: true, tty: true });
  const socket = await stat(join(h.dir, 'root', 'containers', record.id, 'attach.sock'));
  assert.ok(socket.isSocket());
  assert.equal(socket.mode & 0o777, 0o600, 'only root (the agent) may attach');
  await h.runtime.close();

  const restarted = new ProcessRuntime({ rootDir: join(h.dir, 'root'), shimPath, logger: silentLogger, nodeIP: '192.0.2.10' });
  await restarted.init();
  t.after(() => restarted.close());
  assert.equal((await restarted.listContainers()).find((c) => c.id === record.id)?.state, 'running');
  const client = testClient({ tty: true });
  const attached = attachIn(restarted, record.id, client);
  await typeUntil(client, 'echo after-restart-$((6*7))\n', /after-restart-42/);
  client.disconnect();
  await attached;
});

test('stdinOnce: the container\'s stdin is closed when the first attach ends', async (t) => {
  const h = await harness(t);
  const { record } = await h.start(sh('cat; echo "stdin closed"', { stdin: true, stdinOnce: true }));
  const client = testClient();
  const attached = attachIn(h.runtime, record.id, client);
  await typeUntil(client, 'once\n', /once/);
  client.disconnect();
  await attached;
  const exit = await h.exitOf(record.id);
  assert.equal(exit.exitCode, 0, 'cat saw the end of its input and the container finished');
});

test('without stdinOnce the container\'s stdin stays open across attaches', async (t) => {
  const h = await harness(t);
  const { record } = await h.start(sh('cat', { stdin: true }));
  for (const word of ['alpha', 'beta']) {
    const client = testClient();
    const attached = attachIn(h.runtime, record.id, client);
    await typeUntil(client, `${word}\n`, new RegExp(word));
    client.stdin.end();
    client.disconnect();
    await attached;
  }
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await h.runtime.listContainers()).find((c) => c.id === record.id)?.state, 'running');
});

test('attach to a container without stdin shows its output, stdout and stderr apart, and ignores input', async (t) => {
  const h = await harness(t);
  const { record } = await h.start(sh('i=0; while :; do echo "tick $i"; echo "tock $i" >&2; i=$((i+1)); sleep 0.2; done'));
  const client = testClient();
  const attached = attachIn(h.runtime, record.id, client);
  client.stdin.write('ignored\n');
  await waitFor('ticks and tocks', () => /tick \d+/.test(client.stdout()) && /tock \d+/.test(client.stderr()), 30_000);
  assert.doesNotMatch(client.stdout(), /tock/);
  client.disconnect();
  await attached;
  assert.equal((await h.runtime.listContainers()).find((c) => c.id === record.id)?.state, 'running');
});

test('attach to a container that is not running is a RuntimeError saying so', async (t) => {
  const h = await harness(t);
  const { record } = await h.start(sh('exit 0'));
  await h.exitOf(record.id);
  await assert.rejects(
    h.runtime.attach(record.id, testClient().io),
    (err: unknown) => err instanceof RuntimeError && err.reason === 'ContainerNotRunning' && /attach: container "c" .* is not running/.test(err.message),
  );
});

test('a client that stops reading never holds up the container or its log', async (t) => {
  // The whole output stays in one file: rotation (10 MiB by default) is not what this is about.
  const h = await harness(t, { logRotation: { maxSizeBytes: 1024 * 1024 * 1024, maxFiles: 2 } });
  const { record, logPath } = await h.start(sh('read go; yes flood | head -c 20000000; echo all-written; sleep 300', { stdin: true }));
  const client = testClient();
  // stdout that never finishes a write: the client's side of the stream stays full.
  client.io.stdout!._write = () => undefined;
  const attached = attachIn(h.runtime, record.id, client);
  await waitFor('the container to read "go"', async () => {
    client.stdin.write('go\n');
    await new Promise((r) => setTimeout(r, 300));
    return (await stat(logPath)).size > 0;
  }, 30_000);
  await waitFor('the whole output in the log', async () => (await readFile(logPath, 'utf8')).includes('all-written'), 60_000);
  client.disconnect();
  await attached;
  assert.equal((await h.runtime.listContainers()).find((c) => c.id === record.id)?.state, 'running');
});

test('attach to an unknown container, or one whose shim serves no attach socket, says what is wrong', async (t) => {
  const h = await harness(t);
  await assert.rejects(h.runtime.attach('0123abcd', testClient().io), (err: unknown) => err instanceof RuntimeError && err.reason === 'ContainerNotFound');
  const { record } = await h.start(sh('sleep 300'));
  // As for a container started by an older berth: no socket in its state folder.
  await unlink(join(h.dir, 'root', 'containers', record.id, 'attach.sock'));
  await assert.rejects(
    h.runtime.attach(record.id, testClient().io),
    (err: unknown) => err instanceof RuntimeError && /has no attach socket .*restart the container to attach to it/.test(err.message),
  );
});
