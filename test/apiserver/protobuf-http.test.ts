// Content negotiation of the embedded API server over real HTTPS: protobuf, YAML and JSON answers
// chosen by Accept (q-values, wildcards, lists, Table stays JSON/YAML), request bodies read by
// Content-Type (protobuf, YAML), protobuf watch frames, and the 400/406/415 answers to what is wrong.
// The protobuf side is read and written with protobufjs' own decoders (protobuf-client.ts).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpsRequest } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { call, mirrorPodBody, nodeBody, startTestServer, TOKEN, waitFor, type TestServer } from './helpers.js';
import { decodeBody, encodeBody, MAGIC, PROTOBUF, readFrames, type Decoded } from './protobuf-client.js';

interface RawReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function raw(ts: TestServer, method: string, path: string, o: { accept?: string; contentType?: string; body?: Buffer | string } = {}): Promise<RawReply> {
  const headers: Record<string, string> = { Authorization: `Bearer ${TOKEN}` };
  if (o.accept !== undefined) headers['Accept'] = o.accept;
  const data = o.body === undefined ? undefined : Buffer.isBuffer(o.body) ? o.body : Buffer.from(o.body);
  if (data) {
    headers['Content-Type'] = o.contentType ?? 'application/json';
    headers['Content-Length'] = String(data.length);
  }
  return new Promise((resolve, reject) => {
    const req = httpsRequest(new URL(path, ts.server.url), { method, headers, ca: ts.server.caCertPem }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(data);
  });
}

const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io';
const PB_TABLE = `${PROTOBUF};as=Table;v=v1;g=meta.k8s.io`;
const POD = 'static-web-my-node1';
const POD_PATH = `/api/v1/namespaces/default/pods/${POD}`;

describe('protobuf and YAML over HTTP', () => {
  let ts: TestServer;

  before(async () => {
    ts = await startTestServer();
    const n = await call(ts, 'POST', '/api/v1/nodes', { body: nodeBody() });
    assert.equal(n.status, 201, n.text);
    const p = await call(ts, 'POST', '/api/v1/namespaces/default/pods', { body: mirrorPodBody(POD, n.json.metadata.uid, { restartedAgoMs: 60_000 }) });
    assert.equal(p.status, 201, p.text);
  });
  after(() => ts?.close());

  test('GET a pod in protobuf: the same object as the JSON answer', async () => {
    const json = await call(ts, 'GET', POD_PATH);
    const r = await raw(ts, 'GET', POD_PATH, { accept: `${PROTOBUF}, application/json` });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], PROTOBUF);
    const d = decodeBody(r.body);
    assert.equal(d.kind, 'Pod');
    assert.equal(d.apiVersion, 'v1');
    assert.equal(d.object.metadata.uid, json.json.metadata.uid);
    assert.equal(d.object.metadata.resourceVersion, json.json.metadata.resourceVersion);
    assert.equal(d.object.metadata.creationTimestamp.seconds, Date.parse(json.json.metadata.creationTimestamp) / 1000);
    assert.equal(d.object.status.containerStatuses[0].restartCount, 3);
    assert.equal(d.object.spec.containers[0].image, 'nginx:1.27');
  });

  test('lists and cluster-scoped objects in protobuf', async () => {
    const r = await raw(ts, 'GET', '/api/v1/pods', { accept: PROTOBUF });
    assert.equal(r.status, 200);
    const d = decodeBody(r.body);
    assert.equal(d.kind, 'PodList');
    assert.deepEqual(d.object.items.map((p: any) => p.metadata.name), [POD]);
    assert.match(d.object.metadata.resourceVersion, /^\d+$/);
    const nodes = decodeBody((await raw(ts, 'GET', '/api/v1/nodes', { accept: PROTOBUF })).body);
    assert.equal(nodes.kind, 'NodeList');
    assert.equal(nodes.object.items[0].metadata.name, 'my-node1');
    const ns = decodeBody((await raw(ts, 'GET', '/api/v1/namespaces/kube-system', { accept: PROTOBUF })).body);
    assert.equal(ns.kind, 'Namespace');
  });

