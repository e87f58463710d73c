// The real kubectl against src/streaming through the fixture: kubectl 1.20 speaks only SPDY;
// kubectl 1.32 tunnels port-forward SPDY in a WebSocket, and speaks SPDY for exec when told to.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer, get } from 'node:http';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { describe, it } from 'node:test';
import { defer, type TestLike } from '../cleanup.js';
import { startStreamingFixture, type StreamingFixture } from './fixture.js';

const OLD_KUBECTL = process.env.BERTH_OLD_KUBECTL ?? '/var/lib/berth-ci/kubectl-1.20/usr/bin/kubectl';
const haveOld = existsSync(OLD_KUBECTL);

interface Run {
  code: number | null;
  out: string;
  err: string;
}

function kubectlEnv(f: StreamingFixture, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, KUBECONFIG: f.kubeconfig, HOME: f.dir, KUBECACHEDIR: `${f.dir}/cache`, ...extra };
}

/** Runs a command without blocking the event loop (the fixture server lives in this process). */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, input?: string, timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b));
    child.stderr.on('data', (b: Buffer) => (err += b));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
    // A command that exits without reading its stdin (kubectl -it once the remote exited) makes
    // this write fail with EPIPE; its exit code and output are what the tests check.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

/** A long-running child whose output is collected; killed with the test. */
function background(t: TestLike, cmd: string, args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string } {
  const child = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (b: Buffer) => (output += b));
  child.stderr!.on('data', (b: Buffer) => (output += b));
  defer(t, () => {
    child.kill('SIGKILL');
  });
  return { child, output: () => output };
}

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** An HTTP server on 127.0.0.1 answering `hello <path>`. */
async function helloServer(t: TestLike): Promise<number> {
  const server = createHttpServer((req, res) => res.end(`hello ${req.url}`));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  defer(t, () => {
    server.closeAllConnections();
    server.close();
  });
  return (server.address() as AddressInfo).port;
}

function httpGet(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (b: Buffer) => (body += b));
      res.on('end', () => resolve(body));
      res.on('error', reject);
    }).on('error', reject);
  });
}

async function closedPort(): Promise<number> {
  const s: Server = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Starts `kubectl port-forward pod/web :<remote>...` and returns the local ports it printed. */
async function portForward(t: TestLike, kubectl: string, f: StreamingFixture, remotes: number[], env: Record<string, string> = {}) {
  const pf = background(t, kubectl, ['port-forward', 'pod/web', ...remotes.map((p) => `:${p}`)], kubectlEnv(f, env));
  const locals = await waitFor('kubectl port-forward to print its ports', () => {
    const found = [...pf.output().matchAll(/Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)/g)];
    return found.length >= remotes.length ? remotes.map((r) => Number(found.find((m) => Number(m[2]) === r)![1])) : undefined;
  });
  return { locals, output: pf.output, child: pf.child };
}

