// `kubectl exec` on the process runtime against real processes and the real shim: streams, exit
// codes, a real pseudo-terminal (window size, Ctrl-C), commands that cannot run, the client going
// away, many at once, and a big output through a slow client with bounded memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RuntimeError } from '../../src/runtime/types.js';
import { harness, sh, waitFor } from './process-helpers.js';
import { testClient } from './stream-io.js';

const sleeper = sh('sleep 300', { env: [{ name: 'GREETING', value: 'hello' }] });

/** Pids of live processes whose command line is `sleep SECONDS`. */
async function sleepers(seconds: string): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    const argv = cmdline.split('\0');
    if (argv[0]?.endsWith('sleep') && argv[1] === seconds && !/\) [ZX] /.test(stat)) found.push(Number(name));
  }
  return found;
}

test('exec streams stdout and stderr apart, pipes stdin in, and returns the exit code', async (t) => {
  const h = await harness(t);
  const { record } = await h.start(sleeper);
  const hostname = testClient({ stdin: false });
  assert.equal(await h.runtime.exec(record.id, ['cat', '/etc/hostname'], hostname.io), 0);
  assert.equal(hostname.stdout(), await readFile('/etc/hostname', 'utf8'));

  const piped = testClient();
  const done = h.runtime.exec(record.id, ['sh', '-c', 'cat; echo "$GREETING" >&2'], piped.io);
  piped.stdin.end('hi from stdin\n');
  assert.equal(await done, 0);
  assert.equal(piped.stdout(), 'hi from stdin\n');
  assert.equal(piped.stderr(), 'hello\n');

  const three = testClient({ stdin: false });
  assert.equal(await h.runtime.exec(record.id, ['sh', '-c', 'exit 3'], three.io), 3);
});

test('exec with a tty: a real terminal whose size follows the client\'s resizes', async (t) => {
  const h = await harness(t);
  const { record } = await h.start(sleeper);
  const client = testClient({ tty: true });
  const done = h.runtime.exec(record.id, ['sh', '-c', 'tty; while read line; do stty size; done'], client.io);
  await waitFor('the tty name', () => /\/dev\/pts\/\d+/.test(client.stdout()), 30_000);
  for (const size of [{ width: 80, height: 24 }, { width: 132, height: 43 }]) {
    // The size and the line travel on different pipes: resend until the answer shows the new size.
    await waitFor(`stty size ${size.height} ${size.width}`, async () => {
      client.resize(size);
      client.stdin.write('\n');
      await new Promise((r) => setTimeout(r, 200));
      return client.stdout().includes(`${size.height} ${size.width}`);
    }, 30_000);
  }
  client.stdin.write('\x04'); // Ctrl-D: end of input on the terminal; the loop ends
  assert.equal(await done, 0);
  assert.equal(client.io.stderr, null);
});

test('exec with a tty: the command starts with the client\'s first window size', async (t) => {
  const h = await harness(t);
  const { record } = await h.start(sleeper);
  const client = testClient({ tty: true, stdin: false });
  client.resize({ width: 97, height: 31 });
  assert.equal(await h.runtime.exec(record.id, ['stty', 'size'], client.io), 0);
  assert.equal(client.stdout().trim(), '31 97');
});

test('exec with a tty: Ctrl-C typed by the client interrupts the foreground process, exit codes come back', async (t) => {
  const h = await harness(t);
  const { record } = await h.start(sleeper);
  const client = testClient({ tty: true });
  const done = h.runtime.exec(record.id, ['sh', '-c', 'trap "echo interrupted; exit 7" INT; echo ready; sleep 300 & wait'], client.io);
  await waitFor('ready', () => client.stdout().includes('ready'), 30_000);
  client.stdin.write('\x03');
  assert.equal(await done, 7);
  assert.match(client.stdout(), /interrupted/);

  const plain = testClient({ tty: true });
  const sleeping = h.runtime.exec(record.id, ['sleep', '300'], plain.io);
  // Until the command runs, 0x03 is only a byte in the shim's pipe; keep typing it.
  const typing = setInterval(() => plain.stdin.write('\x03'), 300);
  try {
    assert.equal(await sleeping, 130, 'sleep killed by SIGINT: 128 + 2');
  } finally {
    clearInterval(typing);
  }
  const exit3 = testClient({ tty: true });
  assert.equal(await h.runtime.exec(record.id, ['sh', '-c', 'echo last words; exit 3'], exit3.io), 3);
  assert.match(exit3.stdout(), /last words/, 'output written just before the exit is drained from the terminal');
});

test('a command that does not exist gives 127 and one that is not executable 126, the reason on stderr (stdout with a tty)', async (t) => {
  const h = await harness(t);
  const { record } = await h.start(sleeper);
  const missing = testClient({ stdin: false });
  assert.equal(await h.runtime.exec(record.id, ['no-such-command-here'], missing.io), 127);
  assert.match(missing.stderr(), /"no-such-command-here": executable file not found in \$PATH/);
  assert.equal(missing.stdout(), '');

  const plain = join(h.dir, 'plain-file');
  await writeFile(plain, 'not a program', { mode: 0o644 });
  const notExecutable = testClient({ stdin: false });
  assert.equal(await h.runtime.exec(record.id, [plain], notExecutable.io), 126);
  assert.match(notExecutable.stderr(), /not an executable file/);

  const tty = testClient({ tty: true });
  assert.equal(await h.runtime.exec(record.id, ['no-such-command-here'], tty.io), 127);
  assert.match(tty.stdout(), /executable file not found/);
});

