// Backpressure both ways: a client that stops reading stalls the command's output instead of the
// server queueing it, and a command that stops reading stdin stalls the client instead of the
// server buffering what the client sends.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startStreamingFixture } from './fixture.js';
import { channelBytes, connectRaw, execPath, waitFor } from './ws-raw-client.js';

/** Resolves once `read()` has returned the same value for `quietMs` in a row. */
async function settled<T>(read: () => T, quietMs = 3000): Promise<T> {
  let last = read();
  let since = Date.now();
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    const now = read();
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) {
      return now;
    }
  }
}

test('a client that stops reading stalls the output at the source, and gets all of it once it reads again', async (t) => {
  const fx = await startStreamingFixture(t);
  const progress = join(fx.dir, 'progress');
  const chunks = 600;
  const script = `i=0; while [ $i -lt ${chunks} ]; do head -c 100000 /dev/zero; i=$((i+1)); echo $i > ${progress}; done`;
  const s = await connectRaw(fx.url, execPath(['sh', '-c', script], { stdout: true }), ['v5.channel.k8s.io']);
  s.ws.pause();
  const readProgress = (): number => {
    try {
      return Number(readFileSync(progress, 'utf8').trim() || 0);
    } catch {
      return 0;
    }
  };
  await waitFor('the command to start writing', () => readProgress() > 0);
  const stalledAt = await settled(readProgress);
  // Unbounded buffering would let it finish all 60 MB; the socket's buffers hold a few MB.
  assert.ok(stalledAt < chunks / 2, `the command wrote ${stalledAt} of ${chunks} chunks while nobody read`);
  s.ws.resume();
  const { code } = await s.closed;
  assert.equal(code, 1000);
  assert.equal(channelBytes(s.frames, 1).length, chunks * 100_000);
  assert.equal(JSON.parse(channelBytes(s.frames, 3).toString()).status, 'Success');
});

test('a command that does not read its stdin stalls the client instead of filling the server', async (t) => {
  const fx = await startStreamingFixture(t);
  const s = await connectRaw(fx.url, execPath(['sleep', '600'], { stdin: true, stdout: true }), ['v5.channel.k8s.io']);
  await waitFor('sleep to start', () => fx.running() === 1);
  const megabyte = Buffer.alloc(1024 * 1024 + 1, 0x61);
  megabyte[0] = 0;
  for (let i = 0; i < 50; i++) s.ws.send(megabyte);
  const stillQueued = await settled(() => s.ws.bufferedAmount);
  // The server's socket and the kernel hold a few MB; the rest must wait on the client.
  assert.ok(stillQueued > 20 * 1024 * 1024, `only ${stillQueued} bytes of 50 MB are still waiting on the client`);
  s.ws.terminate();
  await waitFor('the exec to be killed', () => fx.running() === 0);
});
