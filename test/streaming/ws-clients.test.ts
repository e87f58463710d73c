// The official clients' WebSocket streams against the streaming fixture: the Python client's
// stream(connect_get_namespaced_pod_exec) and portforward() (v4.channel.k8s.io), and
// @kubernetes/client-node's Exec (v5.channel.k8s.io) and PortForward (v4).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { requirePythonClient } from '../e2e/clients.js';
import { defer } from '../cleanup.js';
import { startStreamingFixture } from './fixture.js';
import { waitFor } from './ws-raw-client.js';

const SCRIPT = join(import.meta.dirname, 'ws_python_client.py');

function python(args: string[]): Promise<Record<string, unknown>> {
  const bin = requirePythonClient();
  return new Promise((resolve, reject) => {
    execFile(bin, [SCRIPT, ...args], { timeout: 90_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${bin} ${SCRIPT} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as Record<string, unknown>);
    });
  });
}

/** A TCP echo server on 127.0.0.1:<free port> for the port-forward tests. */
async function echoServer(t: Parameters<typeof defer>[0]): Promise<number> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  defer(t, async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });
  return (server.address() as AddressInfo).port;
}

/** A port on 127.0.0.1 where nothing listens (bound, then released). */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

test('Python client: stream(connect_get_namespaced_pod_exec) output, stdin, stderr and the exit code', async (t) => {
  const fx = await startStreamingFixture(t);
  const out = await python([fx.kubeconfig, 'exec']);
  assert.equal(out['hostname'], readFileSync('/etc/hostname', 'utf8'));
  assert.equal(out['stdout'], 'got hello\n');
  assert.equal(out['stderr'], 'oops\n');
  assert.equal(out['returncode'], 3);
  assert.ok(fx.seen.every((s) => s.protocol === 'v4.channel.k8s.io'), JSON.stringify(fx.seen.map((s) => s.protocol)));
});

test('Python client: portforward() to a listening port and to one where nothing listens, over one WebSocket', async (t) => {
  const fx = await startStreamingFixture(t);
  const live = await echoServer(t);
  const dead = await deadPort();
  const out = (await python([fx.kubeconfig, 'portforward', String(live), String(dead)])) as Record<string, { received: string; error: string | null }>;
  assert.equal(out[String(live)]?.received, 'ping\n');
  assert.equal(out[String(live)]?.error, null);
  assert.equal(out[String(dead)]?.received, '');
  assert.match(out[String(dead)]?.error ?? '', new RegExp(`error forwarding port ${dead}.*ECONNREFUSED`));
  const upgrade = fx.seen.find((s) => s.kind === 'portforward');
  assert.equal(upgrade?.transport, 'websocket');
  assert.equal(upgrade?.protocol, 'v4.channel.k8s.io');
});

function kubeConfig(url: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'fixture', server: url, skipTLSVerify: true }],
    users: [{ name: 'fixture' }],
    contexts: [{ name: 'fixture', cluster: 'fixture', user: 'fixture', namespace: 'default' }],
    currentContext: 'fixture',
  });
  return kc;
}

function collect(stream: PassThrough): () => string {
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return () => text;
}

test('@kubernetes/client-node Exec: v5, stdout, stderr, stdin end and the status', async (t) => {
  const fx = await startStreamingFixture(t);
  const exec = new k8s.Exec(kubeConfig(fx.url));
  const run = (command: string[], stdin: Readable | null): Promise<{ stdout: string; stderr: string; status: k8s.V1Status }> => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const out = collect(stdout);
    const err = collect(stderr);
    return new Promise((resolve, reject) => {
      exec
        .exec('default', 'web', 'c1', command, stdout, stderr, stdin, false, (status) => resolve({ stdout: out(), stderr: err(), status }))
        .catch(reject);
    });
  };

  const ok = await run(['sh', '-c', 'echo out; echo err >&2'], null);
  assert.equal(ok.stdout, 'out\n');
  assert.equal(ok.stderr, 'err\n');
  assert.equal(ok.status.status, 'Success');

  const failed = await run(['sh', '-c', 'exit 4'], null);
  assert.equal(failed.status.status, 'Failure');
  assert.equal(failed.status.reason, 'NonZeroExitCode');
  assert.deepEqual(failed.status.details?.causes, [{ reason: 'ExitCode', message: '4' }]);

  // client-node sends v5's close of stdin when its stdin ends, so cat finishes.
  const piped = await run(['cat'], Readable.from([Buffer.from('one\n'), Buffer.from('two\n')]));
  assert.equal(piped.stdout, 'one\ntwo\n');
  assert.equal(piped.status.status, 'Success');
  assert.ok(fx.seen.every((s) => s.protocol === 'v5.channel.k8s.io'), JSON.stringify(fx.seen.map((s) => s.protocol)));
});

test('@kubernetes/client-node PortForward: offers v5 first, gets the kubelet\'s v4 port-forward, bytes both ways', async (t) => {
  const fx = await startStreamingFixture(t);
  const port = await echoServer(t);
  const forward = new k8s.PortForward(kubeConfig(fx.url));
  const output = new PassThrough();
  const errors = new PassThrough();
  const input = new PassThrough();
  const received = collect(output);
  const errorText = collect(errors);
  const ws = (await forward.portForward('default', 'web', [port], output, errors, input)) as { close(): void; protocol: string };
  t.after(() => ws.close());
  assert.equal(ws.protocol, 'v4.channel.k8s.io');
  const payload = 'x'.repeat(256 * 1024);
  input.write(payload);
  await waitFor('the echo of 256 KiB', () => received().length >= payload.length, () => `${received().length} bytes, errors: ${errorText()}`);
  assert.equal(received(), payload);
  assert.equal(errorText(), '');
});

