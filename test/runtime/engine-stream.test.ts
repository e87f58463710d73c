// exec, attach, port-forward and stats against the real engines (containerd over the CRI and its
// streaming server, Docker and Podman over the Engine API), with StreamIO made of PassThrough
// streams as the node server's streaming layer makes it from a client connection.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PassThrough, Writable } from 'node:stream';
import { createHash } from 'node:crypto';
import type { Container } from 'kubernetes-types/core/v1';
import { HEADER_DICTIONARY } from '../../src/runtime/cri/spdy-client.js';
import { RuntimeError, type ContainerRecord, type StreamIO, type TerminalSize } from '../../src/runtime/types.js';
import { engineSuites, type EngineHarness } from './engine-suites.js';

const IMAGE = 'berth.test/busybox:1';
// BERTH_TEST_ENGINES=containerd,docker runs only those engines' suites (when looking into one).
const only = process.env.BERTH_TEST_ENGINES?.split(',');
const suites = (await engineSuites('strm')).filter((s) => !only || only.includes(s.name));

test('the SPDY/3 header dictionary is the one of the protocol (1423 bytes, by its digest)', () => {
  assert.equal(HEADER_DICTIONARY.length, 1423);
  assert.equal(createHash('sha256').update(HEADER_DICTIONARY).digest('hex'), '51d27341373f923f3cd88e1eb7162aeaa3723d7585ff2399201dc06498407f02');
});

/** A client's side of a session: what it typed, what it got, its terminal sizes, its going away. */
class Client {
  readonly stdin = new PassThrough();
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  private readonly controller = new AbortController();
  private readonly resizeListeners: Array<(size: TerminalSize) => void> = [];
  private out = '';
  private err = '';

  constructor(private readonly options: { stdin?: boolean; tty?: boolean; size?: TerminalSize } = {}) {
    this.stdout.on('data', (c: Buffer) => (this.out += c.toString()));
    this.stderr.on('data', (c: Buffer) => (this.err += c.toString()));
  }

  get io(): StreamIO {
    const tty = this.options.tty === true;
    return {
      stdin: this.options.stdin ? this.stdin : null,
      stdout: this.stdout,
      stderr: tty ? null : this.stderr,
      tty,
      onResize: (listener) => {
        this.resizeListeners.push(listener);
        // As kubectl does: the first size right after the start.
        if (this.options.size) setImmediate(() => listener(this.options.size!));
      },
      signal: this.controller.signal,
    };
  }

  resize(size: TerminalSize): void {
    for (const listener of this.resizeListeners) listener(size);
  }

  goAway(): void {
    this.controller.abort();
  }

  get output(): string {
    return this.out;
  }

  get errors(): string {
    return this.err;
  }
}

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