  test('lists show each change at once in JSON and protobuf (encodings are cached per stored object)', async () => {
    const listLabels = async () => {
      const j = JSON.parse((await raw(ts, 'GET', '/api/v1/namespaces/default/pods')).body.toString());
      const p = decodeBody((await raw(ts, 'GET', '/api/v1/namespaces/default/pods', { accept: PROTOBUF })).body);
      return [j.items[0].metadata.labels.round, p.object.items[0].metadata.labels.round];
    };
    for (const round of ['one', 'two']) {
      const r = await call(ts, 'PATCH', POD_PATH, { contentType: 'application/merge-patch+json', body: { metadata: { labels: { round } } } });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(await listLabels(), [round, round]);
    }
    const j = await raw(ts, 'GET', '/api/v1/namespaces/default/pods');
    assert.deepEqual(Object.keys(JSON.parse(j.body.toString())), ['kind', 'apiVersion', 'metadata', 'items']);
  });

  test('Accept negotiation: q-values, wildcards and order pick the media type as kube does', async () => {
    const typeFor = async (accept: string | undefined) => (await raw(ts, 'GET', POD_PATH, accept === undefined ? {} : { accept })).headers['content-type'];
    assert.equal(await typeFor(undefined), 'application/json');
    assert.equal(await typeFor('*/*'), 'application/json');
    assert.equal(await typeFor('application/*'), 'application/json');
    assert.equal(await typeFor(`application/json, ${PROTOBUF}`), 'application/json');
    assert.equal(await typeFor(`application/json;q=0.5, ${PROTOBUF}`), PROTOBUF);
    assert.equal(await typeFor(`${PROTOBUF};q=0.1, application/json;q=0.9`), 'application/json');
    assert.equal(await typeFor(`*/*;q=0.8, ${PROTOBUF}`), PROTOBUF);
    assert.equal(await typeFor(`text/html, application/yaml;q=0.9`), 'application/yaml');
    assert.equal(await typeFor(`${PROTOBUF};q=0, application/json`), 'application/json');
  });

  test('Table stays JSON (or YAML): protobuf;as=Table falls through to the next choice or is a 406', async () => {
    const t = await raw(ts, 'GET', '/api/v1/namespaces/default/pods', { accept: `${PB_TABLE}, ${TABLE}, application/json` });
    assert.equal(t.status, 200);
    assert.match(String(t.headers['content-type']), /^application\/json;as=Table/);
    assert.equal(JSON.parse(t.body.toString()).kind, 'Table');
    const p = await raw(ts, 'GET', '/api/v1/namespaces/default/pods', { accept: `${PB_TABLE}, ${PROTOBUF}` });
    assert.equal(decodeBody(p.body).kind, 'PodList');
    const y = await raw(ts, 'GET', '/api/v1/namespaces/default/pods', { accept: 'application/yaml;as=Table;v=v1;g=meta.k8s.io' });
    assert.match(String(y.headers['content-type']), /^application\/yaml;as=Table/);
    assert.equal(parseYaml(y.body.toString()).kind, 'Table');
    const none = await raw(ts, 'GET', '/api/v1/namespaces/default/pods', { accept: PB_TABLE });
    assert.equal(none.status, 406);
    const st = JSON.parse(none.body.toString());
    assert.equal(st.reason, 'NotAcceptable');
    assert.match(st.message, /only the following media types are accepted: application\/json, application\/yaml, application\/vnd\.kubernetes\.protobuf/);
  });

  test('PartialObjectMetadata in protobuf', async () => {
    const r = await raw(ts, 'GET', '/api/v1/namespaces/default/pods', { accept: `${PROTOBUF};as=PartialObjectMetadataList;v=v1;g=meta.k8s.io` });
    assert.equal(r.status, 200);
    const d = decodeBody(r.body);
    assert.equal(d.kind, 'PartialObjectMetadataList');
    assert.equal(d.apiVersion, 'meta.k8s.io/v1');
    assert.equal(d.object.items[0].metadata.name, POD);
    assert.equal(d.object.items[0].spec, undefined);
  });

  test('an Accept nothing matches is a 406 naming the served types', async () => {
    const r = await call(ts, 'GET', POD_PATH, { accept: 'text/html' });
    assert.equal(r.status, 406);
    assert.equal(r.json.reason, 'NotAcceptable');
    assert.match(r.json.message, /application\/json, application\/yaml, application\/vnd\.kubernetes\.protobuf/);
  });

