// The embedded API answers as kube-apiserver does, tried over real HTTPS and with clients nobody
// on this project wrote (kubectl on PATH, kubectl 1.20): query decoding, sorted and paged lists
// with continue tokens, health checks, public /version, plain HTTP on the TLS port, the
// `kubernetes` service, kube-public, self-reviews for `kubectl auth`, and refusals that say what
// to do instead.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { requireOldKubectl } from '../e2e/clients.js';
import { NODE, TOKEN, call, kubectl, mirrorPodBody, nodeBody, openWatch, startTestServer, type TestServer } from './helpers.js';

const PODS = '/api/v1/namespaces/default/pods';

function run(bin: string, ts: TestServer, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(bin, args, { env: ts.env, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

describe('embedded API server behaves like kube-apiserver', () => {
  let ts: TestServer;
  let nodeUid = '';

  before(async () => {
    ts = await startTestServer({ historySize: 50 });
    const n = await call(ts, 'POST', '/api/v1/nodes', { body: nodeBody() });
    assert.equal(n.status, 201, n.text);
    nodeUid = n.json.metadata.uid;
    // Created out of name order: lists must come back sorted anyway.
    for (const name of ['pod-c', 'pod-a', 'pod-d', 'pod-b']) {
      const r = await call(ts, 'POST', PODS, { body: mirrorPodBody(name, nodeUid) });
      assert.equal(r.status, 201, r.text);
    }
  });
  after(async () => {
    await ts?.close();
  });

  const names = (r: { json: { items: { metadata: { name: string } }[] } }) => r.json.items.map((i) => i.metadata.name);

  test('booleans are true unless 0/false in any case; integers and repeated values decode as kube', async () => {
    for (const v of ['true', 'True', '1', '', 'maybe']) {
      const w = openWatch(ts, `${PODS}?watch=${v}&resourceVersion=0`);
      try {
        await w.waitFor((e) => e.type === 'ADDED' && e.object.metadata.name === 'pod-a', `watch=${v} streams`);
      } finally {
        w.close();
      }
    }
    for (const v of ['false', 'FALSE', 'False', '0']) {
      const r = await call(ts, 'GET', `${PODS}?watch=${v}`);
      assert.equal(r.json.kind, 'PodList', `watch=${v} is a list`);
    }
    const bad = await call(ts, 'GET', `${PODS}?limit=ten`);
    assert.equal(bad.status, 400);
    assert.equal(bad.json.reason, 'BadRequest');
    assert.match(bad.json.message, /"limit".*whole number/);
    // The first of repeated values wins, as in kube's parameter codec.
    const rep = await call(ts, 'GET', `${PODS}?limit=1&limit=3`);
    assert.equal(rep.json.items.length, 1);
    // timeoutSeconds ends the watch.
    const w = openWatch(ts, `${PODS}?watch=1&timeoutSeconds=1`);
    await w.ended;
    assert.equal(await w.status, 200);
  });

  test('lists are sorted by namespace/name and paged with limit/continue as one snapshot', async () => {
    assert.deepEqual(names(await call(ts, 'GET', PODS)), ['pod-a', 'pod-b', 'pod-c', 'pod-d']);
    const p1 = await call(ts, 'GET', `${PODS}?limit=2`);
    assert.deepEqual(names(p1), ['pod-a', 'pod-b']);
    assert.equal(p1.json.metadata.remainingItemCount, 2);
    const token = p1.json.metadata.continue as string;
    assert.ok(token);
    // Changes after the first page do not show in the later pages: they are read at its version.
    const del = await call(ts, 'DELETE', `${PODS}/pod-d`);
    assert.equal(del.status, 200);
    assert.equal((await call(ts, 'POST', PODS, { body: mirrorPodBody('pod-e', nodeUid) })).status, 201);
    const p2 = await call(ts, 'GET', `${PODS}?limit=2&continue=${encodeURIComponent(token)}`);
    assert.deepEqual(names(p2), ['pod-c', 'pod-d']);
    assert.equal(p2.json.metadata.resourceVersion, p1.json.metadata.resourceVersion);
    assert.equal(p2.json.metadata.continue, undefined);
    assert.deepEqual(names(await call(ts, 'GET', PODS)), ['pod-a', 'pod-b', 'pod-c', 'pod-e']);
    // A selector still pages, without remainingItemCount (as kube).
    const sel = await call(ts, 'GET', `${PODS}?limit=1&labelSelector=role%3Dmyrole`);
    assert.equal(sel.json.items.length, 1);
    assert.equal(sel.json.metadata.remainingItemCount, undefined);
    // Tables carry the token too (kubectl --chunk-size pages with tables).
    const table = await call(ts, 'GET', `${PODS}?limit=1`, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    assert.equal(table.json.kind, 'Table');
    assert.ok(table.json.metadata.continue);
  });

  test('an invalid continue token is a 400; one older than the history is a 410 with a fresh token', async () => {
    for (const bad of ['garbage', Buffer.from('{"v":"x"}').toString('base64url'), Buffer.from('{"v":"meta.k8s.io/v1","rv":"1","start":"a"}').toString('base64url')]) {
      const r = await call(ts, 'GET', `${PODS}?limit=1&continue=${bad}`);
      assert.equal(r.status, 400, r.text);
      assert.match(r.json.message, /continue token .* is not valid.*without "continue"/);
    }
    const p1 = await call(ts, 'GET', `${PODS}?limit=1`);
    const token = p1.json.metadata.continue as string;
    // Push the first page's version out of the history (50 changes).
    for (let i = 0; i < 60; i++) {
      const r = await call(ts, 'POST', '/api/v1/namespaces/default/events', {
        body: { metadata: { name: `ev-${i}` }, involvedObject: { kind: 'Node', name: NODE }, reason: 'Test', message: 'x' },
      });
      assert.equal(r.status, 201, r.text);
    }
    const gone = await call(ts, 'GET', `${PODS}?limit=1&continue=${token}`);
    assert.equal(gone.status, 410);
    assert.equal(gone.json.reason, 'Expired');
    assert.match(gone.json.message, /continue parameter is too old/);
    const fresh = gone.json.metadata.continue as string;
    assert.ok(fresh, 'the 410 carries a fresh token');
    const rest = await call(ts, 'GET', `${PODS}?continue=${fresh}`);
    assert.equal(rest.status, 200);
    assert.deepEqual(names(rest), ['pod-b', 'pod-c', 'pod-e']);
  });

  test('kubectl --chunk-size=1 pages (kubectl on PATH and kubectl 1.20)', async () => {
    for (const bin of ['kubectl', requireOldKubectl()]) {
      const r = await run(bin, ts, ['get', 'pods', '--chunk-size=1', '-v=6']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /pod-a[\s\S]*pod-b[\s\S]*pod-c[\s\S]*pod-e/, bin);
      assert.match(r.stderr, /pods\?continue=/, `${bin} followed a continue token`);
    }
  });

  test('health checks: ok, ?verbose, per check, exclude, 404 for an unknown check; /version without a token', async () => {
    for (const ep of ['healthz', 'livez', 'readyz']) {
      const ok = await call(ts, 'GET', `/${ep}`, { token: null });
      assert.equal(ok.status, 200);
      assert.equal(ok.text, 'ok');
      const v = await call(ts, 'GET', `/${ep}?verbose`, { token: null });
      assert.match(v.text, /^\[\+\]ping ok\n\[\+\]log ok\n\[\+\]etcd ok\n/);
      assert.match(v.text, new RegExp(`${ep} check passed\\n$`));
      const ping = await call(ts, 'GET', `/${ep}/etcd`);
      assert.equal(ping.status, 200);
      assert.equal(ping.text, 'ok');
      const unknown = await call(ts, 'GET', `/${ep}/nosuch`);
      assert.equal(unknown.status, 404);
      const ex = await call(ts, 'GET', `/${ep}?verbose&exclude=etcd`);
      assert.match(ex.text, /\[\+\]etcd excluded: ok/);
    }
    assert.match((await call(ts, 'GET', '/readyz?verbose')).text, /\[\+\]shutdown ok/);
    // Per-check paths are not in kube's public-info-viewer role: they need the token.
    assert.equal((await call(ts, 'GET', '/livez/ping', { token: null })).status, 401);
    const version = await call(ts, 'GET', '/version', { token: null });
    assert.equal(version.status, 200);
    assert.equal(version.json.major, '1');
  });

  test('plain HTTP to the TLS port gets kube\'s 400 text, not an empty reply', async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const s = connect(ts.server.port, '127.0.0.1', () => s.write('GET /version HTTP/1.1\r\nHost: x\r\n\r\n'));
      let text = '';
      s.on('data', (d) => (text += d.toString()));
      s.on('end', () => resolve(text));
      s.on('error', reject);
    });
    assert.equal(reply, 'HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n');
    // TLS still works on the same port afterwards.
    assert.equal((await call(ts, 'GET', '/version')).status, 200);
  });

  test('the kubernetes service and kube-public exist; services are read-only with a reason', async () => {
    const svc = await call(ts, 'GET', '/api/v1/namespaces/default/services/kubernetes');
    assert.equal(svc.status, 200);
    assert.equal(svc.json.spec.ports[0].port, ts.server.port);
    assert.equal(svc.json.metadata.labels.component, 'apiserver');
    assert.equal((await call(ts, 'GET', '/api/v1/namespaces/kube-public')).status, 200);
    const create = await call(ts, 'POST', '/api/v1/namespaces/default/services', { body: { metadata: { name: 'x' }, spec: {} } });
    assert.equal(create.status, 405);
    assert.match(create.json.message, /services are read-only here/);
    const del = await call(ts, 'DELETE', '/api/v1/namespaces/default/services/kubernetes');
    assert.equal(del.status, 405);
    const ns = await call(ts, 'DELETE', '/api/v1/namespaces/kube-public');
    assert.equal(ns.status, 403);
  });

  test('self-reviews answer truthfully (JSON)', async () => {
    const ssar = (attrs: Record<string, unknown>) =>
      call(ts, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: attrs } });
    const yes = await ssar({ resourceAttributes: { verb: 'list', resource: 'pods', namespace: 'default' } });
    assert.equal(yes.status, 201, yes.text);
    assert.equal(yes.json.status.allowed, true);
    const logs = await ssar({ resourceAttributes: { verb: 'get', resource: 'pods', subresource: 'log' } });
    assert.equal(logs.json.status.allowed, true);
    const no = await ssar({ resourceAttributes: { verb: 'create', resource: 'deployments', group: 'apps' } });
    assert.equal(no.json.status.allowed, false);
    assert.match(no.json.status.reason, /does not serve deployments\.apps/);
    const ro = await ssar({ resourceAttributes: { verb: 'delete', resource: 'services' } });
    assert.equal(ro.json.status.allowed, false);
    assert.equal((await ssar({ nonResourceAttributes: { verb: 'get', path: '/healthz' } })).json.status.allowed, true);
    assert.equal((await ssar({ nonResourceAttributes: { verb: 'get', path: '/nosuch' } })).json.status.allowed, false);
    assert.equal((await ssar({})).status, 400);
    const rules = await call(ts, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', { body: { spec: { namespace: 'default' } } });
    assert.equal(rules.status, 201);
    assert.ok(rules.json.status.resourceRules.some((r: { resources: string[]; verbs: string[] }) => r.resources.includes('services') && r.verbs.join() === 'get,list,watch'));
    const who = await call(ts, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { body: {} });
    assert.equal(who.json.status.userInfo.username, 'berth:admin');
    assert.equal((await call(ts, 'GET', '/apis/authentication.k8s.io/v1/selfsubjectreviews')).status, 405);
    const truncated = await call(ts, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
      body: Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x12, 0x40, 0x01]),
      contentType: 'application/vnd.kubernetes.protobuf',
    });
    assert.equal(truncated.status, 400);
    const envelope = await call(ts, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { body: Buffer.from('xxxxx'), contentType: 'application/vnd.kubernetes.protobuf' });
    assert.equal(envelope.status, 400);
    assert.match(envelope.json.message, /envelope/);
  });

  test('discovery lists services and the review groups', async () => {
    const core = await call(ts, 'GET', '/api/v1');
    assert.ok(core.json.resources.some((r: { name: string; shortNames?: string[] }) => r.name === 'services' && r.shortNames?.includes('svc')));
    const authz = await call(ts, 'GET', '/apis/authorization.k8s.io/v1');
    assert.deepEqual(authz.json.resources.map((r: { name: string }) => r.name).sort(), ['selfsubjectaccessreviews', 'selfsubjectrulesreviews', 'subjectaccessreviews']);
    const authn = await call(ts, 'GET', '/apis/authentication.k8s.io/v1');
    assert.deepEqual(authn.json.resources.map((r: { name: string }) => r.name).sort(), ['selfsubjectreviews', 'tokenreviews']);
  });

  test('TokenReview and SubjectAccessReview answer a node agent that joins this API', async () => {
    const review = (token: unknown) => call(ts, 'POST', '/apis/authentication.k8s.io/v1/tokenreviews', { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } } });
    const good = await review(TOKEN);
    assert.equal(good.status, 201, good.text);
    assert.equal(good.json.status.authenticated, true);
    assert.equal(good.json.status.user.username, 'berth:admin');
    assert.ok(!good.text.includes(TOKEN), 'the answer does not echo the token');
    const bad = await review('someone-elses-token');
    assert.equal(bad.json.status.authenticated, false);
    assert.equal((await review('')).status, 400);
    const sar = (spec: Record<string, unknown>) => call(ts, 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', { body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec } });
    const attrs = { resourceAttributes: { verb: 'get', resource: 'nodes', subresource: 'proxy', name: 'n1' } };
    assert.equal((await sar({ user: 'berth:admin', ...attrs })).json.status.allowed, true);
    assert.equal((await sar({ user: 'berth-apiserver', groups: ['system:masters'], ...attrs })).json.status.allowed, true);
    const denied = await sar({ user: 'bob', groups: ['system:authenticated'], ...attrs });
    assert.equal(denied.json.status.allowed, false);
    assert.match(denied.json.status.reason, /user "bob" is not allowed/);
    assert.equal((await sar({ user: 'bob' })).status, 400, 'attributes are required');
    assert.equal((await sar(attrs)).status, 400, 'a user or groups are required');
  });

  test('kubectl cluster-info, get all, auth can-i / --list / whoami (kubectl on PATH and 1.20)', async () => {
    const old = requireOldKubectl();
    for (const bin of ['kubectl', old]) {
      const info = await run(bin, ts, ['cluster-info']);
      assert.equal(info.code, 0, info.stderr);
      assert.match(info.stdout, /Kubernetes control plane.* is running at .*https:\/\/127\.0\.0\.1:\d+/);
      const all = await run(bin, ts, ['get', 'all']);
      assert.equal(all.code, 0, all.stderr);
      assert.match(all.stdout, /service\/kubernetes\s+ClusterIP\s+127\.0\.0\.1\s+<none>\s+\d+\/TCP/);
      assert.match(all.stdout, /pod\/pod-a/);
      const yes = await run(bin, ts, ['auth', 'can-i', 'get', 'pods']);
      assert.equal(yes.stdout.trim(), 'yes', yes.stderr);
      const no = await run(bin, ts, ['auth', 'can-i', 'create', 'services']);
      assert.equal(no.code, 1);
      assert.match(no.stdout, /^no - services allows only get, list, watch/);
      const list = await run(bin, ts, ['auth', 'can-i', '--list']);
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, /services\s+\[\]\s+\[\]\s+\[get list watch\]/);
      assert.match(list.stdout, /pods\/log\s+\[\]\s+\[\]\s+\[get\]/);
    }
    const who = await kubectl(ts, ['auth', 'whoami']);
    assert.equal(who.code, 0, who.stderr);
    assert.match(who.stdout, /Username\s+berth:admin/);
  });

  test('kubectl run and kubectl debug node/x are refused with "static pods only", not 415', async () => {
    const runIt = await kubectl(ts, ['run', 'x', '--image=busybox']);
    assert.notEqual(runIt.code, 0);
    assert.match(runIt.stderr, /Forbidden.*static pods only.*--pod-manifest-path/);
    const debug = await kubectl(ts, ['debug', `node/${NODE}`, '--image=busybox']);
    assert.notEqual(debug.code, 0);
    assert.match(debug.stderr, /static pods only/);
    assert.doesNotMatch(debug.stderr, /UnsupportedMediaType/);
    const eph = await call(ts, 'PATCH', `${PODS}/pod-a/ephemeralcontainers`, { body: {}, contentType: 'application/strategic-merge-patch+json' });
    assert.equal(eph.status, 405);
    assert.match(eph.json.message, /ephemeral debug containers/);
    const deploy = await call(ts, 'GET', '/apis/apps/v1/namespaces/default/deployments');
    assert.equal(deploy.status, 404);
    assert.match(deploy.json.message, /serves only pods, nodes, events, namespaces, services \(v1\).*static pods from manifests/);
  });
});
