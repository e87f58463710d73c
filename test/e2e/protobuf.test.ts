// Protobuf end to end: the real agent (./bin/berth) with its embedded API, driven by the real
// kubectl (the one on PATH and 1.20), which POSTs protobuf for `create namespace` and reads
// protobuf in `describe`, and by a raw protobuf client written here on protobufjs (GET a mirror
// pod and a list, POST an Event the way client-go's event recorder does).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { decodeBody, encodeBody, PROTOBUF } from '../apiserver/protobuf-client.js';
import { NODE, shPod, startBerth, waitFor, workspace, type Berth, type Workspace } from './harness.js';

const OLD_KUBECTL = process.env['BERTH_OLD_KUBECTL'] ?? '/var/lib/berth-ci/kubectl-1.20/usr/bin/kubectl';
const MIRROR = `static-web-${NODE}`;

interface Target {
  server: string;
  ca: string;
  token: string;
}

function readTarget(kubeconfig: string): Target {
  const kc = parseYaml(readFileSync(kubeconfig, 'utf8'));
  const cluster = kc.clusters[0].cluster;
  return { server: cluster.server, ca: Buffer.from(cluster['certificate-authority-data'], 'base64').toString(), token: kc.users[0].user.token };
}

function pbRequest(t: Target, method: string, path: string, body?: Buffer): Promise<{ status: number; type: string; body: Buffer }> {
  const headers: Record<string, string> = { Authorization: `Bearer ${t.token}`, Accept: PROTOBUF };
  if (body) {
    headers['Content-Type'] = PROTOBUF;
    headers['Content-Length'] = String(body.length);
  }
  return new Promise((resolve, reject) => {
    const req = httpsRequest(new URL(path, t.server), { method, headers, ca: t.ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('protobuf against the real agent and kubectl', () => {
  let ws: Workspace;
  let berth: Berth;
  let home: string;
  let kubeconfig: string;
  let target: Target;

  // Async (not spawnSync): kubectl must not block this process while the agent answers it.
  const run = (bin: string, args: string[]) =>
    new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const p = spawn(bin, args, { env: { ...process.env, KUBECONFIG: kubeconfig, HOME: home, KUBECACHEDIR: join(home, bin === 'kubectl' ? 'cache' : 'cache-old') } });
      let out = '';
      let err = '';
      const timer = setTimeout(() => p.kill('SIGKILL'), 60_000);
      p.stdout.on('data', (c) => (out += c));
      p.stderr.on('data', (c) => (err += c));
      p.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, out, err });
      });
    });
  const kubectl = (...args: string[]) => run('kubectl', args);

  before(async () => {
    assert.ok(existsSync(OLD_KUBECTL), `kubectl 1.20 not found at ${OLD_KUBECTL}: run "bash scripts/old-kubectl.sh" (CI does) or set BERTH_OLD_KUBECTL`);
    ws = workspace();
    home = mkdtempSync(join(tmpdir(), 'berth-protobuf-home-'));
    ws.write('static-web.yaml', shPod('static-web', 'echo started; exec sleep 3600', { labels: { role: 'web' } }));
    berth = await startBerth(ws);
    kubeconfig = String(berth.logs.find((l) => l.msg === 'berth is running')!.kubeconfig);
    target = readTarget(kubeconfig);
    await waitFor(async () => {
      const r = await kubectl('get', 'pod', MIRROR, '-o', 'jsonpath={.status.phase}');
      return r.out === 'Running';
    }, `mirror pod ${MIRROR} to be Running`, 60_000);
  });

  after(async () => {
    await berth?.stop();
    await ws?.cleanup();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('kubectl create namespace (a protobuf POST) works, and get -o yaml shows it', async () => {
    const c = await kubectl('create', 'namespace', 'made-by-kubectl');
    assert.equal(c.code, 0, c.err);
    assert.match(c.out, /namespace\/made-by-kubectl created/);
    const y = await kubectl('get', 'ns', 'made-by-kubectl', '-o', 'yaml');
    assert.equal(y.code, 0, y.err);
    const ns = parseYaml(y.out);
    assert.equal(ns.kind, 'Namespace');
    assert.equal(ns.metadata.name, 'made-by-kubectl');
    assert.equal(ns.status.phase, 'Active');
    assert.equal(ns.metadata.namespace, undefined, 'empty strings a Go client writes are not stored');
    const again = await kubectl('create', 'namespace', 'made-by-kubectl');
    assert.equal(again.code, 1);
    assert.match(again.err, /Error from server \(AlreadyExists\): namespaces "made-by-kubectl" already exists/);
  });

  it('kubectl run (a protobuf Pod POST) gets the "static pods only" answer, not a 415', async () => {
    const r = await kubectl('run', 'not-static', '--image=busybox');
    assert.equal(r.code, 1);
    assert.match(r.err, /Error from server \(Forbidden\): pods "not-static" is forbidden: static pods only: node "my-node1" runs the pods of its manifest sources.*put a manifest in the node's --pod-manifest-path/);
    const d = await kubectl('debug', `node/${NODE}`, '--image=busybox', '--profile=general');
    assert.notEqual(d.code, 0);
    assert.match(d.err, /static pods only: node "my-node1" runs the pods of its manifest sources/);
    assert.doesNotMatch(d.err + r.err, /415|UnsupportedMediaType/);
  });

  it('kubectl 1.20 create namespace works too', async () => {
    const c = await run(OLD_KUBECTL, ['create', 'namespace', 'made-by-old-kubectl']);
    assert.equal(c.code, 0, c.err);
    assert.equal((await kubectl('get', 'ns', 'made-by-old-kubectl', '-o', 'name')).out.trim(), 'namespace/made-by-old-kubectl');
  });

  it('kubectl describe pod and node read protobuf answers', async () => {
    const d = await kubectl('describe', 'pod', MIRROR, '-v=6');
    assert.equal(d.code, 0, d.err);
    assert.match(d.out, new RegExp(`Name:\\s+${MIRROR}`));
    assert.match(d.out, /Status:\s+Running/);
    assert.match(d.out, new RegExp(`Node:\\s+${NODE}/`));
    assert.match(d.out, /Labels:\s+role=web/);
    assert.match(d.out, /Start Time:\s+\w{3}, \d\d \w{3} \d{4}/);
    const n = await kubectl('describe', 'node', NODE);
    assert.equal(n.code, 0, n.err);
    assert.match(n.out, /Ready\s+True/);
    // The node's Lease (MicroTime renewTime) comes back in protobuf too.
    assert.match(n.out, new RegExp(`HolderIdentity:\\s+${NODE}`));
    assert.match(n.out, /RenewTime:\s+\w{3}, \d\d \w{3} \d{4}/);
    assert.match(n.out, new RegExp(`default\\s+${MIRROR}`));
    // Capacity and allocatable are Quantities: decoded wrong, kubectl prints absurd percentages.
    assert.match(n.out, /Capacity:\s+cpu:\s+\d+/);
    assert.doesNotMatch(n.out, /-\d{6,}%/);
  });

  it('a raw protobuf client GETs the mirror pod and the pod list', async () => {
    const one = await pbRequest(target, 'GET', `/api/v1/namespaces/default/pods/${MIRROR}`);
    assert.equal(one.status, 200);
    assert.equal(one.type, PROTOBUF);
    const pod = decodeBody(one.body);
    assert.equal(pod.kind, 'Pod');
    assert.equal(pod.object.metadata.name, MIRROR);
    assert.equal(pod.object.status.phase, 'Running');
    assert.equal(pod.object.spec.containers[0].name, 'main');
    assert.ok(pod.object.metadata.annotations['kubernetes.io/config.mirror']);
    assert.ok(pod.object.status.containerStatuses[0].state.running.startedAt.seconds > 0);
    const list = decodeBody((await pbRequest(target, 'GET', '/api/v1/pods')).body);
    assert.equal(list.kind, 'PodList');
    assert.deepEqual(list.object.items.map((p: { metadata: { name: string } }) => p.metadata.name), [MIRROR]);
  });

  it('a raw protobuf client POSTs an Event, which kubectl then shows', async () => {
    const now = Math.floor(Date.now() / 1000);
    const body = encodeBody('v1', 'Event', {
      metadata: { name: `${MIRROR}.pb0001`, namespace: 'default' },
      involvedObject: { kind: 'Pod', namespace: 'default', name: MIRROR, apiVersion: 'v1' },
      reason: 'ProtobufHello',
      message: 'written in protobuf',
      source: { component: 'protobuf-test' },
      firstTimestamp: { seconds: now },
      lastTimestamp: { seconds: now },
      count: 1,
      type: 'Normal',
    });
    const r = await pbRequest(target, 'POST', '/api/v1/namespaces/default/events', body);
    assert.equal(r.status, 201, r.body.toString());
    assert.equal(decodeBody(r.body).object.reason, 'ProtobufHello');
    const ev = await kubectl('get', 'event', `${MIRROR}.pb0001`, '-o', 'json');
    assert.equal(ev.code, 0, ev.err);
    const json = JSON.parse(ev.out);
    assert.equal(json.message, 'written in protobuf');
    assert.equal(json.firstTimestamp, new Date(now * 1000).toISOString().replace('.000Z', 'Z'));
    const cut = await pbRequest(target, 'POST', '/api/v1/namespaces/default/events', body.subarray(0, body.length - 10));
    assert.equal(cut.status, 400);
    const st = decodeBody(cut.body);
    assert.equal(st.kind, 'Status');
    assert.match(st.object.message, /truncated/);
  });
});
