// The REST surface over real HTTPS: status codes and Status bodies for bad input, optimistic
// concurrency, watches (resume, 410, selectors, bookmarks, disconnects), tables and discovery.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:tls';
import { request as httpsRequest } from 'node:https';
import { X509Certificate } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { startApiServer } from '../../src/apiserver/index.js';
import { silentLogger } from '../../src/log/index.js';
import { NODE, TOKEN, call, mirrorPodBody, nodeBody, openWatch, startTestServer, waitFor, type TestServer } from './helpers.js';
import { NO_NODE } from './fake-node.js';

const PODS = '/api/v1/namespaces/default/pods';
const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

describe('embedded API server REST', () => {
  let ts: TestServer;
  let nodeUid = '';

  before(async () => {
    ts = await startTestServer({
      bookmarkIntervalMs: 200,
      eventLimits: { max: 5 },
      logs: async () => {
        const s = new PassThrough();
        s.end('x\n');
        return s;
      },
    });
    const n = await call(ts, 'POST', '/api/v1/nodes', { body: nodeBody() });
    assert.equal(n.status, 201, n.text);
    nodeUid = n.json.metadata.uid;
  });
  after(async () => {
    await ts?.close();
  });

  async function createPod(name: string, labels?: Record<string, string>) {
    const r = await call(ts, 'POST', PODS, { body: mirrorPodBody(name, nodeUid, labels ? { labels } : {}) });
    assert.equal(r.status, 201, r.text);
    return r.json;
  }

  test('a request without the token, or with a wrong one, is 401; health checks and /version are open', async () => {
    for (const token of [null, 'wrong-token']) {
      const r = await call(ts, 'GET', '/api/v1/pods', { token });
      assert.equal(r.status, 401);
      assert.equal(r.json.kind, 'Status');
      assert.equal(r.json.reason, 'Unauthorized');
    }
    // kube's system:public-info-viewer: /version and the health checks need no token, but a wrong
    // token fails authentication everywhere.
    assert.equal((await call(ts, 'GET', '/version', { token: null })).json.minor, '32');
    assert.equal((await call(ts, 'GET', '/healthz', { token: 'wrong-token' })).status, 401);
    const h = await call(ts, 'GET', '/healthz', { token: null });
    assert.equal(h.status, 200);
    assert.equal(h.text, 'ok');
    const v = await call(ts, 'GET', '/version');
    assert.equal(v.json.minor, '32');
  });

  test('TLS: the certificate covers 127.0.0.1, keys are private and reused on restart', async () => {
    const cert = await new Promise<X509Certificate>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port: ts.server.port, ca: ts.server.caCertPem, servername: 'localhost' }, () => {
        const c = s.getPeerX509Certificate();
        s.end();
        if (c) resolve(c);
        else reject(new Error('no peer certificate'));
      });
      s.on('error', reject);
    });
    assert.ok(cert.checkIP('127.0.0.1'));
    assert.ok(cert.checkIP('::1'));
    assert.ok(cert.checkHost('localhost'));
    const certDir = join(ts.dir, 'certs');
    for (const key of ['ca.key', 'apiserver.key']) {
      assert.equal((await stat(join(certDir, key))).mode & 0o777, 0o600, key);
    }
    const caBefore = await readFile(join(certDir, 'ca.crt'), 'utf8');
    const second = await startApiServer({ certDir, token: TOKEN, nodeName: NODE, logger: silentLogger, port: 0, node: NO_NODE });
    try {
      assert.equal(second.caCertPem, caBefore);
    } finally {
      await second.close();
    }
  });

  test('malformed JSON is 400, a missing name 422, an unknown resource 404, a wrong method 405', async () => {
    const bad = await call(ts, 'POST', PODS, { body: '{"metadata": {' });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.reason, 'BadRequest');
    const noName = await call(ts, 'POST', PODS, { body: { metadata: { annotations: { 'kubernetes.io/config.mirror': 'x' } }, spec: { containers: [{ name: 'c' }] } } });
    assert.equal(noName.status, 422);
    assert.equal(noName.json.reason, 'Invalid');
    assert.equal(noName.json.details.causes[0].field, 'metadata.name');
    const unknown = await call(ts, 'GET', '/api/v1/namespaces/default/foos');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.kind, 'Status');
    assert.equal(unknown.json.reason, 'NotFound');
    const method = await call(ts, 'PUT', PODS, { body: {} });
    assert.equal(method.status, 405);
    assert.equal(method.json.reason, 'MethodNotAllowed');
    const media = await call(ts, 'PATCH', `/api/v1/nodes/${NODE}`, { body: '{}', contentType: 'text/plain' });
    assert.equal(media.status, 415);
    const missingPod = await call(ts, 'GET', `${PODS}/nosuch`);
    assert.equal(missingPod.status, 404);
    assert.equal(missingPod.json.message, 'pods "nosuch" not found');
    assert.deepEqual(missingPod.json.details, { name: 'nosuch', kind: 'pods' });
  });

  test('namespaces: the body must match the URL and the namespace must exist', async () => {
    const mismatch = await call(ts, 'POST', PODS, { body: { ...mirrorPodBody('ns-mismatch', nodeUid), metadata: { name: 'x', namespace: 'kube-system', annotations: { 'kubernetes.io/config.mirror': 'h' } } } });
    assert.equal(mismatch.status, 400);
    const noNs = await call(ts, 'POST', '/api/v1/namespaces/nope/pods', { body: mirrorPodBody('in-nope', nodeUid) });
    assert.equal(noNs.status, 400, 'the body says default: mismatch first');
    const body = mirrorPodBody('in-nope', nodeUid);
    delete (body['metadata'] as Record<string, unknown>)['namespace'];
    const missing = await call(ts, 'POST', '/api/v1/namespaces/nope/pods', { body });
    assert.equal(missing.status, 404);
    assert.equal(missing.json.message, 'namespaces "nope" not found');
    const protectedNs = await call(ts, 'DELETE', '/api/v1/namespaces/default');
    assert.equal(protectedNs.status, 403);
  });

  test('invalid selectors are 400', async () => {
    for (const q of ['labelSelector=a%20b', 'labelSelector=role%20in%20(a', 'labelSelector=-bad-=x', 'fieldSelector=spec.image%3Dx', 'fieldSelector=novalue']) {
      const r = await call(ts, 'GET', `/api/v1/pods?${q}`);
      assert.equal(r.status, 400, q);
      assert.equal(r.json.reason, 'BadRequest', q);
    }
  });

  test('creating an ordinary pod is 403 and explains static pods', async () => {
    const r = await call(ts, 'POST', PODS, { body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'plain' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } });
    assert.equal(r.status, 403);
    assert.equal(r.json.reason, 'Forbidden');
    assert.match(r.json.message, /--pod-manifest-path/);
    assert.equal((await call(ts, 'GET', `${PODS}/plain`)).status, 404);
  });

  test('create: server-owned fields, AlreadyExists, and the mirror annotation cannot be removed', async () => {
    const p = await createPod('owned');
    assert.match(p.metadata.uid, /^[0-9a-f-]{36}$/);
    assert.match(p.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(p.metadata.generation, 1);
    assert.match(p.metadata.resourceVersion, /^\d+$/);
    const dup = await call(ts, 'POST', PODS, { body: mirrorPodBody('owned', nodeUid) });
    assert.equal(dup.status, 409);
    assert.equal(dup.json.reason, 'AlreadyExists');
    const strip = await call(ts, 'PATCH', `${PODS}/owned`, {
      contentType: 'application/merge-patch+json',
      body: { metadata: { annotations: { 'kubernetes.io/config.mirror': null } } },
    });
    assert.equal(strip.status, 422);
  });

  test('two PUTs racing with the same resourceVersion: exactly one wins, the other is 409', async () => {
    const p = await createPod('race');
    const a = structuredClone(p);
    const b = structuredClone(p);
    a.metadata.labels = { ...a.metadata.labels, writer: 'a' };
    b.metadata.labels = { ...b.metadata.labels, writer: 'b' };
    const [ra, rb] = await Promise.all([call(ts, 'PUT', `${PODS}/race`, { body: a }), call(ts, 'PUT', `${PODS}/race`, { body: b })]);
    assert.deepEqual([ra.status, rb.status].sort(), [200, 409]);
    const loser = ra.status === 409 ? ra : rb;
    assert.equal(loser.json.reason, 'Conflict');
    const winner = ra.status === 200 ? 'a' : 'b';
    const now = await call(ts, 'GET', `${PODS}/race`);
    assert.equal(now.json.metadata.labels.writer, winner);
    // A patch that carries the old resourceVersion is refused the same way.
    const stale = await call(ts, 'PATCH', `${PODS}/race`, {
      contentType: 'application/merge-patch+json',
      body: { metadata: { resourceVersion: p.metadata.resourceVersion, labels: { x: 'y' } } },
    });
    assert.equal(stale.status, 409);
  });

  test('status subresource and main resource keep to their halves; no-op writes do not bump the version', async () => {
    const p = await createPod('halves');
    const s = await call(ts, 'PATCH', `${PODS}/halves/status`, {
      contentType: 'application/strategic-merge-patch+json',
      body: { metadata: { labels: { ignored: 'yes' } }, status: { conditions: [{ type: 'Ready', status: 'False' }] } },
    });
    assert.equal(s.status, 200, s.text);
    assert.equal(s.json.status.conditions[0].status, 'False');
    assert.equal(s.json.metadata.labels.ignored, undefined);
    assert.equal(s.json.status.containerStatuses[0].name, 'web', 'conditions merged by type, the rest kept');
    const m = await call(ts, 'PATCH', `${PODS}/halves`, {
      contentType: 'application/merge-patch+json',
      body: { metadata: { labels: { tier: 'front' } }, status: { phase: 'Failed' } },
    });
    assert.equal(m.json.metadata.labels.tier, 'front');
    assert.equal(m.json.status.phase, 'Running', 'status changes through the main resource are ignored');
    const same = await call(ts, 'PATCH', `${PODS}/halves`, { contentType: 'application/merge-patch+json', body: { metadata: { labels: { tier: 'front' } } } });
    assert.equal(same.json.metadata.resourceVersion, m.json.metadata.resourceVersion);
    const jp = await call(ts, 'PATCH', `${PODS}/halves`, {
      contentType: 'application/json-patch+json',
      body: [{ op: 'add', path: '/metadata/labels/jp', value: 'yes' }],
    });
    assert.equal(jp.status, 200, jp.text);
    assert.equal(jp.json.metadata.labels.jp, 'yes');
    assert.notEqual(p.metadata.resourceVersion, jp.json.metadata.resourceVersion);
  });

  test('delete answers the deleted object and honours preconditions.uid', async () => {
    const p = await createPod('doomed');
    const wrong = await call(ts, 'DELETE', `${PODS}/doomed`, { body: { preconditions: { uid: '00000000-0000-0000-0000-000000000000' } } });
    assert.equal(wrong.status, 409);
    assert.equal(wrong.json.reason, 'Conflict');
    const ok = await call(ts, 'DELETE', `${PODS}/doomed`, { body: { propagationPolicy: 'Background', preconditions: { uid: p.metadata.uid } } });
    assert.equal(ok.status, 200);
    assert.equal(ok.json.kind, 'Pod');
    assert.equal(ok.json.metadata.uid, p.metadata.uid);
    assert.equal((await call(ts, 'GET', `${PODS}/doomed`)).status, 404);
    assert.equal((await call(ts, 'DELETE', `${PODS}/doomed`)).status, 404);
  });

  test('a 20 MB body is refused with 413 without hurting the server', async () => {
    const big = Buffer.alloc(20 * 1024 * 1024, 0x20);
    const r = await call(ts, 'POST', PODS, { body: big });
    assert.equal(r.status, 413);
    assert.equal(r.json.reason, 'RequestEntityTooLarge');
    // Chunked (no Content-Length): refused while streaming.
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = httpsRequest(new URL(PODS, ts.server.url), {
        method: 'POST',
        ca: ts.server.caCertPem,
        headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
      }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      for (let i = 0; i < 20; i++) req.write(chunk);
      req.end();
    });
    assert.equal(chunked, 413);
    assert.equal((await call(ts, 'GET', '/api/v1/nodes')).status, 200);
  });

  test('lists: resourceVersion, selectors, cluster-wide, tables', async () => {
    await createPod('list-a', { app: 'a', tier: 'x' });
    await createPod('list-b', { app: 'b' });
    const l = await call(ts, 'GET', `${PODS}?labelSelector=app%20in%20(a,b),tier!%3Dx`);
    assert.equal(l.json.kind, 'PodList');
    assert.match(l.json.metadata.resourceVersion, /^\d+$/);
    assert.deepEqual(l.json.items.map((p: { metadata: { name: string } }) => p.metadata.name), ['list-b']);
    const f = await call(ts, 'GET', `/api/v1/pods?fieldSelector=metadata.name%3Dlist-a,spec.nodeName%3D${NODE},status.phase!%3DFailed`);
    assert.deepEqual(f.json.items.map((p: { metadata: { name: string } }) => p.metadata.name), ['list-a']);
    const t = await call(ts, 'GET', `${PODS}?labelSelector=app`, { accept: TABLE });
    assert.equal(t.json.kind, 'Table');
    assert.equal(t.json.apiVersion, 'meta.k8s.io/v1');
    assert.deepEqual(t.json.columnDefinitions.map((c: { name: string }) => c.name), ['Name', 'Ready', 'Status', 'Restarts', 'Age', 'IP', 'Node', 'Nominated Node', 'Readiness Gates']);
    assert.equal(t.json.columnDefinitions[5].priority, 1);
    assert.equal(t.json.rows.length, 2);
    assert.equal(t.json.rows[0].object.kind, 'PartialObjectMetadata');
    assert.equal(t.json.rows[0].object.metadata.namespace, 'default');
    assert.deepEqual(t.json.rows[0].cells.slice(0, 3), ['list-a', '1/1', 'Running']);
    const one = await call(ts, 'GET', `${PODS}/list-a`, { accept: TABLE });
    assert.equal(one.json.rows.length, 1);
    const full = await call(ts, 'GET', `${PODS}/list-a?includeObject=Object`, { accept: TABLE });
    assert.equal(full.json.rows[0].object.kind, 'Pod');
  });

  test('discovery: aggregated with the exact content type, legacy otherwise, leases under coordination.k8s.io', async () => {
    for (const v of ['v2', 'v2beta1']) {
      const accept = `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList,application/json`;
      const api = await call(ts, 'GET', '/api', { accept });
      assert.equal(api.headers['content-type'], `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList`);
      const pods = api.json.items[0].versions[0].resources.find((r: { resource: string }) => r.resource === 'pods');
      assert.deepEqual(pods.shortNames, ['po']);
      assert.deepEqual(pods.subresources.map((s: { subresource: string }) => s.subresource).sort(), ['attach', 'exec', 'log', 'portforward', 'status']);
      assert.deepEqual(pods.subresources.find((s: { subresource: string }) => s.subresource === 'exec').verbs, ['create', 'get']);
      const apis = await call(ts, 'GET', '/apis', { accept });
      assert.equal(apis.json.items[0].metadata.name, 'coordination.k8s.io');
      assert.equal(apis.json.items[0].versions[0].resources[0].resource, 'leases');
      const metrics = apis.json.items.find((i: { metadata: { name: string } }) => i.metadata.name === 'metrics.k8s.io');
      assert.equal(metrics.versions[0].version, 'v1beta1');
      const scopes = Object.fromEntries(metrics.versions[0].resources.map((r: { resource: string; scope: string }) => [r.resource, r.scope]));
      assert.deepEqual(scopes, { nodes: 'Cluster', pods: 'Namespaced' });
    }
    const legacy = await call(ts, 'GET', '/api', { accept: 'application/json' });
    assert.equal(legacy.json.kind, 'APIVersions');
    const v1 = await call(ts, 'GET', '/api/v1');
    for (const sub of ['pods/log', 'pods/exec', 'pods/attach', 'pods/portforward']) assert.ok(v1.json.resources.some((r: { name: string }) => r.name === sub), sub);
    const m = await call(ts, 'GET', '/apis/metrics.k8s.io/v1beta1');
    assert.deepEqual(m.json.resources.map((r: { name: string; kind: string; verbs: string[] }) => [r.name, r.kind, r.verbs.join(',')]), [['nodes', 'NodeMetrics', 'get,list'], ['pods', 'PodMetrics', 'get,list']]);
    const g = await call(ts, 'GET', '/apis');
    assert.equal(g.json.groups[0].name, 'coordination.k8s.io');
    assert.equal((await call(ts, 'GET', '/apis/coordination.k8s.io/v1')).json.resources[0].name, 'leases');
    assert.equal((await call(ts, 'GET', '/openapi/v3/apis/apps/v1')).status, 404);
  });

  test('leases: namespaced, create on PUT, holder column', async () => {
    const path = `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${NODE}`;
    const put = await call(ts, 'PUT', path, { body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: NODE }, spec: { holderIdentity: NODE, leaseDurationSeconds: 40 } } });
    assert.equal(put.status, 201, put.text);
    const t = await call(ts, 'GET', path, { accept: TABLE });
    assert.deepEqual(t.json.rows[0].cells.slice(0, 2), [NODE, NODE]);
    const wrongGroup = await call(ts, 'GET', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/pods');
    assert.equal(wrongGroup.status, 404);
  });

  test('watch from rv=0 starts with the current objects; from a list version replays what followed', async () => {
    await createPod('w-initial', { w: 'init' });
    const w0 = openWatch(ts, `${PODS}?watch=true&resourceVersion=0&labelSelector=w%3Dinit`);
    try {
      const first = await w0.waitFor((e) => e.type === 'ADDED', 'synthetic ADDED');
      assert.equal(first.object.metadata.name, 'w-initial');
    } finally {
      w0.close();
    }
    const list = await call(ts, 'GET', PODS);
    const rv = list.json.metadata.resourceVersion;
    await createPod('w-after', { w: 'after' });
    await call(ts, 'DELETE', `${PODS}/w-after`);
    const w = openWatch(ts, `${PODS}?watch=true&resourceVersion=${rv}`);
    try {
      await w.waitFor((e) => e.type === 'DELETED' && e.object.metadata.name === 'w-after', 'replayed DELETED');
      assert.deepEqual(
        w.events.filter((e) => e.object.metadata?.name === 'w-after').map((e) => e.type),
        ['ADDED', 'DELETED'],
      );
      assert.ok(!w.events.some((e) => e.object.metadata?.name === 'w-initial'), 'nothing from before the version');
    } finally {
      w.close();
    }
  });

  test('watch: an object that stops matching the selector is sent as DELETED', async () => {
    await createPod('w-sel', { stage: 'canary' });
    const w = openWatch(ts, `${PODS}?watch=true&labelSelector=stage%3Dcanary`);
    try {
      await w.waitFor((e) => e.type === 'ADDED' && e.object.metadata.name === 'w-sel', 'ADDED');
      await call(ts, 'PATCH', `${PODS}/w-sel`, { contentType: 'application/merge-patch+json', body: { metadata: { labels: { stage: 'stable' } } } });
      const gone = await w.waitFor((e) => e.type === 'DELETED', 'DELETED on selector mismatch');
      assert.equal(gone.object.metadata.labels.stage, 'stable');
      await call(ts, 'PATCH', `${PODS}/w-sel`, { contentType: 'application/merge-patch+json', body: { metadata: { labels: { stage: 'canary' } } } });
      await w.waitFor((e) => e.type === 'ADDED' && e.object.metadata.labels.stage === 'canary' && w.events.indexOf(e) > 0, 'ADDED again');
    } finally {
      w.close();
    }
  });

  test('watch from a far too old resourceVersion gets a 410 Expired ERROR event', async () => {
    const w = openWatch(ts, `${PODS}?watch=true&resourceVersion=1`);
    try {
      assert.equal(await w.status, 200);
      const e = await w.waitFor((x) => x.type === 'ERROR', 'ERROR');
      assert.equal(e.object.kind, 'Status');
      assert.equal(e.object.code, 410);
      assert.equal(e.object.reason, 'Expired');
      await w.ended;
    } finally {
      w.close();
    }
    const bad = await call(ts, 'GET', `${PODS}?watch=true&resourceVersion=abc`);
    assert.equal(bad.status, 400);
  });

  test('watch: Table events, bookmarks, timeoutSeconds', async () => {
    await createPod('w-table', { t: 'table' });
    const w = openWatch(ts, `${PODS}?watch=true&labelSelector=t%3Dtable&allowWatchBookmarks=true`, TABLE);
    try {
      const added = await w.waitFor((e) => e.type === 'ADDED', 'ADDED');
      assert.equal(added.object.kind, 'Table');
      assert.equal(added.object.rows.length, 1);
      assert.equal(added.object.rows[0].cells[0], 'w-table');
      const bm = await w.waitFor((e) => e.type === 'BOOKMARK', 'BOOKMARK');
      assert.match(bm.object.metadata.resourceVersion, /^\d+$/);
    } finally {
      w.close();
    }
    const t = openWatch(ts, `${PODS}?watch=true&timeoutSeconds=1`);
    await t.ended;
    t.close();
  });

  test('a client that disconnects mid-watch is released and the server keeps answering', async () => {
    await waitFor(() => ts.server.watchers() === 0, 'earlier watches to be released');
    const ws = [openWatch(ts, `${PODS}?watch=true`), openWatch(ts, '/api/v1/nodes?watch=true&resourceVersion=0')];
    await Promise.all(ws.map((w) => w.status));
    await waitFor(() => ts.server.watchers() === 2, 'two watchers');
    for (const w of ws) w.close();
    await waitFor(() => ts.server.watchers() === 0, 'the watchers to be released');
    await createPod('after-disconnect');
    assert.equal((await call(ts, 'GET', `${PODS}/after-disconnect`)).status, 200);
  });

  test('events are bounded and can be patched', async () => {
    const names: string[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await call(ts, 'POST', '/api/v1/namespaces/default/events', {
        body: { metadata: { name: `ev-${i}` }, involvedObject: { kind: 'Node', name: NODE }, reason: 'Test', message: `m${i}`, count: 1, type: 'Normal' },
      });
      assert.equal(r.status, 201, r.text);
      names.push(`ev-${i}`);
    }
    const l = await call(ts, 'GET', '/api/v1/events');
    assert.equal(l.json.items.length, 5);
    const p = await call(ts, 'PATCH', '/api/v1/namespaces/default/events/ev-7', {
      contentType: 'application/strategic-merge-patch+json',
      body: { count: 2, lastTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z') },
    });
    assert.equal(p.status, 200, p.text);
    assert.equal(p.json.count, 2);
    const sel = await call(ts, 'GET', `/api/v1/events?fieldSelector=involvedObject.kind%3DNode,involvedObject.namespace%3D,involvedObject.name%3D${NODE}`);
    assert.equal(sel.json.items.length, 5);
  });

  test('logs: 404 for a missing pod, 400 without a container for a multi-container pod', async () => {
    const missing = await call(ts, 'GET', `${PODS}/nosuch/log`);
    assert.equal(missing.status, 404);
    const body = mirrorPodBody('two-containers', nodeUid);
    (body['spec'] as { containers: unknown[] }).containers.push({ name: 'sidecar', image: 'busybox' });
    assert.equal((await call(ts, 'POST', PODS, { body })).status, 201);
    const noContainer = await call(ts, 'GET', `${PODS}/two-containers/log`);
    assert.equal(noContainer.status, 400);
    assert.match(noContainer.json.message, /choose one of: \[web sidecar\]/);
    const ok = await call(ts, 'GET', `${PODS}/two-containers/log?container=sidecar`);
    assert.equal(ok.status, 200);
    assert.equal(ok.text, 'x\n');
    assert.match(String(ok.headers['content-type']), /^text\/plain/);
  });
});