test('exec into a container that is not running, or with no command, is a RuntimeError', async (t) => {
  const h = await harness(t);
  const { record } = await h.start(sh('exit 0'));
  await h.exitOf(record.id);
  await assert.rejects(
    h.runtime.exec(record.id, ['true'], testClient().io),
    (err: unknown) => err instanceof RuntimeError && err.reason === 'ContainerNotRunning' && /is not running/.test(err.message),
  );
  const { record: live } = await h.start(sleeper);
  await assert.rejects(h.runtime.exec(live.id, [], testClient().io), (err: unknown) => err instanceof RuntimeError && /no command given/.test(err.message));
});

for (const tty of [false, true]) {
  test(`the client going away kills the exec'd command and everything it started (tty: ${tty})`, async (t) => {
    const h = await harness(t);
    const { record } = await h.start(sleeper);
    const marker = String(3000 + Math.floor(Math.random() * 6000));
    const client = testClient({ tty });
    // A job in a process group of its own (as an interactive shell makes them) must go too.
    const script = `set -m; sleep ${marker} & sleep ${marker} & echo started; wait`;
    const done = h.runtime.exec(record.id, ['sh', '-c', script], client.io);
    await waitFor('started', () => client.stdout().includes('started'), 30_000);
    await waitFor('the two sleeps', async () => (await sleepers(marker)).length === 2, 30_000);
    client.disconnect();
    await done;
    await waitFor('no process left', async () => (await sleepers(marker)).length === 0, 30_000);
    // The container is not touched.
    assert.equal((await h.runtime.listContainers()).find((c) => c.id === record.id)?.state, 'running');
  });
}

test('50 concurrent execs each get their own output and exit code', async (t) => {
  const h = await harness(t);
  const { record } = await h.start(sleeper);
  const runs = Array.from({ length: 50 }, async (_, i) => {
    const client = testClient({ tty: i % 5 === 0, stdin: i % 5 === 0 });
    const code = await h.runtime.exec(record.id, ['sh', '-c', `echo exec-$1; exit $(($1 % 7))`, 'sh', String(i)], client.io);
    return { i, code, out: client.stdout() };
  });
  for (const { i, code, out } of await Promise.all(runs)) {
    assert.equal(code, i % 7, `exec ${i}`);
    assert.match(out, new RegExp(`exec-${i}\\b`), `exec ${i}`);
  }
});

test('100 MB of output reach a slow client in full while the agent\'s memory stays bounded', async (t) => {
  const h = await harness(t);
  const { record } = await h.start(sleeper);
  const client = testClient({ stdin: false, countOnly: true });
  // A client that takes its time: backpressure must slow the command, not buffer in the agent.
  const slow = client.io.stdout!;
  const write = slow._write.bind(slow);
  let writes = 0;
  slow._write = (chunk, encoding, callback) => {
    if (++writes % 64 === 0) setTimeout(() => write(chunk, encoding, callback), 1);
    else write(chunk, encoding, callback);
  };
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  try {
    assert.equal(await h.runtime.exec(record.id, ['head', '-c', '100000000', '/dev/zero'], client.io), 0);
  } finally {
    clearInterval(sampler);
  }
  assert.equal(client.stdoutBytes(), 100_000_000);
  assert.ok(peak - before < 50 * 1024 * 1024, `RSS grew by ${Math.round((peak - before) / 1048576)} MiB for 100 MB of output`);
});

test('exec with a tty enters the container: its read-only root, its user', { skip: process.getuid?.() !== 0 && 'needs root for mount namespaces' }, async (t) => {
  const h = await harness(t);
  const { record } = await h.start(sh('sleep 300', { securityContext: { readOnlyRootFilesystem: true, runAsUser: 1234 } }));
  const client = testClient({ tty: true, stdin: false });
  const code = await h.runtime.exec(record.id, ['sh', '-c', 'id -u; touch /berth-exec-ro-probe; echo "touch=$?"'], client.io);
  assert.equal(code, 0);
  assert.match(client.stdout(), /^1234\r?$/m);
  assert.match(client.stdout(), /Read-only file system/);
  assert.match(client.stdout(), /touch=1/);
});

test('exec with a tty: every byte written before the exit reaches the client', async (t) => {
  const h = await harness(t);
  const { record } = await h.start(sleeper);
  for (let round = 0; round < 3; round++) {
    const client = testClient({ tty: true, stdin: false, countOnly: true });
    assert.equal(await h.runtime.exec(record.id, ['head', '-c', '1000000', '/dev/zero'], client.io), 0);
    assert.equal(client.stdoutBytes(), 1_000_000, `round ${round}`);
  }
});
