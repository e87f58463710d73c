// Issue 8's story, the same on every runtime: the real ./bin/berth, the real kubectl (1.32 over
// WebSocket, 1.20 over SPDY), the official Python client and @kubernetes/client-node, through the
// embedded API to the node API and into the runtime. Each runtime's file registers this suite with
// its own pods (the process runtime runs host commands on the host network; the engines run
// busybox in a pod network).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { OLD_KUBECTL, requireOldKubectl, requirePythonClient } from './clients.js';
import { freePort, NODE, ROOT, startBerth, waitFor, workspace, type Berth, type Workspace } from './harness.js';

export const WEB = `static-web-${NODE}`;
export const TTY = `tty-${NODE}`;

export interface StreamingRuntime {
  /** For the suite's title. */
  title: string;
  /** Extra `berth run` flags (the runtime endpoint). */
  flags: string[];
  image: string;
  /** The web container's command: serves `/` on `port` and writes its pid nowhere. */
  webCommand(port: number): string[];
  /** The port the web container listens on inside the pod. */
  port(): Promise<number>;
  /** What `cat /etc/hostname` prints in the pod. */
  hostname: string;
  /** false, or why the suite skips (an engine that does not answer outside CI). */
  skip: string | false;
  /** Removes what the engine still holds for the pods (after a failed test too). */
  purge?(pods: string[]): Promise<void>;
}

export interface Run {
  code: number | null;
  out: string;
  err: string;
}

/**
 * Drives an interactive program under `script` (a real terminal for kubectl): each step waits for
 * its pattern in the output so far, then types its text; after the last one the session ends
 * (o.finish).
 * Resolves with the exit code and output.
 */
export function terminal(
  command: string,
  env: NodeJS.ProcessEnv,
  steps: Array<{ wait: RegExp; type: string; pause?: number }>,
  o: { finish?: 'eof' | 'hangup'; timeoutMs?: number } = {},
): Promise<Run> {
  const timeoutMs = o.timeoutMs ?? 90_000;
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-eqc', command, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let step = 0;
    let typing = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the terminal session \`${command}\` did not finish within ${timeoutMs} ms at step ${step} (waiting for ${steps[step]?.wait}); output:\n${out}\n${err}`));
    }, timeoutMs);
    const advance = (): void => {
      const next = steps[step];
      if (typing || !next || !next.wait.test(out)) return;
      typing = true;
      setTimeout(() => {
        child.stdin.write(next.type);
        step++;
        typing = false;
        // After the last step: 'eof' ends the input (script types the terminal's EOF, ^D, to
        // kubectl, which passes it on); 'hangup' kills script, so the terminal closes under kubectl, as
        // closing the window does: the way out of an attach that leaves the remote shell alone.
        if (step === steps.length) setTimeout(() => (o.finish === 'hangup' ? child.kill('SIGKILL') : child.stdin.end()), 1000);
        else advance();
      }, next.pause ?? 300);
    };
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      advance();
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

/** A shell prompt at the end of the output: dash's `# `, busybox ash's `/ # ` and the terminal queries it sends after. */
const PROMPT = /# (\x1b\[[0-9;]*[a-zA-Z])*$/;