describe('kubectl 1.20 (SPDY only) exec through src/streaming', { skip: haveOld ? false : `no old kubectl at ${OLD_KUBECTL} (set BERTH_OLD_KUBECTL)` }, () => {
  it('runs `cat /etc/hostname` and negotiates v4.channel.k8s.io over SPDY', async (t) => {
    const f = await startStreamingFixture(t);
    const r = await run(OLD_KUBECTL, ['exec', 'web', '--', 'cat', '/etc/hostname'], kubectlEnv(f));
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, readFileSync('/etc/hostname', 'utf8'));
    const seen = f.seen.at(-1)!;
    assert.equal(seen.transport, 'spdy');
    assert.equal(seen.protocol, 'v4.channel.k8s.io');
    assert.equal(seen.headers.upgrade, 'SPDY/3.1');
  });

  it("returns the remote exit code: `sh -c 'exit 3'` exits 3", async (t) => {
    const f = await startStreamingFixture(t);
    const r = await run(OLD_KUBECTL, ['exec', 'web', '--', 'sh', '-c', 'exit 3'], kubectlEnv(f));
    assert.equal(r.code, 3, r.err);
    assert.match(r.err, /command terminated with exit code 3/);
  });

  it('pipes stdin: `echo hi | kubectl exec -i -- cat`', async (t) => {
    const f = await startStreamingFixture(t);
    const r = await run(OLD_KUBECTL, ['exec', '-i', 'web', '--', 'cat'], kubectlEnv(f), 'hi\n');
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'hi\n');
  });

  it('keeps stdout and stderr apart, with -c for the second container', async (t) => {
    const f = await startStreamingFixture(t);
    const r = await run(OLD_KUBECTL, ['exec', 'web', '-c', 'c2', '--', 'sh', '-c', 'echo to-out; echo to-err >&2'], kubectlEnv(f));
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'to-out\n');
    assert.match(r.err, /to-err/);
    assert.doesNotMatch(r.out, /to-err/);
  });

  it('reports a command that cannot run as an error from the server, exit 1', async (t) => {
    const f = await startStreamingFixture(t);
    const r = await run(OLD_KUBECTL, ['exec', 'web', '--', 'no-such-command-berth'], kubectlEnv(f));
    assert.equal(r.code, 1);
    assert.match(r.err, /Internal error occurred: cannot run no-such-command-berth/);
  });

  it('attaches with -i: the container output and what is typed', async (t) => {
    const f = await startStreamingFixture(t);
    const r = await run(OLD_KUBECTL, ['attach', '-i', 'web', '-c', 'c1'], kubectlEnv(f), 'typed\n');
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'attached\ntyped\n');
    assert.equal(f.seen.at(-1)!.kind, 'attach');
    assert.equal(f.seen.at(-1)!.transport, 'spdy');
  });

  it('gives -it a real terminal: stty size follows the local terminal, Ctrl-C reaches the remote, exit codes come back', async (t) => {
    const f = await startStreamingFixture(t);
    // util-linux script gives kubectl a pty of its own; its size is set before kubectl starts.
    const inner = `stty rows 33 cols 111; echo TTY=$(tty); ${OLD_KUBECTL} exec -it web -- sh; echo RC=$?`;
    const term = background(t, 'script', ['-qfc', inner, '/dev/null'], kubectlEnv(f));
    const type = (text: string) => term.child.stdin!.write(text);
    const tty = await waitFor('the local terminal name', () => /TTY=(\/dev\/pts\/\d+)/.exec(term.output())?.[1]);
    await waitFor('the exec session', () => f.seen.some((s) => s.kind === 'exec' && s.transport === 'spdy'));
    type('stty size\n');
    await waitFor('the remote terminal to be 33x111', () => /\b33 111\b/.test(term.output()));
    // Resizing kubectl's terminal sends it SIGWINCH; it must pass the new size on.
    const resized = await run('stty', ['-F', tty, 'rows', '40', 'cols', '120'], process.env);
    assert.equal(resized.code, 0, resized.err);
    await waitFor(
      'the remote terminal to follow to 40x120',
      () => {
        if (/\b40 120\b/.test(term.output())) return true;
        type('stty size\n');
        return false;
      },
      60_000,
    );
    type('sleep 100\n');
    await waitFor('sleep to start', () => f.running() > 0 && /sleep 100/.test(term.output()));
    await new Promise((r) => setTimeout(r, 500));
    type('\x03');
    type('echo after-$((40+2))\n');
    await waitFor('the shell to come back after Ctrl-C', () => /after-42/.test(term.output()), 60_000);
    type('exit 5\n');
    await waitFor('kubectl to exit with the remote code', () => /RC=5/.test(term.output()), 60_000);
  });
});

