// The real kubectl 1.32 (WebSocket v5.channel.k8s.io for exec) against the streaming fixture:
// plain exec and attach, exit codes, piped stdin, cp both ways, a real terminal under script(1),
// a missing command.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { startStreamingFixture, type StreamingFixture } from './fixture.js';
import { waitFor } from './ws-raw-client.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs kubectl; `input` is its stdin, which stays open when `keepStdinOpen` (as a terminal's would). */
function kubectl(fx: StreamingFixture, args: string[], input?: string, keepStdinOpen = false): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile('kubectl', ['--kubeconfig', fx.kubeconfig, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: unknown }).code as number | null) : 0;
      resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
    });
    if (keepStdinOpen) child.stdin!.write(input ?? '');
    else child.stdin!.end(input);
  });
}

test('kubectl exec and attach over WebSocket v5: output, exit codes, stdin, missing command', async (t) => {
  const fx = await startStreamingFixture(t);

  const hostname = await kubectl(fx, ['exec', 'web', '-c', 'c1', '--', 'cat', '/etc/hostname']);
  assert.equal(hostname.code, 0, hostname.stderr);
  assert.equal(hostname.stdout.trim(), readFileSync('/etc/hostname', 'utf8').trim());
  const first = fx.seen.find((s) => s.kind === 'exec');
  assert.equal(first?.transport, 'websocket', 'kubectl 1.32 should upgrade to a WebSocket, not SPDY');
  assert.equal(first?.protocol, 'v5.channel.k8s.io');

  const exit3 = await kubectl(fx, ['exec', 'web', '-c', 'c1', '--', 'sh', '-c', 'echo partial; exit 3']);
  assert.equal(exit3.code, 3, exit3.stderr);
  assert.equal(exit3.stdout, 'partial\n');
  assert.match(exit3.stderr, /command terminated with exit code 3/);

  const stderr = await kubectl(fx, ['exec', 'web', '-c', 'c1', '--', 'sh', '-c', 'echo to-stderr >&2']);
  assert.equal(stderr.code, 0);
  assert.equal(stderr.stderr, 'to-stderr\n');

  // v5's stream close: kubectl half-closes stdin, so cat sees EOF and the exec ends.
  const piped = await kubectl(fx, ['exec', '-i', 'web', '-c', 'c1', '--', 'cat'], 'hi\n');
  assert.equal(piped.code, 0, piped.stderr);
  assert.equal(piped.stdout, 'hi\n');

  // The command ends while kubectl's stdin is still open: the session ends all the same.
  const early = await kubectl(fx, ['exec', '-i', 'web', '-c', 'c1', '--', 'head', '-n', '1'], 'first\nsecond\n', true);
  assert.equal(early.code, 0, early.stderr);
  assert.equal(early.stdout, 'first\n');

  const big = 'x'.repeat(3 * 1024 * 1024);
  const bulk = await kubectl(fx, ['exec', '-i', 'web', '-c', 'c1', '--', 'wc', '-c'], big);
  assert.equal(bulk.code, 0, bulk.stderr);
  assert.equal(bulk.stdout.trim(), String(big.length));

  const attached = await kubectl(fx, ['attach', '-i', 'web', '-c', 'c1'], 'through attach\n');
  assert.equal(attached.code, 0, attached.stderr);
  assert.equal(attached.stdout, 'attached\nthrough attach\n');
  assert.equal(fx.seen.find((s) => s.kind === 'attach')?.protocol, 'v5.channel.k8s.io');

  const missing = await kubectl(fx, ['exec', 'web', '-c', 'c1', '--', '/no/such/command']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /cannot run \/no\/such\/command/);
  await waitFor('every exec child to be gone', () => fx.running() === 0);
});

test('kubectl cp both ways over v5 (exec + tar; the upload ends with v5 stdin close)', async (t) => {
  const fx = await startStreamingFixture(t);
  const source = join(fx.dir, 'source.bin');
  const content = randomBytes(8 * 1024 * 1024);
  await writeFile(source, content);
  const podDir = join(fx.dir, 'pod');
  await mkdir(podDir);
  // The fixture's "container" is this machine, so the pod path is a local one.
  const up = await kubectl(fx, ['cp', '-c', 'c1', source, `web:${podDir}/uploaded.bin`]);
  assert.equal(up.code, 0, up.stderr);
  assert.ok((await readFile(join(podDir, 'uploaded.bin'))).equals(content), 'the upload arrived intact');
  const back = join(fx.dir, 'downloaded.bin');
  const down = await kubectl(fx, ['cp', '-c', 'c1', `web:${podDir}/uploaded.bin`, back]);
  assert.equal(down.code, 0, down.stderr);
  assert.ok((await readFile(back)).equals(content), 'the download arrived intact');
  assert.ok(fx.seen.every((s) => s.protocol === 'v5.channel.k8s.io'));
});

test('kubectl exec -it under a real terminal: stty size follows, Ctrl-C reaches the remote, exit code', async (t) => {
  const fx = await startStreamingFixture(t);
  const resizeFlag = join(fx.dir, 'resize-now');
  const inner = join(fx.dir, 'session.sh');
  // script(1) gives kubectl a terminal; the background stty changes its size when the test asks,
  // which sends kubectl SIGWINCH as a real window resize does.
  await writeFile(
    inner,
    `stty rows 40 cols 100\n(while [ ! -e ${resizeFlag} ]; do sleep 0.2; done; stty rows 50 cols 120 < /dev/tty) &\n` +
      `exec kubectl --kubeconfig ${fx.kubeconfig} exec -it web -c c1 -- sh\n`,
  );
  const child = spawn('script', ['-qec', `sh ${inner}`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  t.after(() => {
    child.kill('SIGKILL');
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  const type = (s: string): void => {
    child.stdin.write(s);
  };

  await waitFor('the remote shell prompt', () => /[#$] $/m.test(output) || output.includes('# ') || output.includes('$ '), () => output);
  type('stty size\n');
  await waitFor('the first terminal size', () => output.includes('40 100'), () => output);

  await writeFile(resizeFlag, '');
  let asked = 0;
  await waitFor('the new terminal size', () => {
    if (output.includes('50 120')) return true;
    // SIGWINCH reaches kubectl when the background stty gets to it; ask again now and then.
    if (asked++ % 20 === 0) type('stty size\n');
    return false;
  }, () => output);

  type('sleep 1000; echo not-interrupted\n');
  await waitFor('sleep to start', () => fx.running() === 1 && output.includes('sleep 1000'), () => output);
  await new Promise((r) => setTimeout(r, 500));
  type('\x03');
  type('echo after-$((20+22))\n');
  await waitFor('the shell to answer after Ctrl-C', () => output.includes('after-42'), () => output);
  // The typed line is echoed; only the echo command itself printing would mean sleep was not killed.
  assert.doesNotMatch(output, /^not-interrupted\r?$/m);

  type('exit 7\n');
  const code = await exited;
  assert.equal(code, 7, output);
  assert.equal(fx.seen.at(-1)?.protocol, 'v5.channel.k8s.io');
  await waitFor('the exec child to be gone', () => fx.running() === 0);
});