export function streamingStory(rt: StreamingRuntime): void {
  describe(`kubectl exec, attach, cp, top and the official clients (${rt.title})`, { skip: rt.skip }, () => {
    let ws: Workspace;
    let berth: Berth;
    let home: string;
    let kubeconfig: string;
    let port: number;
    let env: NodeJS.ProcessEnv;
    const kubectl = (args: string[], o: { input?: string; bin?: string; timeout?: number } = {}): Run => {
      const r = spawnSync(o.bin ?? 'kubectl', args, { encoding: 'utf8', env, input: o.input, timeout: o.timeout ?? 60_000 });
      return { code: r.status, out: r.stdout ?? '', err: r.stderr ?? '' };
    };

    before(async () => {
      ws = workspace();
      home = mkdtempSync(join(tmpdir(), 'berth-streaming-home-'));
      port = await rt.port();
      const pod = (name: string, containers: object[]) =>
        JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { terminationGracePeriodSeconds: 1, containers } });
      ws.write(
        'web.json',
        pod('static-web', [
          { name: 'web', image: rt.image, command: rt.webCommand(port), env: [{ name: 'WHO', value: 'web' }], ports: [{ containerPort: port }] },
          { name: 'side', image: rt.image, command: ['sleep', '3600'], env: [{ name: 'WHO', value: 'side' }] },
        ]),
      );
      ws.write(
        'tty.json',
        pod('tty', [
          { name: 'sh', image: rt.image, command: ['sh'], stdin: true, tty: true },
          { name: 'ticker', image: rt.image, command: ['sh', '-c', 'while true; do echo tick; sleep 1; done'] },
        ]),
      );
      berth = await startBerth(ws, rt.flags);
      kubeconfig = String(berth.logs.find((l) => l.msg === 'berth is running')!.kubeconfig);
      env = { ...process.env, KUBECONFIG: kubeconfig, HOME: home, KUBECACHEDIR: join(home, 'cache') };
      for (const name of [WEB, TTY]) {
        await waitFor(async () => (await berth.pod(name))?.status?.containerStatuses?.every((c) => c.state?.running), `${name} running`, 90_000);
      }
      // The web server answers (the process runtime's python takes a moment to bind).
      await waitFor(() => kubectl(['exec', WEB, '-c', 'web', '--', 'true']).code === 0, 'an exec into the web container works', 60_000);
    });

    after(async () => {
      await berth?.stop();
      await rt.purge?.([WEB, TTY]);
      await ws?.cleanup();
      rmSync(home, { recursive: true, force: true });
    });

    it('kubectl exec: cat /etc/hostname, exit codes come back, -c picks the container, stdin piped', () => {
      const hostname = kubectl(['exec', WEB, '-c', 'web', '--', 'cat', '/etc/hostname']);
      assert.equal(hostname.code, 0, hostname.err);
      assert.equal(hostname.out, rt.hostname);
      assert.ok(!/Unknown stream id/.test(hostname.err), `kubectl complained: ${hostname.err}`);

      const three = kubectl(['exec', WEB, '-c', 'web', '--', 'sh', '-c', 'echo before; exit 3']);
      assert.equal(three.code, 3, three.err);
      assert.equal(three.out, 'before\n');
      assert.match(three.err, /command terminated with exit code 3/);

      assert.equal(kubectl(['exec', WEB, '-c', 'side', '--', 'sh', '-c', 'echo $WHO']).out, 'side\n');
      // Without -c: kubectl takes the first container and says so.
      const first = kubectl(['exec', WEB, '--', 'sh', '-c', 'echo $WHO']);
      assert.equal(first.out, 'web\n');
      assert.match(first.err, /Defaulted container "web" out of: web, side/);

      const piped = kubectl(['exec', '-i', WEB, '-c', 'side', '--', 'sh', '-c', 'cat; echo done'], { input: 'hi\nthere\n' });
      assert.equal(piped.code, 0, piped.err);
      assert.equal(piped.out, 'hi\nthere\ndone\n');
    });

    it('kubectl exec of a missing command exits 127, of a file that cannot run 126, each with a line saying why', () => {
      const missing = kubectl(['exec', WEB, '-c', 'web', '--', 'no-such-command']);
      assert.equal(missing.code, 127, missing.err);
      assert.match(missing.err, /no-such-command.*not found|not found.*no-such-command/);
      const notExecutable = kubectl(['exec', WEB, '-c', 'web', '--', '/etc/passwd']);
      assert.equal(notExecutable.code, 126, notExecutable.err);
      assert.match(notExecutable.err, /permission denied/i);
    });

    it('kubectl exec -it sh: a real terminal (stty size follows it), Ctrl-C reaches the remote command, the exit code comes back', async () => {
      const r = await terminal(`stty rows 33 cols 111; kubectl exec -it ${WEB} -c side -- sh`, env, [
        { wait: PROMPT, type: 'stty size\n', pause: 1000 },
        { wait: /33 111/, type: 'sleep 300; echo slept\n' },
        // The shell runs sleep in the foreground: Ctrl-C goes to it through the remote pty.
        { wait: /sleep 300; echo slept\r?\n/, type: '\x03', pause: 2000 },
        { wait: /\^C/, type: 'echo after-$((2+3))\n', pause: 1000 },
        { wait: /after-5/, type: 'exit 5\n' },
      ]);
      assert.equal(r.code, 5, `${r.out}\n${r.err}`);
      assert.ok(!/\bslept\r?\n/.test(r.out.replace(/sleep 300; echo slept/g, '')), `Ctrl-C stopped the sleep and the rest of the line: ${r.out}`);
      assert.match(r.out, /command terminated with exit code 5/);
    });

    it('kubectl attach -it to a stdin/tty container; the container keeps running after the detach', async () => {
      const before = (await berth.pod(TTY))!.status!.containerStatuses!.find((c) => c.name === 'sh')!;
      const r = await terminal(`stty rows 20 cols 70; kubectl attach -it ${TTY} -c sh`, env, [
        { wait: /If you don't see a command prompt/, type: 'echo attached-$((1+1))\n', pause: 1500 },
        { wait: /attached-2/, type: 'stty size\n' },
        { wait: /20 70/, type: '' },
      ], { finish: 'hangup' });
      assert.match(r.out, /attached-2/);
      assert.match(r.out, /20 70/);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const now = (await berth.pod(TTY))!.status!.containerStatuses!.find((c) => c.name === 'sh')!;
      assert.ok(now.state?.running, 'the attached shell still runs');
      assert.equal(now.restartCount, before.restartCount);
      assert.equal(now.containerID, before.containerID);
    });

    it('kubectl attach to a container without stdin shows its output', async () => {
      const child = spawn('kubectl', ['attach', TTY, '-c', 'ticker'], { env });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
      try {
        await waitFor(() => (out.match(/tick\n/g) ?? []).length >= 2, 'two ticks through kubectl attach', 60_000);
      } finally {
        child.kill('SIGTERM');
      }
    });

    it('kubectl cp both ways (exec + tar)', () => {
      const local = join(ws.dir, 'hostname-copy');
      const down = kubectl(['cp', '-c', 'web', `${WEB}:/etc/hostname`, local]);
      assert.equal(down.code, 0, down.err);
      assert.equal(readFileSync(local, 'utf8'), rt.hostname);
      const upload = join(ws.dir, 'upload.txt');
      const text = `uploaded ${Date.now()}\n`.repeat(1000);
      writeFileSync(upload, text);
      const up = kubectl(['cp', '-c', 'side', upload, `${WEB}:/tmp/berth-cp-${process.pid}.txt`]);
      assert.equal(up.code, 0, up.err);
      const back = kubectl(['exec', WEB, '-c', 'side', '--', 'cat', `/tmp/berth-cp-${process.pid}.txt`]);
      assert.equal(back.out, text);
      kubectl(['exec', WEB, '-c', 'side', '--', 'rm', '-f', `/tmp/berth-cp-${process.pid}.txt`]);
    });

    it('kubectl top pod and top node show CPU and memory', async () => {
      const pods = await waitFor(
        () => {
          const r = kubectl(['top', 'pod', '--containers', '--no-headers']);
          return r.code === 0 && r.out.includes(WEB) && r.out.includes(TTY) ? r.out : undefined;
        },
        'kubectl top pod lists both pods',
        90_000,
      );
      for (const container of ['web', 'side', 'sh', 'ticker']) assert.match(pods, new RegExp(`\\s${container}\\s+\\d+m\\s+\\d+(Ki|Mi|Gi)?\\s*$`, 'm'));
      const node = kubectl(['top', 'node', '--no-headers']);
      assert.equal(node.code, 0, node.err);
      assert.match(node.out, new RegExp(`^${NODE}\\s+\\d+m\\s+\\d+%\\s+\\d+Mi\\s+\\d+%`));
    });

    it('the official Python client: stream(connect_get_namespaced_pod_exec) with stdin and the exit code, and portforward', () => {
      const r = spawnSync(requirePythonClient(), [join(ROOT, 'test', 'e2e', 'python', 'stream_clients.py'), kubeconfig, WEB, 'web', String(port)], { encoding: 'utf8', timeout: 120_000 });
      assert.equal(r.status, 0, r.stderr);
      const result = JSON.parse(r.stdout) as { output: string; stdinEcho: string; returncode: number; portForward: string; portForwardError: string | null };
      // The client joins stdout and stderr into one string in arrival order, which two streams do not fix.
      assert.deepEqual(result.output.split('\n').filter(Boolean).sort(), ['err', 'out-42']);
      assert.equal(result.stdinEcho, 'got-python\n');
      assert.equal(result.returncode, 3);
      assert.match(result.portForward, /^HTTP\/1\.[01] 200/);
      assert.ok(result.portForward.endsWith('web-page\n'), result.portForward);
      assert.equal(result.portForwardError, null);
    });

    it('@kubernetes/client-node Exec: stdin in, stdout out, the exit code in the status', async () => {
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(kubeconfig);
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      const stdin = new PassThrough();
      let out = '';
      stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
      const status = await new Promise<k8s.V1Status>((resolve, reject) => {
        new k8s.Exec(kc)
          .exec('default', WEB, 'side', ['sh', '-c', 'cat; exit 4'], stdout, stderr, stdin, false, (s) => resolve(s))
          .then(() => stdin.end('from-client-node\n'), reject);
      });
      assert.equal(out, 'from-client-node\n');
      assert.equal(status.status, 'Failure');
      assert.deepEqual(status.details?.causes, [{ reason: 'ExitCode', message: '4' }]);
    });

    it('after a kill -9 of the agent, the restarted one attaches to the same running shell (its stdin and pty survived)', async () => {
      const sh = () => berth.pod(TTY).then((p) => p?.status?.containerStatuses?.find((c) => c.name === 'sh'));
      const before = (await sh())!;
      await berth.stop('SIGKILL');
      berth = await startBerth(ws, rt.flags);
      const adopted = await waitFor(async () => {
        const c = await sh();
        return c?.state?.running ? c : undefined;
      }, 'the tty pod adopted', 90_000);
      assert.equal(adopted.containerID, before.containerID, 'the same container, not a new one');
      const r = await terminal(`kubectl attach -it ${TTY} -c sh`, env, [
        { wait: /If you don't see a command prompt/, type: 'echo again-$((3+4))\n', pause: 1500 },
        { wait: /again-7/, type: '' },
      ], { finish: 'hangup' });
      assert.match(r.out, /again-7/);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.equal((await sh())?.restartCount, before.restartCount);
    });

    /**
     * `kubectl port-forward` of the good port and a refused one: curl through the tunnel, eight
     * connections at once, then the refused port. Both kubectls print the node's error ("an error
     * occurred forwarding ..."). kubectl 1.20 keeps the forward up for the next connection; client-go
     * 1.23+ closes the whole connection after any forwarding error (handleConnection:
     * pf.streamConn.Close(), "lost connection to pod"), as it does against a kubelet, so with
     * kubectl 1.32 a new forward must work at once instead.
     */
    const portForwardStory = async (bin: string, keepsTunnel: boolean) => {
      const local = await freePort();
      // Nothing listens on a fresh free port, on the host or in the pod's network.
      const closed = await freePort();
      const forward = (ports: string[]) => {
        const child = spawn(bin, ['port-forward', `pod/${WEB}`, ...ports], { env });
        const io = { out: '', err: '', child, exited: new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code))) };
        child.stdout.on('data', (d: Buffer) => (io.out += d.toString('utf8')));
        child.stderr.on('data', (d: Buffer) => (io.err += d.toString('utf8')));
        return io;
      };
      const get = async (p: number) => (await fetch(`http://127.0.0.1:${p}/`, { signal: AbortSignal.timeout(30_000) })).text();
      const first = forward([`${local}:${port}`, `${closed + 1}:${closed}`]);
      try {
        await waitFor(() => first.out.includes(`Forwarding from 127.0.0.1:${local}`), `kubectl port-forward listening (${first.err})`, 60_000);
        const bodies = await Promise.all(Array.from({ length: 8 }, () => get(local)));
        assert.deepEqual(bodies, Array(8).fill('web-page\n'));
        await assert.rejects(get(closed + 1));
        await waitFor(
          () => new RegExp(`an error occurred forwarding ${closed + 1} -> ${closed}:.*(refused|failed to connect)`, 'i').test(first.err),
          `kubectl reports the refused port (${first.err})`,
          30_000,
        );
        if (keepsTunnel) {
          assert.equal(await get(local), 'web-page\n', 'the tunnel stays up for the next connection');
          return;
        }
        assert.notEqual(await first.exited, 0, first.err);
      } finally {
        first.child.kill('SIGTERM');
      }
      // The refused port broke nothing on the node: a new forward works at once.
      await first.exited;
      const again = forward([`${local}:${port}`]);
      try {
        await waitFor(() => again.out.includes(`Forwarding from 127.0.0.1:${local}`), `the second kubectl port-forward listening (${again.err})`, 60_000);
        assert.equal(await get(local), 'web-page\n');
      } finally {
        again.child.kill('SIGTERM');
      }
    };

    it('kubectl 1.32 port-forward (WebSocket tunnel): curl through it, parallel connections, a refused port reported, then a new forward', () => portForwardStory('kubectl', false));

    it('kubectl 1.20 port-forward (SPDY): curl through it, parallel connections, a refused port reported, and the tunnel stays up', () => portForwardStory(requireOldKubectl(), true));

    it('kubectl 1.20 (SPDY): exec with exit code and stdin, exec -it, cp', async () => {
      const old = requireOldKubectl();
      const three = kubectl(['exec', WEB, '-c', 'web', '--', 'sh', '-c', 'cat /etc/hostname; exit 3'], { bin: old });
      assert.equal(three.code, 3, three.err);
      assert.equal(three.out, rt.hostname);
      const piped = kubectl(['exec', '-i', WEB, '-c', 'side', '--', 'cat'], { bin: old, input: 'old\n' });
      assert.equal(piped.out, 'old\n');
      const r = await terminal(`stty rows 21 cols 99; ${OLD_KUBECTL} exec -it ${WEB} -c side -- sh`, env, [
        { wait: PROMPT, type: 'stty size\n', pause: 1000 },
        { wait: /21 99/, type: 'exit 6\n' },
      ]);
      assert.equal(r.code, 6, `${r.out}\n${r.err}`);
      const local = join(ws.dir, 'old-cp');
      assert.equal(kubectl(['cp', '-c', 'web', `${WEB}:/etc/hostname`, local], { bin: old }).code, 0);
      assert.equal(readFileSync(local, 'utf8'), rt.hostname);
    });
  });
}