for (const suite of suites) {
  describe(`streaming on ${suite.name}`, { skip: suite.skip }, () => {
    let engine: EngineHarness;
    let sleeper: ContainerRecord;
    const sleeperSpec: Container = { name: 'c', image: IMAGE, imagePullPolicy: 'Never', command: ['sh', '-c', 'echo sleeper > /tmp/name; exec sleep 3600'] };

    before(async () => {
      engine = await suite.make();
      sleeper = await engine.start(sleeperSpec);
    });

    after(async () => {
      await engine?.cleanup();
    });

    test('exec: output, stderr and exit codes come back', async () => {
      const client = new Client();
      assert.equal(await engine.runtime.exec(sleeper.id, ['cat', '/tmp/name'], client.io), 0);
      assert.equal(client.output, 'sleeper\n');
      const failing = new Client();
      assert.equal(await engine.runtime.exec(sleeper.id, ['sh', '-c', 'echo oops >&2; exit 3'], failing.io), 3);
      assert.equal(failing.errors, 'oops\n');
      assert.equal(failing.output, '');
    });

    test('exec: stdin is piped in and its end reaches the command', async () => {
      const client = new Client({ stdin: true });
      const done = engine.runtime.exec(sleeper.id, ['cat'], client.io);
      client.stdin.write('hello ');
      client.stdin.end('world\n');
      assert.equal(await done, 0);
      assert.equal(client.output, 'hello world\n');
    });

    test('exec: large output arrives whole, also to a slow reader', async () => {
      let total = 0;
      // A client that reads slowly: small buffer, a pause after every chunk.
      const slowReader = new Writable({
        highWaterMark: 16 * 1024,
        write(chunk: Buffer, _encoding, callback) {
          total += chunk.length;
          setTimeout(callback, 2);
        },
      });
      const io: StreamIO = { ...new Client().io, stdout: slowReader, stderr: null };
      const size = 4 * 1024 * 1024;
      assert.equal(await engine.runtime.exec(sleeper.id, ['head', '-c', String(size), '/dev/zero'], io), 0);
      await new Promise<void>((resolve) => slowReader.end(resolve));
      assert.equal(total, size);
    });

    test('exec: ten sessions at once each get their own output and exit code', async () => {
      const results = await Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          const client = new Client({ stdin: true });
          const done = engine.runtime.exec(sleeper.id, ['sh', '-c', `read line; echo "$line-${i}"; exit ${i}`], client.io);
          client.stdin.end(`session\n`);
          return { code: await done, output: client.output };
        }),
      );
      results.forEach((result, i) => {
        assert.equal(result.code, i);
        assert.equal(result.output, `session-${i}\n`);
      });
    });

    test('exec: a tty follows the terminal size, and later resizes', async () => {
      const client = new Client({ stdin: true, tty: true, size: { width: 91, height: 27 } });
      const done = engine.runtime.exec(sleeper.id, ['sh'], client.io);
      // The size arrives just after the start: ask once it had time to apply, as a user would.
      await waitFor('the shell prompt', () => client.output.length > 0);
      client.stdin.write('stty size\n');
      await waitFor('the first size', () => /27 91/.test(client.output));
      client.resize({ width: 120, height: 40 });
      await waitFor('the new size', async () => {
        client.stdin.write('stty size\n');
        await new Promise((r) => setTimeout(r, 300));
        return /40 120/.test(client.output);
      });
      client.stdin.write('exit 5\n');
      assert.equal(await done, 5);
    });

    test('exec: Ctrl-C on a tty reaches the command', async () => {
      const client = new Client({ stdin: true, tty: true, size: { width: 80, height: 24 } });
      const done = engine.runtime.exec(sleeper.id, ['sleep', '300'], client.io);
      await waitFor('the command to run', async () => /sleep 300/.test((await engine.runtime.execSync(sleeper.id, ['ps', '-o', 'args'], 10_000)).stdout.toString()));
      client.stdin.write('\x03');
      assert.equal(await done, 130, 'killed by SIGINT');
    });

    test('exec: a missing command gives 127 with the reason on stderr; a non-executable one 126', async () => {
      const missing = new Client();
      assert.equal(await engine.runtime.exec(sleeper.id, ['no-such-command'], missing.io), 127);
      assert.match(missing.errors, /no-such-command/);
      const notExecutable = new Client();
      assert.equal(await engine.runtime.exec(sleeper.id, ['/etc/passwd'], notExecutable.io), 126);
      assert.ok(notExecutable.errors.length > 0, 'the reason is written to stderr');
    });

    test('exec: a client that goes away kills the command', async () => {
      const client = new Client({ stdin: true });
      const done = engine.runtime.exec(sleeper.id, ['sleep', '4242'], client.io);
      await waitFor('the command to run', async () => /sleep 4242/.test((await engine.runtime.execSync(sleeper.id, ['ps', '-o', 'args'], 10_000)).stdout.toString()));
      client.goAway();
      await done;
      await waitFor('the command to be gone', async () => !/sleep 4242/.test((await engine.runtime.execSync(sleeper.id, ['ps', '-o', 'args'], 10_000)).stdout.toString()));
    });

    test('exec and attach into a container that is not running, or that does not exist, is a RuntimeError saying so', async () => {
      const stopped = await engine.start({ name: 'c', image: IMAGE, imagePullPolicy: 'Never', command: ['sleep', '3600'] });
      await engine.runtime.stopContainer(stopped.id, 0);
      await assert.rejects(engine.runtime.exec(stopped.id, ['true'], new Client().io), (err: unknown) => err instanceof RuntimeError && err.reason === 'ContainerNotRunning' && /not running/.test(err.message));
      await assert.rejects(engine.runtime.attach(stopped.id, new Client().io), (err: unknown) => err instanceof RuntimeError && err.reason === 'ContainerNotRunning' && /not running/.test(err.message));
      await assert.rejects(engine.runtime.exec('no-such-container', ['true'], new Client().io), (err: unknown) => err instanceof RuntimeError && err.reason === 'ContainerNotFound' && /no-such-container/.test(err.message));
      await assert.rejects(engine.runtime.attach('no-such-container', new Client().io), (err: unknown) => err instanceof RuntimeError && err.reason === 'ContainerNotFound' && /no-such-container/.test(err.message));
    });

    test('attach to a stdin+tty container: what the client types reaches the container, its output comes back; detach leaves it running', async () => {
      const shell = await engine.start({ name: 'c', image: IMAGE, imagePullPolicy: 'Never', command: ['sh'], stdin: true, tty: true });
      const client = new Client({ stdin: true, tty: true, size: { width: 80, height: 24 } });
      const done = engine.runtime.attach(shell.id, client.io);
      await waitFor('the typed command to run', async () => {
        client.stdin.write('echo attached-$((6*7))\n');
        await new Promise((r) => setTimeout(r, 300));
        return /attached-42/.test(client.output);
      });
      client.goAway();
      await done;
      const record = (await engine.runtime.listContainers()).find((c) => c.id === shell.id);
      assert.equal(record?.state, 'running', 'a detach does not stop the container');
    });

    test('attach ends when the container exits (here: the shell the client typed exit into)', async () => {
      const shell = await engine.start({ name: 'c', image: IMAGE, imagePullPolicy: 'Never', command: ['sh'], stdin: true, tty: true });
      const client = new Client({ stdin: true, tty: true });
      const done = engine.runtime.attach(shell.id, client.io);
      let ended = false;
      void done.then(() => (ended = true));
      await waitFor('the shell to exit and the attach to end', async () => {
        if (!ended) client.stdin.write('exit\n');
        await new Promise((r) => setTimeout(r, 300));
        return ended;
      });
    });

    test('attach to a container without stdin shows its live output', async () => {
      const talker = await engine.start({ name: 'c', image: IMAGE, imagePullPolicy: 'Never', command: ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo tick-$i; sleep 0.2; done'] });
      const client = new Client({ stdin: true });
      const done = engine.runtime.attach(talker.id, client.io);
      await waitFor('live output', () => /tick-\d+\n.*tick-\d+/s.test(client.output));
      client.goAway();
      await done;
    });

    for (const hostNetwork of [false, true]) test(`port-forward reaches a server in a pod (${hostNetwork ? 'host network' : 'its own network'}); a port nothing listens on fails`, async () => {
      const port = 18000 + Math.floor(Math.random() * 2000);
      const server: Container = { name: 'c', image: IMAGE, imagePullPolicy: 'Never', command: ['sh', '-c', `mkdir -p /www && echo served-by-pod > /www/index.html && exec httpd -f -p ${port} -h /www`] };
      await engine.start(server, { hostNetwork });
      const pod = engine.lastPod();
      const get = async (): Promise<string> => {
        const controller = new AbortController();
        const stream = await engine.runtime.portForward(pod, port, controller.signal);
        const chunks: Buffer[] = [];
        const body = new Promise<string>((resolve, reject) => {
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.once('end', () => resolve(Buffer.concat(chunks).toString()));
          stream.once('error', reject);
        });
        stream.write('GET / HTTP/1.0\r\n\r\n');
        try {
          return await body;
        } finally {
          controller.abort();
        }
      };
      let answer = '';
      await waitFor('httpd to answer through the forward', async () => {
        answer = await get().catch(() => '');
        return /served-by-pod/.test(answer);
      });
      // Several at once.
      const all = await Promise.all([get(), get(), get()]);
      for (const one of all) assert.match(one, /served-by-pod/);
      // The client going away closes the connection.
      const leaving = new AbortController();
      const open = await engine.runtime.portForward(pod, port, leaving.signal);
      const closed = new Promise<void>((resolve) => open.once('close', () => resolve()));
      open.on('error', () => undefined);
      leaving.abort();
      await closed;
      // Nothing listens: an error (at once, or on the stream), never an answer.
      const controller = new AbortController();
      const failed = await engine.runtime
        .portForward(pod, port + 1, controller.signal)
        .then(
          (stream) =>
            new Promise<Error | undefined>((resolve) => {
              stream.once('error', (err) => resolve(err));
              stream.once('close', () => resolve(undefined));
              stream.on('data', () => undefined);
              stream.write('GET / HTTP/1.0\r\n\r\n');
            }),
        )
        .catch((err: Error) => err);
      controller.abort();
      assert.ok(failed instanceof RuntimeError, `a RuntimeError, got ${String(failed)}`);
      assert.match(failed.message, new RegExp(`${port + 1}`));
    });

    test('stats of a busy container: CPU time grows, memory has a working set', async () => {
      const busy = await engine.start({ name: 'c', image: IMAGE, imagePullPolicy: 'Never', command: ['sh', '-c', 'while true; do :; done'] });
      let first: number | undefined;
      await waitFor('CPU usage', async () => {
        first = (await engine.runtime.containerStats(busy.id))?.cpuUsageNanoSeconds;
        return first !== undefined && first > 0;
      });
      await waitFor('CPU usage to grow', async () => ((await engine.runtime.containerStats(busy.id))?.cpuUsageNanoSeconds ?? 0) > first! + 50_000_000);
      const stats = await engine.runtime.containerStats(busy.id);
      assert.ok(stats && stats.memoryWorkingSetBytes !== undefined && stats.memoryWorkingSetBytes > 0, `working set: ${JSON.stringify(stats)}`);
      assert.ok(!Number.isNaN(Date.parse(stats.timestamp)));
      assert.equal(await engine.runtime.containerStats('no-such-container'), undefined);
    });
  });
}
