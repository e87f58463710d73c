// Issue 9 with the real agent and clients nobody on this project wrote: log windows (kubectl logs
// --since / --since-time / --limit-bytes / --tail / --timestamps / -p) on running, restarted and
// exited containers, the bad log options, the official Python client (list, get, paging,
// watch.Watch().stream with timeout_seconds, read_namespaced_pod_log with follow, timestamps and
// previous), and @kubernetes/client-node (paging, log windows).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { parse } from 'yaml';
import { requireOldKubectl, requirePythonClient } from './clients.js';
import { NODE, ROOT, shPod, startBerth, waitFor, workspace, type Berth, type Workspace } from './harness.js';

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z /;

describe('issue 9: log windows and real clients against the embedded API', () => {
  let ws: Workspace;
  let berth: Berth;
  let home: string;
  let kubeconfig: string;
  let server = '';
  let token = '';
  let ca = '';
  const ticker = `ticker-${NODE}`;
  const finished = `finished-${NODE}`;
  const crasher = `crasher-${NODE}`;

  const kubectl = (...args: string[]) => kubectlWith('kubectl', ...args);
  const kubectlWith = (bin: string, ...args: string[]) => {
    const r = spawnSync(bin, args, { encoding: 'utf8', env: { ...process.env, KUBECONFIG: kubeconfig, HOME: home, KUBECACHEDIR: join(home, 'cache') }, timeout: 30_000 });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const python = (...args: string[]) => {
    const r = spawnSync(requirePythonClient(), [join(ROOT, 'test', 'e2e', 'python-client.py'), kubeconfig, ...args], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, `python ${args.join(' ')} failed:\n${r.stderr}`);
    return JSON.parse(r.stdout) as Record<string, any>;
  };
  const raw = (path: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(new URL(path, server), { ca, headers: { Authorization: `Bearer ${token}` } }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });

  before(async () => {
    ws = workspace();
    home = mkdtempSync(join(tmpdir(), 'berth-apiclients-home-'));
    ws.write('ticker.yaml', shPod('ticker', 'i=0; while true; do echo "tick $i"; i=$((i+1)); sleep 0.2; done'));
    ws.write('finished.yaml', shPod('finished', 'echo one; echo two; echo three', { restartPolicy: 'Never' }));
    ws.write('crasher.yaml', shPod('crasher', 'echo "attempt $(date +%s%N)"; sleep 4; exit 1'));
    berth = await startBerth(ws);
    kubeconfig = String(berth.logs.find((l) => l.msg === 'berth is running')!.kubeconfig);
    const kc = parse(readFileSync(kubeconfig, 'utf8'));
    server = kc.clusters[0].cluster.server;
    ca = Buffer.from(kc.clusters[0].cluster['certificate-authority-data'], 'base64').toString();
    token = kc.users[0].user.token;
    await waitFor(() => kubectl('logs', ticker).out.includes('tick 25') || undefined, 'the ticker has logged for 5 s', 60_000);
  });

  after(async () => {
    await berth?.stop();
    await ws?.cleanup();
    rmSync(home, { recursive: true, force: true });
  });

  it('kubectl logs --since / --since-time return only the recent lines of a running container', () => {
    const all = kubectl('logs', ticker).out;
    assert.match(all, /^tick 0\n/);
    const recent = kubectl('logs', ticker, '--since=2s');
    assert.equal(recent.code, 0, recent.err);
    assert.ok(recent.out.length > 0, 'some lines in the last 2 s');
    assert.doesNotMatch(recent.out, /^tick 0\n/m, '--since=2s leaves out the first lines');
    assert.ok(recent.out.split('\n').length < all.split('\n').length);
    const t = new Date(Date.now() - 2000).toISOString().replace(/\.\d+Z$/, 'Z');
    const sinceTime = kubectl('logs', ticker, `--since-time=${t}`, '--timestamps');
    assert.equal(sinceTime.code, 0, sinceTime.err);
    const lines = sinceTime.out.trim().split('\n');
    assert.ok(lines.length > 0);
    for (const l of lines) {
      assert.match(l, RFC3339);
      assert.ok(Date.parse(l.split(' ')[0]!) >= Date.parse(t), `${l} is not before ${t}`);
    }
  });

  it('kubectl logs --limit-bytes, --tail with --timestamps, and -f with --since', async () => {
    const limited = kubectl('logs', ticker, '--limit-bytes=10');
    assert.equal(limited.out, 'tick 0\ntic');
    const tail = kubectl('logs', ticker, '--tail=2', '--timestamps');
    const lines = tail.out.trim().split('\n');
    assert.equal(lines.length, 2);
    for (const l of lines) assert.match(l, new RegExp(RFC3339.source + 'tick \\d+$'));
    const follow = spawnSync('kubectl', ['logs', '-f', ticker, '--since=1s', '--limit-bytes=40'], {
      encoding: 'utf8',
      env: { ...process.env, KUBECONFIG: kubeconfig, HOME: home },
      timeout: 30_000,
    });
    assert.equal(follow.status, 0, 'a follow ends at --limit-bytes');
    assert.equal(Buffer.byteLength(follow.stdout), 40);
    assert.doesNotMatch(follow.stdout, /^tick [0-9]\n/);
  });

  it('an exited container: the whole log, --tail, --limit-bytes; a restarted one: -p (kubectl on PATH and 1.20)', async () => {
    await waitFor(() => kubectl('get', 'pod', finished).out.includes('Completed') || undefined, 'finished pod completed');
    for (const bin of ['kubectl', requireOldKubectl()]) {
      assert.equal(kubectlWith(bin, 'logs', finished).out, 'one\ntwo\nthree\n', bin);
      assert.equal(kubectlWith(bin, 'logs', finished, '--tail=1').out, 'three\n', bin);
      assert.equal(kubectlWith(bin, 'logs', finished, '--limit-bytes=5').out, 'one\nt', bin);
      assert.equal(kubectlWith(bin, 'logs', finished, '-f').out, 'one\ntwo\nthree\n', `${bin}: -f on an exited container ends`);
    }
    // While the restarted container runs, -p is the attempt before it (during the back-off both
    // name the last exited attempt, as with the kubelet).
    const [previous, current] = await waitFor(() => {
      const st = JSON.parse(kubectl('get', 'pod', crasher, '-o', 'json').out || '{}')?.status?.containerStatuses?.[0];
      if (!st?.state?.running || !(st.restartCount >= 1)) return undefined;
      const p = kubectl('logs', crasher, '-p');
      const c = kubectl('logs', crasher);
      return /^attempt \d+\n$/.test(p.out) && /^attempt \d+\n$/.test(c.out) && p.out !== c.out ? [p.out, c.out] : undefined;
    }, 'the crasher restarted: its previous log and the running one are readable', 90_000);
    assert.notEqual(previous, current, 'previous and current are different attempts');
  });

  it('bad log options: sinceSeconds=-1 and limitBytes=0 as kube validates them, malformed values 400', async () => {
    const path = `/api/v1/namespaces/default/pods/${ticker}/log`;
    for (const [q, field] of [['sinceSeconds=-1', 'sinceSeconds'], ['limitBytes=0', 'limitBytes'], ['tailLines=-2', 'tailLines']] as const) {
      const r = await raw(`${path}?${q}`);
      assert.equal(r.status, 422, `${q}: ${r.body}`);
      const s = JSON.parse(r.body);
      assert.equal(s.reason, 'Invalid');
      assert.match(s.message, new RegExp(`PodLogOptions "${ticker}" is invalid: ${field}: Invalid value`));
    }
    const both = await raw(`${path}?sinceSeconds=5&sinceTime=2024-01-01T00:00:00Z`);
    assert.equal(both.status, 422);
    assert.match(JSON.parse(both.body).message, /at most one of `sinceTime` or `sinceSeconds`/);
    for (const q of ['sinceSeconds=abc', 'sinceTime=yesterday', 'limitBytes=1.5']) {
      const r = await raw(`${path}?${q}`);
      assert.equal(r.status, 400, `${q}: ${r.body}`);
      assert.equal(JSON.parse(r.body).reason, 'BadRequest');
    }
    // Python-style booleans: timestamps=True is honoured.
    const py = await raw(`${path}?tailLines=1&timestamps=True`);
    assert.match(py.body, RFC3339);
    assert.equal(python('bad-log', ticker).status, 422);
  });

  it('the official Python client: list, get, paging, watch with timeout_seconds, logs with follow/timestamps/previous', async () => {
    const l = python('list', ticker);
    assert.deepEqual(l.names, [...l.names].sort(), 'sorted by name');
    assert.ok(l.names.includes(ticker));
    assert.equal(l.pod, ticker);
    assert.equal(l.page.length, 1);
    assert.ok(l.continue, 'limit=1 gives a continue token');
    assert.deepEqual([...l.page, ...l.rest], l.names);
    const w = python('watch', '3');
    const added = w.events.filter((e: string[]) => e[0] === 'ADDED').map((e: string[]) => e[1]);
    assert.ok(added.includes(ticker) && added.includes(finished), `watch.stream yields the pods: ${JSON.stringify(w.events)}`);
    assert.deepEqual(added, [...added].sort(), 'initial events in name order');
    const prev = python('log', crasher, 'previous');
    assert.match(prev.text, new RegExp(RFC3339.source + 'attempt \\d+\\n$'), 'previous=True, timestamps=True honoured');
    const last = Number(/tick (\d+)\n$/.exec(kubectl('logs', ticker, '--tail=1').out)![1]);
    const f = python('follow', ticker, String(last + 5));
    assert.equal(f.reached, true, 'follow=True kept the stream open until new lines came');
    for (const line of f.last) assert.match(line, new RegExp(RFC3339.source + 'tick \\d+$'));
  });

  it('@kubernetes/client-node: paging with limit/_continue and a log window', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(kubeconfig);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const first = await core.listNamespacedPod({ namespace: 'default', limit: 1 });
    assert.equal(first.items.length, 1);
    assert.ok(first.metadata?._continue);
    const rest = await core.listNamespacedPod({ namespace: 'default', _continue: first.metadata!._continue! });
    const names = [...first.items, ...rest.items].map((p) => p.metadata!.name!);
    assert.deepEqual(names, [...names].sort());
    assert.ok(names.includes(ticker));
    const log = await core.readNamespacedPodLog({ name: ticker, namespace: 'default', sinceSeconds: 2, limitBytes: 12 });
    assert.equal(Buffer.byteLength(log), 12);
    assert.doesNotMatch(log, /^tick 0\n/);
  });
});
