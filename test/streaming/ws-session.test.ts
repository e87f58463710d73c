// The session object itself, used directly as a node server would: a terminal size sent before
// anyone listened still arrives, finish() is idempotent, and a session whose client is gone takes
// writes and finish() without throwing.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { test } from 'node:test';
import { acceptRemoteCommand, type RemoteCommandSession } from '../../src/streaming/index.js';
import { defer, type TestLike } from '../cleanup.js';
import { channelBytes, connectRaw, waitFor } from './ws-raw-client.js';

/** An HTTP server whose upgrades become sessions handed to the test. */
async function sessionServer(t: TestLike, request = { stdin: true, stdout: true, stderr: false, tty: true }): Promise<{ url: string; next: () => Promise<RemoteCommandSession> }> {
  const waiting: ((s: RemoteCommandSession) => void)[] = [];
  const ready: RemoteCommandSession[] = [];
  const sockets = new Set<Duplex>();
  const server = createHttpServer();
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    sockets.add(socket);
    socket.on('error', () => {});
    void acceptRemoteCommand(req, socket, head, request).then((session) => {
      if (!session) return;
      const w = waiting.shift();
      if (w) w(session);
      else ready.push(session);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  defer(t, async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    next: () => {
      const s = ready.shift();
      return s ? Promise.resolve(s) : new Promise((r) => waiting.push(r));
    },
  };
}

test('a terminal size that came before onResize was called is delivered to the first listener', async (t) => {
  const srv = await sessionServer(t);
  const client = await connectRaw(srv.url, '/exec', ['v5.channel.k8s.io']);
  const session = await srv.next();
  assert.equal(session.tty, true);
  assert.equal(session.stderr, null);
  client.ws.send(Buffer.from([4, ...Buffer.from('{"Width":10,"Height":5}')]));
  client.ws.send(Buffer.from([4, ...Buffer.from('{"Width":132,"Height":43}')]));
  client.ws.send(Buffer.from([0, ...Buffer.from('x')]));
  // Messages are handled in order: once stdin has the byte, both sizes have been seen.
  await new Promise((r) => session.stdin!.once('data', r));
  const sizes: { width: number; height: number }[] = [];
  session.onResize((size) => sizes.push(size));
  assert.deepEqual(sizes, [{ width: 132, height: 43 }], 'only the latest size is kept');
  client.ws.send(Buffer.from([4, ...Buffer.from('{"Width":80,"Height":24}')]));
  await waitFor('the live resize', () => sizes.length === 2);
  assert.deepEqual(sizes[1], { width: 80, height: 24 });
  session.finish({ exitCode: 0 });
  session.finish({ exitCode: 9 });
  await client.closed;
  const statuses = client.frames.filter((f) => f.data[0] === 3);
  assert.equal(statuses.length, 1, 'finish is idempotent');
  assert.equal(JSON.parse(channelBytes(client.frames, 3).toString()).status, 'Success');
});

test('a session whose client is gone: signal aborted, writes dropped, finish harmless', async (t) => {
  const srv = await sessionServer(t, { stdin: true, stdout: true, stderr: true, tty: false });
  const client = await connectRaw(srv.url, '/exec', ['v4.channel.k8s.io']);
  const session = await srv.next();
  let stdinEnded = false;
  session.stdin!.on('end', () => (stdinEnded = true)).resume();
  client.ws.terminate();
  await waitFor('the signal to abort', () => session.signal.aborted);
  await waitFor('stdin to end', () => stdinEnded);
  const errors: unknown[] = [];
  session.stdout!.on('error', (e) => errors.push(e));
  session.stderr!.on('error', (e) => errors.push(e));
  await new Promise<void>((r) => session.stdout!.write('after the client left\n', () => r()));
  session.stderr!.write('also dropped\n');
  session.finish({ error: 'too late' });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(errors, []);
});

test('a write that comes after finish() ended stdout is dropped without an unhandled error', async (t) => {
  const srv = await sessionServer(t, { stdin: false, stdout: true, stderr: true, tty: false });
  const client = await connectRaw(srv.url, '/exec', ['v5.channel.k8s.io']);
  const session = await srv.next();
  session.stdout!.write('before\n');
  session.finish({ exitCode: 0 });
  // finish() has ended stdout but it has not finished yet: a write now is a write after end.
  session.stdout!.write('too late\n');
  session.stderr!.write('too late\n');
  await client.closed;
  assert.equal(channelBytes(client.frames, 1).toString(), 'before\n');
});
