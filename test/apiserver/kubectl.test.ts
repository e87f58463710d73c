// The embedded API server against the real kubectl: objects are created over REST with the token
// (as the agent does), then kubectl reads, watches, describes, streams logs and deletes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { LogNotFoundError, type LogRequest } from '../../src/apiserver/index.js';
import { NODE, call, kubectl, mirrorPodBody, nodeBody, startTestServer, waitFor, type TestServer } from './helpers.js';

const POD = 'static-web-my-node1';

describe('kubectl against the embedded API server', () => {
  let ts: TestServer;
  let nodeUid = '';
  let podUid = '';
  const logCalls: LogRequest[] = [];
  const followStreams: PassThrough[] = [];
  const children: ChildProcess[] = [];

  before(async () => {
    ts = await startTestServer({
      logs: async (r) => {
        logCalls.push(r);
        if (r.container !== 'web') throw new LogNotFoundError(`no log for container ${r.container}`);
        const s = new PassThrough();
        s.write('hello from web\n');
        s.write('second line\n');
        if (r.follow) followStreams.push(s);
        else s.end();
        return s;
      },
    });
    const n = await call(ts, 'POST', '/api/v1/nodes', { body: nodeBody() });
    assert.equal(n.status, 201, n.text);
    nodeUid = n.json.metadata.uid;
    const p = await call(ts, 'POST', '/api/v1/namespaces/default/pods', { body: mirrorPodBody(POD, nodeUid, { restartedAgoMs: 5 * 60_000 }) });
    assert.equal(p.status, 201, p.text);
    podUid = p.json.metadata.uid;
    // Events about a static pod name the static pod's UID (the mirror annotation), which is what
    // `kubectl describe` looks up for a mirror pod.
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const ev = await call(ts, 'POST', '/api/v1/namespaces/default/events', {
      body: {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `${POD}.17a0001` },
        involvedObject: { kind: 'Pod', namespace: 'default', name: POD, uid: 'a1b2c3d4e5f60718293a4b5c6d7e8f90', apiVersion: 'v1', fieldPath: 'spec.containers{web}' },
        reason: 'Started',
        message: 'Started container web',
        source: { component: 'berth', host: NODE },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
        type: 'Normal',
      },
    });
    assert.equal(ev.status, 201, ev.text);
    const nev = await call(ts, 'POST', '/api/v1/namespaces/default/events', {
      body: {
        metadata: { name: `${NODE}.17a0002` },
        involvedObject: { kind: 'Node', name: NODE, uid: NODE, apiVersion: 'v1' },
        reason: 'NodeReady',
        message: `Node ${NODE} status is now: NodeReady`,
        source: { component: 'berth', host: NODE },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
        type: 'Normal',
      },
    });
    assert.equal(nev.status, 201, nev.text);
  });

  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const s of followStreams) s.destroy();
    await ts?.close();
  });

  test('get pods prints the table columns and the row', async () => {
    const r = await kubectl(ts, ['get', 'pods']);
    assert.equal(r.code, 0, r.stderr);
    const [header, row] = r.stdout.trim().split('\n');
    assert.deepEqual(header!.trim().split(/\s{2,}/), ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    assert.match(row!, new RegExp(`^${POD}\\s+1/1\\s+Running\\s+3 \\(5m(\\d+s)? ago\\)\\s+\\d+s$`));
  });

  test('get pods -o wide shows IP and node, get pods -A the namespace', async () => {
    const wide = await kubectl(ts, ['get', 'pods', '-o', 'wide']);
    assert.equal(wide.code, 0, wide.stderr);
    assert.match(wide.stdout, /IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES/);
    assert.match(wide.stdout, new RegExp(`10\\.0\\.0\\.5\\s+${NODE}\\s+<none>\\s+<none>`));
    const all = await kubectl(ts, ['get', 'pods', '-A']);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, new RegExp(`^default\\s+${POD}\\s`, 'm'));
  });

  test('label selectors: matching and not matching', async () => {
    const yes = await kubectl(ts, ['get', 'pods', '-l', 'role=myrole']);
    assert.equal(yes.code, 0, yes.stderr);
    assert.match(yes.stdout, new RegExp(`^${POD}\\s`, 'm'));
    const set = await kubectl(ts, ['get', 'pods', '-l', 'role in (a,myrole),!missing']);
    assert.match(set.stdout, new RegExp(`^${POD}\\s`, 'm'));
    const no = await kubectl(ts, ['get', 'pods', '-l', 'role=other']);
    assert.equal(no.code, 0, no.stderr);
    assert.equal(no.stdout.trim(), '');
    assert.match(no.stderr, /No resources found in default namespace/);
  });

  test('get pod -o yaml shows the mirror annotation and the node owner', async () => {
    const r = await kubectl(ts, ['get', 'pod', POD, '-o', 'yaml']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /kubernetes\.io\/config\.mirror: a1b2c3d4e5f60718293a4b5c6d7e8f90/);
    assert.match(r.stdout, /ownerReferences:\n\s+- apiVersion: v1\n\s+controller: true\n\s+kind: Node\n\s+name: my-node1/);
    assert.match(r.stdout, new RegExp(`uid: ${podUid}`));
  });

  test('get nodes shows Ready, roles and version', async () => {
    const r = await kubectl(ts, ['get', 'nodes']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION/);
    assert.match(r.stdout, new RegExp(`^${NODE}\\s+Ready\\s+static\\s+\\d+s\\s+v1\\.32\\.0-berth$`, 'm'));
  });

  test('describe pod shows the pod and its event', async () => {
    const r = await kubectl(ts, ['describe', 'pod', POD]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Name:\\s+${POD}`));
    assert.match(r.stdout, /Controlled By:\s+Node\/my-node1/);
    assert.match(r.stdout, /Restart Count:\s+3/);
    assert.match(r.stdout, /Normal\s+Started\s+\S+\s+berth\S*\s+Started container web/);
  });

  test('describe node lists the pod on it and its event', async () => {
    const r = await kubectl(ts, ['describe', 'node', NODE]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Name:\\s+${NODE}`));
    assert.match(r.stdout, new RegExp(`default\\s+${POD}`));
    assert.match(r.stdout, /NodeReady/);
  });

  test('get events', async () => {
    const r = await kubectl(ts, ['get', 'events']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE/);
    assert.match(r.stdout, new RegExp(`Normal\\s+Started\\s+pod/${POD}\\s+Started container web`));
  });

  test('logs reads through the logs callback', async () => {
    const r = await kubectl(ts, ['logs', POD, '--tail=2']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hello from web\nsecond line\n');
    const last = logCalls[logCalls.length - 1]!;
    assert.deepEqual(
      { ns: last.namespace, pod: last.pod, c: last.container, f: last.follow, t: last.tailLines },
      { ns: 'default', pod: POD, c: 'web', f: false, t: 2 },
    );
    const missing = await kubectl(ts, ['logs', 'nosuch']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /pods "nosuch" not found/);
  });

  test('logs -f streams until kubectl goes away', async () => {
    const before = followStreams.length;
    const child = spawn('kubectl', ['logs', '-f', POD], { env: ts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    await waitFor(() => followStreams.length > before && out.includes('second line'), 'kubectl logs -f output', 30_000);
    const stream = followStreams[followStreams.length - 1]!;
    stream.write('a later line\n');
    await waitFor(() => out.includes('a later line'), 'the followed line', 15_000);
    assert.equal(child.exitCode, null, 'kubectl logs -f must still be following');
    child.kill('SIGTERM');
    await waitFor(() => stream.destroyed, 'the server to drop the log stream after the client left', 15_000);
  });

  test('get pods -w sees a later status change', async () => {
    const child = spawn('kubectl', ['get', 'pods', '-w'], { env: ts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    await waitFor(() => out.includes(POD), 'the initial row', 30_000);
    await waitFor(() => ts.server.watchers() > 0, 'kubectl to start watching', 30_000);
    const patch = await call(ts, 'PATCH', `/api/v1/namespaces/default/pods/${POD}/status`, {
      contentType: 'application/strategic-merge-patch+json',
      body: { status: { containerStatuses: [{ name: 'web', ready: false, restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } } }] } },
    });
    assert.equal(patch.status, 200, patch.text);
    await waitFor(() => /0\/1\s+CrashLoopBackOff\s+4/.test(out), 'the CrashLoopBackOff row', 15_000);
    assert.equal(out.match(/^NAME\s/gm)?.length, 1, 'one header only');
    child.kill('SIGTERM');
    await waitFor(() => ts.server.watchers() === 0, 'the watch to be released', 15_000);
  });

  test('delete pod prints deleted and the pod is gone', async () => {
    const r = await kubectl(ts, ['delete', 'pod', POD]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`pod "${POD}" deleted`));
    const g = await call(ts, 'GET', `/api/v1/namespaces/default/pods/${POD}`);
    assert.equal(g.status, 404);
    const again = await kubectl(ts, ['get', 'pod', POD]);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, new RegExp(`pods "${POD}" not found`));
  });
});