describe('kubectl 1.20 (SPDY only) port-forward through src/streaming', { skip: haveOld ? false : `no old kubectl at ${OLD_KUBECTL}` }, () => {
  it('forwards HTTP, many connections at once, over one SPDY connection', async (t) => {
    const f = await startStreamingFixture(t);
    const target = await helloServer(t);
    const pf = await portForward(t, OLD_KUBECTL, f, [target]);
    assert.equal(await httpGet(pf.locals[0]!, '/first'), 'hello /first');
    const bodies = await Promise.all(Array.from({ length: 20 }, (_, i) => httpGet(pf.locals[0]!, `/p${i}`)));
    assert.deepEqual(bodies, Array.from({ length: 20 }, (_, i) => `hello /p${i}`));
    const upgrades = f.seen.filter((s) => s.kind === 'portforward');
    assert.equal(upgrades.length, 1, 'one upgrade carries every connection');
    assert.equal(upgrades[0]!.transport, 'spdy');
    assert.equal(upgrades[0]!.protocol, 'portforward.k8s.io');
  });

  it('reports a port nothing listens on as kubectl does, and the tunnel stays up', async (t) => {
    const f = await startStreamingFixture(t);
    const dead = await closedPort();
    const target = await helloServer(t);
    const pf = await portForward(t, OLD_KUBECTL, f, [dead, target]);
    const refused = connect(pf.locals[0]!, '127.0.0.1');
    refused.on('error', () => {});
    refused.resume();
    await once(refused, 'close');
    await waitFor('kubectl to print the forwarding error', () => new RegExp(`an error occurred forwarding \\d+ -> ${dead}: error forwarding port ${dead}`).test(pf.output()));
    assert.equal(pf.child.exitCode, null, 'kubectl port-forward is still running');
    assert.equal(await httpGet(pf.locals[1]!, '/after'), 'hello /after');
  });

  it('moves 256 MB down and 64 MB up without buffering it (RSS stays flat)', async (t) => {
    const f = await startStreamingFixture(t);
    const DOWN = 256 * 1024 * 1024;
    const UP = 64 * 1024 * 1024;
    // The far end runs in a child process so this process's RSS is the server's (plus a byte counter).
    const far = background(
      t,
      process.execPath,
      [
        '-e',
        `const net=require('net');const s=net.createServer(c=>{let up=0;c.on('data',b=>{up+=b.length;if(up>=${UP}){const chunk=Buffer.alloc(65536,120);let left=${DOWN};const pump=()=>{while(left>0){left-=chunk.length;if(!c.write(chunk)){c.once('drain',pump);return}}c.end()};pump()}})});s.listen(0,'127.0.0.1',()=>console.log('PORT='+s.address().port))`,
      ],
      process.env,
    );
    const port = Number(await waitFor('the far end to listen', () => /PORT=(\d+)/.exec(far.output())?.[1]));
    const pf = await portForward(t, OLD_KUBECTL, f, [port]);
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
    defer(t, () => clearInterval(sampler));
    const conn = connect(pf.locals[0]!, '127.0.0.1');
    let down = 0;
    conn.on('data', (b: Buffer) => (down += b.length));
    const chunk = Buffer.alloc(64 * 1024, 1);
    for (let sent = 0; sent < UP; sent += chunk.length) if (!conn.write(chunk)) await once(conn, 'drain');
    await once(conn, 'end');
    clearInterval(sampler);
    assert.equal(down, DOWN);
    const growthMb = (peak - baseline) / 1024 / 1024;
    t.diagnostic(`RSS grew by ${growthMb.toFixed(1)} MB while 320 MB passed`);
    assert.ok(growthMb < 120, `RSS grew by ${growthMb.toFixed(0)} MB while 320 MB passed`);
  });
});

describe('kubectl 1.32 through src/streaming', () => {
  it('port-forward uses the SPDY-in-WebSocket tunnel (SPDY/3.1+portforward.k8s.io)', async (t) => {
    const f = await startStreamingFixture(t);
    const target = await helloServer(t);
    const pf = await portForward(t, 'kubectl', f, [target]);
    assert.equal(await httpGet(pf.locals[0]!, '/tunnel'), 'hello /tunnel');
    const bodies = await Promise.all(Array.from({ length: 10 }, (_, i) => httpGet(pf.locals[0]!, `/t${i}`)));
    assert.deepEqual(bodies, Array.from({ length: 10 }, (_, i) => `hello /t${i}`));
    const upgrades = f.seen.filter((s) => s.kind === 'portforward');
    assert.equal(upgrades.length, 1, 'no fallback to plain SPDY');
    const seen = upgrades[0]!;
    assert.equal(seen.headers.upgrade?.toLowerCase(), 'websocket');
    assert.match(String(seen.headers['sec-websocket-protocol']), /SPDY\/3\.1\+portforward\.k8s\.io/);
    assert.equal(seen.transport, 'websocket-spdy');
    assert.equal(seen.protocol, 'portforward.k8s.io');
  });

  it('exec speaks SPDY when KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false', async (t) => {
    const f = await startStreamingFixture(t);
    const r = await run('kubectl', ['exec', '-i', 'web', '--', 'sh', '-c', 'cat; exit 4'], kubectlEnv(f, { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' }), 'piped\n');
    assert.equal(r.code, 4, r.err);
    assert.equal(r.out, 'piped\n');
    const seen = f.seen.at(-1)!;
    assert.equal(seen.transport, 'spdy');
    assert.equal(seen.protocol, 'v4.channel.k8s.io');
  });
});