  test('YAML answers, errors included', async () => {
    const r = await raw(ts, 'GET', POD_PATH, { accept: 'application/yaml' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/yaml');
    const pod = parseYaml(r.body.toString());
    assert.equal(pod.metadata.name, POD);
    assert.equal(pod.kind, 'Pod');
    const miss = await raw(ts, 'GET', '/api/v1/namespaces/default/pods/nope', { accept: 'application/yaml' });
    assert.equal(miss.status, 404);
    assert.equal(miss.headers['content-type'], 'application/yaml');
    assert.equal(parseYaml(miss.body.toString()).reason, 'NotFound');
  });

  test('an object whose fields do not fit the schema is answered in JSON, not a failure', async () => {
    const body = mirrorPodBody('odd-port', 'uid-1') as { spec: { containers: Record<string, unknown>[] } };
    body.spec.containers[0]!['stdin'] = 'yes';
    const made = await call(ts, 'POST', '/api/v1/namespaces/default/pods', { body });
    assert.equal(made.status, 201, made.text);
    const r = await raw(ts, 'GET', '/api/v1/namespaces/default/pods/odd-port', { accept: `${PROTOBUF}, application/json` });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(JSON.parse(r.body.toString()).spec.containers[0].stdin, 'yes');
    assert.equal((await call(ts, 'DELETE', '/api/v1/namespaces/default/pods/odd-port')).status, 200);
  });

  test('errors to a protobuf client are protobuf Status objects', async () => {
    const r = await raw(ts, 'GET', '/api/v1/namespaces/default/pods/nope', { accept: PROTOBUF });
    assert.equal(r.status, 404);
    assert.equal(r.headers['content-type'], PROTOBUF);
    const d = decodeBody(r.body);
    assert.equal(d.kind, 'Status');
    assert.equal(d.object.reason, 'NotFound');
    assert.equal(d.object.code, 404);
    assert.equal(d.object.message, 'pods "nope" not found');
  });

  test('POST a namespace in protobuf (as kubectl create namespace does), written the Go way', async () => {
    const body = encodeBody('v1', 'Namespace', { metadata: { name: 'pb-made', namespace: '', uid: '', resourceVersion: '', creationTimestamp: {} }, spec: {}, status: {} });
    const r = await raw(ts, 'POST', '/api/v1/namespaces', { accept: `${PROTOBUF}, */*`, contentType: PROTOBUF, body });
    assert.equal(r.status, 201, r.body.toString());
    const d = decodeBody(r.body);
    assert.equal(d.object.metadata.name, 'pb-made');
    assert.match(d.object.metadata.uid, /^[0-9a-f-]{36}$/);
    const back = await call(ts, 'GET', '/api/v1/namespaces/pb-made');
    assert.equal(back.status, 200);
    assert.equal(back.json.status.phase, 'Active');
    assert.equal(back.json.metadata.namespace, undefined);
    const again = await raw(ts, 'POST', '/api/v1/namespaces', { accept: PROTOBUF, contentType: PROTOBUF, body });
    assert.equal(again.status, 409);
    assert.equal(decodeBody(again.body).object.reason, 'AlreadyExists');
  });

  test('PUT and DELETE with protobuf bodies (DeleteOptions preconditions are read)', async () => {
    const lease = { metadata: { name: 'pb-lease', namespace: 'kube-node-lease' }, spec: { holderIdentity: 'me', leaseDurationSeconds: 40, renewTime: { seconds: 1714564800, nanos: 250_000_000 } } };
    const path = '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/pb-lease';
    const put = await raw(ts, 'PUT', path, { contentType: PROTOBUF, body: encodeBody('coordination.k8s.io/v1', 'Lease', lease) });
    assert.equal(put.status, 201, put.body.toString());
    const got = await call(ts, 'GET', path);
    assert.equal(got.json.spec.renewTime, '2024-05-01T12:00:00.250000Z');
    assert.equal(got.json.spec.leaseDurationSeconds, 40);
    const wrongUid = encodeBody('v1', 'DeleteOptions', { preconditions: { uid: 'not-the-uid' } });
    const del = await raw(ts, 'DELETE', path, { contentType: PROTOBUF, body: wrongUid });
    assert.equal(del.status, 409, del.body.toString());
    assert.match(JSON.parse(del.body.toString()).message, /Precondition failed: UID in precondition: not-the-uid/);
    const ok = await raw(ts, 'DELETE', path, { contentType: PROTOBUF, body: encodeBody('v1', 'DeleteOptions', { preconditions: { uid: got.json.metadata.uid } }) });
    assert.equal(ok.status, 200, ok.body.toString());
  });

  test('YAML request bodies are accepted', async () => {
    const r = await raw(ts, 'POST', '/api/v1/namespaces', { contentType: 'application/yaml', body: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: from-yaml\n' });
    assert.equal(r.status, 201, r.body.toString());
    assert.equal(JSON.parse(r.body.toString()).metadata.name, 'from-yaml');
  });

  test('bad protobuf bodies are a 400 that says what is wrong; an unknown Content-Type a 415 naming the served ones', async () => {
    const good = encodeBody('v1', 'Namespace', { metadata: { name: 'never' } });
    const cut = await call(ts, 'POST', '/api/v1/namespaces', { contentType: PROTOBUF, body: good.subarray(0, good.length - 3) });
    assert.equal(cut.status, 400, cut.text);
    assert.equal(cut.json.reason, 'BadRequest');
    assert.match(cut.json.message, /truncated/);
    const json = await call(ts, 'POST', '/api/v1/namespaces', { contentType: PROTOBUF, body: '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"never"}}' });
    assert.equal(json.status, 400);
    assert.match(json.json.message, /does not start with the protobuf prefix .*Content-Type: application\/json/);
    const wrongKind = await call(ts, 'POST', '/api/v1/namespaces', { contentType: PROTOBUF, body: encodeBody('v1', 'Pod', { metadata: { name: 'never' } }) });
    assert.ok(wrongKind.status === 400 || wrongKind.status === 422, wrongKind.text);
    const text = await call(ts, 'POST', '/api/v1/namespaces', { contentType: 'text/plain', body: 'name: never' });
    assert.equal(text.status, 415);
    assert.equal(text.json.reason, 'UnsupportedMediaType');
    assert.match(text.json.message, /application\/json, application\/yaml, application\/vnd\.kubernetes\.protobuf/);
    assert.equal((await call(ts, 'GET', '/api/v1/namespaces/never')).status, 404);
  });

  test('watch in protobuf: length-prefixed frames of WatchEvents; YAML watch is a 406', async () => {
    const chunks: Buffer[] = [];
    let status = 0;
    let contentType = '';
    const req = httpsRequest(
      new URL('/api/v1/namespaces?watch=true&resourceVersion=0', ts.server.url),
      { headers: { Authorization: `Bearer ${TOKEN}`, Accept: `${PROTOBUF}, application/json` }, ca: ts.server.caCertPem },
      (res) => {
        status = res.statusCode ?? 0;
        contentType = String(res.headers['content-type']);
        res.on('data', (c: Buffer) => chunks.push(c));
      },
    );
    req.on('error', () => {});
    req.end();
    try {
      const events = (): { type: string; object: Decoded }[] => readFrames(Buffer.concat(chunks)).events;
      await waitFor(() => events().some((e) => e.object.object.metadata?.name === 'kube-system'), 'initial ADDED events', 15_000);
      assert.equal(status, 200);
      assert.equal(contentType, `${PROTOBUF};stream=watch`);
      const made = await call(ts, 'POST', '/api/v1/namespaces', { body: { metadata: { name: 'watched-pb' } } });
      assert.equal(made.status, 201);
      await waitFor(() => events().some((e) => e.type === 'ADDED' && e.object.object.metadata?.name === 'watched-pb'), 'ADDED watched-pb', 15_000);
      const ev = events().find((e) => e.object.object.metadata?.name === 'watched-pb')!;
      assert.equal(ev.object.kind, 'Namespace');
      assert.equal(ev.object.object.metadata.uid, made.json.metadata.uid);
      assert.ok(Buffer.concat(chunks).subarray(4).indexOf(MAGIC) > 0, 'each event object is a full k8s\\0 body');
    } finally {
      req.destroy();
    }
    const y = await call(ts, 'GET', '/api/v1/namespaces?watch=true', { accept: 'application/yaml' });
    assert.equal(y.status, 406);
  });
});
