// port-forward and containerStats on the process runtime against real containers: an HTTP server
// reached through the forwarded connection (also on [::1] only), a refused port in the kubelet's
// words, and the CPU and memory of a busy container with and without a cgroup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { Duplex } from 'node:stream';
import { statsFromProcessGroup } from '../../src/runtime/process/stats.js';
import { RuntimeError } from '../../src/runtime/types.js';
import { harness, sh, waitFor } from './process-helpers.js';

async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Sends one HTTP/1.0 request over the forwarded connection and reads the whole answer. */
async function httpOver(connection: Duplex, path: string): Promise<string> {
  const chunks: Buffer[] = [];
  connection.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise((resolve) => connection.once('end', resolve));
  connection.write(`GET ${path} HTTP/1.0\r\nHost: localhost\r\n\r\n`);
  await ended;
  return Buffer.concat(chunks).toString('utf8');
}

test('port-forward reaches a python3 http.server in the pod, over several connections at once', async (t) => {
  const h = await harness(t);
  const port = await freePort();
  const { pod } = await h.start(sh(`cd "${h.dir}" && echo forwarded-hello > hello.txt && exec /usr/bin/python3 -m http.server ${port} --bind 127.0.0.1`));
  const signal = new AbortController().signal;
  const first = await waitFor('the server to listen', async () => h.runtime.portForward(pod, port, signal).catch(() => undefined), 30_000);
  const answers = await Promise.all([
    httpOver(first, '/hello.txt'),
    ...[1, 2, 3].map(async () => httpOver(await h.runtime.portForward(pod, port, signal), '/hello.txt')),
  ]);
  for (const answer of answers) {
    assert.match(answer, /^HTTP\/1\.0 200/);
    assert.match(answer, /forwarded-hello/);
  }
});

test('port-forward to a server listening only on [::1]', async (t) => {
  const h = await harness(t);
  const port = await freePort('::1');
  const { pod } = await h.start(sh(`cd "${h.dir}" && echo six > six.txt && exec /usr/bin/python3 -m http.server ${port} --bind ::1`));
  const signal = new AbortController().signal;
  const connection = await waitFor('the server to listen', async () => h.runtime.portForward(pod, port, signal).catch(() => undefined), 30_000);
  assert.match(await httpOver(connection, '/six.txt'), /six/);
});

test('port-forward to a port nothing listens on says so as the kubelet does; aborting destroys a connection', async (t) => {
  const h = await harness(t);
  const { pod } = await h.start(sh('sleep 300'));
  const port = await freePort();
  await assert.rejects(
    h.runtime.portForward(pod, port, new AbortController().signal),
    (err: unknown) =>
      err instanceof RuntimeError &&
      err.message === `error forwarding port ${port} to pod ${pod.metadata!.name}: dial tcp 127.0.0.1:${port}: connect: connection refused`,
  );
  await assert.rejects(h.runtime.portForward(pod, 70000, new AbortController().signal), /must be a number from 1 to 65535/);

  const server = createServer((socket) => socket.on('data', (d) => socket.write(d)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  const controller = new AbortController();
  const connection = await h.runtime.portForward(pod, (server.address() as { port: number }).port, controller.signal);
  connection.write('echo');
  await new Promise((resolve) => connection.once('data', resolve));
  controller.abort();
  assert.equal(connection.destroyed, true);
});

test('containerStats of a CPU-burning container: CPU time grows, memory and processes are reported', async (t) => {
  const h = await harness(t);
  const { record } = await h.start(sh('while :; do :; done'));
  const first = await waitFor('stats', () => h.runtime.containerStats(record.id), 30_000);
  assert.ok(Date.parse(first.timestamp) > 0);
  const later = await waitFor('CPU time to grow by 0.2 s', async () => {
    const now = await h.runtime.containerStats(record.id);
    return now && (now.cpuUsageNanoSeconds ?? 0) - (first.cpuUsageNanoSeconds ?? 0) >= 200_000_000 ? now : undefined;
  }, 60_000);
  assert.ok((later.memoryWorkingSetBytes ?? 0) > 0, 'a running shell has resident memory');
  assert.ok((later.processes ?? 0) >= 1);
  await h.runtime.stopContainer(record.id, 0);
  assert.equal(await h.runtime.containerStats(record.id), undefined, 'no stats for a container that is not running');
});

test('stats from /proc (a container without a cgroup): the process group\'s CPU time and RSS', async (t) => {
  const busy = spawn('sh', ['-c', 'while :; do :; done & while :; do :; done'], { detached: true, stdio: 'ignore' });
  t.after(() => {
    try {
      process.kill(-busy.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  });
  const first = await statsFromProcessGroup(busy.pid!);
  const later = await waitFor('CPU time of both loops', async () => {
    const now = await statsFromProcessGroup(busy.pid!);
    return (now.processes ?? 0) >= 2 && (now.cpuUsageNanoSeconds ?? 0) - (first.cpuUsageNanoSeconds ?? 0) >= 300_000_000 ? now : undefined;
  }, 60_000);
  assert.ok((later.memoryWorkingSetBytes ?? 0) > 0);
  assert.equal(later.memoryRssBytes, later.memoryWorkingSetBytes);
  // Another process group's usage is not counted.
  assert.equal((await statsFromProcessGroup(2 ** 22 + 1)).processes, 0);
});
