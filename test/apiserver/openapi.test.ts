// /openapi/v2 and /openapi/v3 over real HTTPS: the documents generated at build time from the
// kubernetes-types declarations, completed with the list/patch facts, and served with the
// negotiation, hashes and ETags kube-apiserver uses.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { TOKEN, startTestServer, type TestServer } from './helpers.js';

const CORE = 'io.k8s.api.core.v1';
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const PB = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  json: any;
}

/** A GET with any headers, keeping the raw body (the shared helper decodes text only). */
function call(ts: TestServer, _method: 'GET', path: string, o: { headers?: Record<string, string>; token?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers = { Authorization: `Bearer ${o.token ?? TOKEN}`, ...o.headers };
    const req = request(new URL(path, ts.server.url), { headers, ca: ts.server.caCertPem }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        let json: unknown;
        try {
          json = JSON.parse(body.toString('utf8'));
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('OpenAPI documents', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer();
  });
  after(async () => {
    await ts?.close();
  });

  test('v2: every served kind, with descriptions, required fields, GVK and the x-kubernetes facts', async () => {
    const r = await call(ts, 'GET', '/openapi/v2', { headers: { Accept: 'application/json' } });
    assert.equal(r.status, 200, r.body.toString());
    assert.match(String(r.headers['content-type']), /^application\/json/);
    const d = r.json;
    assert.equal(d.swagger, '2.0');
    for (const [name, gvk] of [
      [`${CORE}.Pod`, { group: '', version: 'v1', kind: 'Pod' }],
      [`${CORE}.PodList`, { group: '', version: 'v1', kind: 'PodList' }],
      [`${CORE}.Node`, { group: '', version: 'v1', kind: 'Node' }],
      [`${CORE}.Namespace`, { group: '', version: 'v1', kind: 'Namespace' }],
      [`${CORE}.Event`, { group: '', version: 'v1', kind: 'Event' }],
      ['io.k8s.api.coordination.v1.Lease', { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease' }],
    ] as const) {
      assert.ok(d.definitions[name], `definition ${name}`);
      assert.deepEqual(d.definitions[name]['x-kubernetes-group-version-kind'], [gvk], name);
    }
    const pod = d.definitions[`${CORE}.Pod`];
    assert.match(pod.description, /collection of containers/);
    assert.equal(pod.properties.spec.$ref, `#/definitions/${CORE}.PodSpec`);
    assert.deepEqual(d.definitions[`${CORE}.Container`].required, ['name']);
    const spec = d.definitions[`${CORE}.PodSpec`].properties;
    assert.equal(spec.containers['x-kubernetes-patch-merge-key'], 'name');
    assert.equal(spec.containers['x-kubernetes-patch-strategy'], 'merge');
    assert.equal(spec.containers['x-kubernetes-list-type'], 'map');
    assert.deepEqual(spec.containers['x-kubernetes-list-map-keys'], ['name']);
    assert.equal(spec.volumes['x-kubernetes-patch-strategy'], 'merge,retainKeys');
    assert.equal(spec.tolerations['x-kubernetes-list-type'], 'atomic');
    assert.deepEqual(spec.terminationGracePeriodSeconds, { ...spec.terminationGracePeriodSeconds, type: 'integer', format: 'int64' });
    assert.equal(d.definitions[`${CORE}.ContainerPort`].properties.containerPort.format, 'int32');
    assert.deepEqual(d.definitions[`${CORE}.Container`].properties.ports['x-kubernetes-list-map-keys'], ['containerPort', 'protocol']);
    assert.equal(d.definitions[`${CORE}.NodeSpec`].properties.podCIDRs['x-kubernetes-list-type'], 'set');
    assert.equal(d.definitions[`${META}.ObjectMeta`].properties.ownerReferences['x-kubernetes-patch-merge-key'], 'uid');
    // int-or-string and Quantity, as kubectl's validation expects them.
    assert.equal(d.definitions[`${CORE}.HTTPGetAction`].properties.port.$ref, '#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString');
    assert.deepEqual(
      { type: d.definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString'].type, format: d.definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString'].format },
      { type: 'string', format: 'int-or-string' },
    );
    assert.equal(d.definitions['io.k8s.apimachinery.pkg.api.resource.Quantity'].type, 'string');
    assert.equal(d.definitions[`${CORE}.ResourceRequirements`].properties.limits.additionalProperties.$ref, '#/definitions/io.k8s.apimachinery.pkg.api.resource.Quantity');
    assert.equal(d.definitions[`${META}.Time`].format, 'date-time');
    // Every $ref resolves inside the document.
    const refs = JSON.stringify(d).match(/"#\/definitions\/[^"]+"/g) ?? [];
    for (const ref of new Set(refs)) assert.ok(d.definitions[JSON.parse(ref).slice('#/definitions/'.length)], `dangling ${ref}`);
    // Types not served are not published.
    assert.equal(d.definitions['io.k8s.api.core.v1.Secret'], undefined);
  });

  test('v2: the paths with their operations, as kube names them', async () => {
    const d = (await call(ts, 'GET', '/openapi/v2')).json;
    const item = d.paths['/api/v1/namespaces/{namespace}/pods/{name}'];
    assert.equal(item.get.operationId, 'readCoreV1NamespacedPod');
    assert.equal(item.patch.operationId, 'patchCoreV1NamespacedPod');
    assert.equal(item.patch['x-kubernetes-action'], 'patch');
    assert.deepEqual(item.patch['x-kubernetes-group-version-kind'], { group: '', version: 'v1', kind: 'Pod' });
    assert.ok(item.patch.consumes.includes('application/apply-patch+yaml'));
    assert.ok(item.patch.parameters.some((p: { name: string }) => p.name === 'force'));
    assert.ok(item.parameters.some((p: { name: string; in: string }) => p.name === 'namespace' && p.in === 'path'));
    assert.equal(d.paths['/api/v1/namespaces/{namespace}/pods'].get.operationId, 'listCoreV1NamespacedPod');
    assert.equal(d.paths['/api/v1/pods'].get.operationId, 'listCoreV1PodForAllNamespaces');
    assert.equal(d.paths['/api/v1/nodes/{name}/status'].patch.operationId, 'patchCoreV1NodeStatus');
    assert.equal(d.paths['/api/v1/namespaces/{namespace}/pods/{name}/log'].get.operationId, 'readCoreV1NamespacedPodLog');
    assert.equal(d.paths['/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases/{name}'].put.operationId, 'replaceCoordinationV1NamespacedLease');
    assert.equal(d.paths['/api/v1/namespaces'].post.operationId, 'createCoreV1Namespace');
    assert.equal(d.paths['/api/v1/namespaces'].delete, undefined, 'namespaces have no deletecollection here');
  });

  test('v2: protobuf when asked for it (client-go asks for nothing else), 406 for what we cannot produce', async () => {
    const pb = await call(ts, 'GET', '/openapi/v2', { headers: { Accept: PB } });
    assert.equal(pb.status, 200);
    // The '@' spelling breaks Go's mime parser: kube answers with the dotted one.
    assert.equal(pb.headers['content-type'], 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
    const body = pb.body;
    // Document.swagger (field 1, length-delimited) = "2.0"
    assert.deepEqual([...body.subarray(0, 5)], [0x0a, 3, 0x32, 0x2e, 0x30]);
    assert.ok(body.includes(Buffer.from(`${CORE}.PodSpec`)));
    assert.ok(body.includes(Buffer.from('x-kubernetes-patch-merge-key')));
    const json = await call(ts, 'GET', '/openapi/v2', { headers: { Accept: `${PB};q=0.5, application/json` } });
    assert.match(String(json.headers['content-type']), /^application\/json/);
    const bad = await call(ts, 'GET', '/openapi/v2', { headers: { Accept: 'text/html' } });
    assert.equal(bad.status, 406);
    assert.match(bad.json.message, /\/openapi\/v2 is available as application\/json or .*protobuf.*Accept/);
    // ETags: a client with the current document gets 304.
    const again = await call(ts, 'GET', '/openapi/v2', { headers: { 'If-None-Match': String(json.headers['etag']) } });
    assert.equal(again.status, 304);
  });

  test('v3: an index of hashed URLs, one document per group version, allOf references', async () => {
    const idx = await call(ts, 'GET', '/openapi/v3');
    assert.equal(idx.status, 200);
    assert.deepEqual(Object.keys(idx.json.paths).sort(), ['api/v1', 'apis/authentication.k8s.io/v1', 'apis/authorization.k8s.io/v1', 'apis/coordination.k8s.io/v1', 'apis/metrics.k8s.io/v1beta1']);
    const url: string = idx.json.paths['api/v1'].serverRelativeURL;
    assert.match(url, /^\/openapi\/v3\/api\/v1\?hash=[0-9A-F]{128}$/);
    const doc = await call(ts, 'GET', url);
    assert.equal(doc.status, 200);
    assert.equal(doc.headers['cache-control'], 'public, immutable');
    assert.equal(doc.json.openapi, '3.0.0');
    const schemas = doc.json.components.schemas;
    assert.deepEqual(schemas[`${CORE}.Pod`]['x-kubernetes-group-version-kind'], [{ group: '', version: 'v1', kind: 'Pod' }]);
    assert.deepEqual(schemas[`${CORE}.Container`].properties.livenessProbe.allOf, [{ $ref: `#/components/schemas/${CORE}.Probe` }]);
    assert.match(schemas[`${CORE}.Container`].properties.livenessProbe.description, /Periodic probe of container liveness/);
    assert.equal(schemas['io.k8s.api.coordination.v1.Lease'], undefined, 'leases live in their own group document');
    const ios = schemas['io.k8s.apimachinery.pkg.util.intstr.IntOrString'];
    assert.deepEqual([ios.format, ios.type, ios.oneOf], ['int-or-string', undefined, [{ type: 'integer' }, { type: 'string' }]]);
    assert.deepEqual(schemas['io.k8s.apimachinery.pkg.api.resource.Quantity'].oneOf, [{ type: 'string' }, { type: 'number' }]);
    const patch = doc.json.paths['/api/v1/nodes/{name}'].patch;
    assert.ok(patch.requestBody.content['application/apply-patch+yaml']);
    assert.equal(patch['x-kubernetes-action'], 'patch');
    const lease = await call(ts, 'GET', idx.json.paths['apis/coordination.k8s.io/v1'].serverRelativeURL);
    assert.ok(lease.json.components.schemas['io.k8s.api.coordination.v1.Lease']);
    // An old hash is sent to the current one.
    const stale = await call(ts, 'GET', '/openapi/v3/api/v1?hash=0123');
    assert.equal(stale.status, 301);
    assert.equal(stale.headers['location'], url);
  });

  test('a type or group version not served is 404, and says what is served', async () => {
    for (const path of ['/openapi/v3/apis/apps/v1', '/openapi/v3/api/v2', '/openapi/v3/apis/coordination.k8s.io/v1beta1']) {
      const r = await call(ts, 'GET', path);
      assert.equal(r.status, 404, path);
      assert.match(r.json.message, /this server serves only api\/v1, apis\/coordination\.k8s\.io\/v1/);
    }
    assert.equal((await call(ts, 'GET', '/openapi/v4')).status, 404);
    assert.equal((await call(ts, 'GET', '/openapi/v2', { token: 'wrong' })).status, 401);
  });
});
