// Server-side apply and managedFields over raw HTTPS: who owns what after creates, updates and
// applies, the 409 conflicts in kube's words, force, pruning, shared ownership, and bad input.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NODE, call, mirrorPodBody, nodeBody, startTestServer, type TestServer } from './helpers.js';

const APPLY = 'application/apply-patch+yaml';
const POD = 'static-web-my-node1';
const podPath = `/api/v1/namespaces/default/pods/${POD}`;
const nodePath = `/api/v1/nodes/${NODE}`;

interface Entry {
  manager: string;
  operation: string;
  apiVersion: string;
  subresource?: string;
  fieldsType: string;
  fieldsV1: Record<string, unknown>;
  time: string;
}

function entry(o: { metadata: { managedFields?: Entry[] } }, manager: string, operation = 'Update'): Entry | undefined {
  return o.metadata.managedFields?.find((e) => e.manager === manager && e.operation === operation);
}

describe('server-side apply', () => {
  let ts: TestServer;
  let nodeUid = '';

  before(async () => {
    ts = await startTestServer();
  });
  after(async () => {
    await ts?.close();
  });
  beforeEach(async () => {
    await call(ts, 'DELETE', podPath);
    await call(ts, 'DELETE', nodePath);
    const n = await call(ts, 'POST', '/api/v1/nodes?fieldManager=berth', { body: nodeBody() });
    assert.equal(n.status, 201, n.text);
    nodeUid = n.json.metadata.uid;
    const p = await call(ts, 'POST', '/api/v1/namespaces/default/pods?fieldManager=berth', { body: mirrorPodBody(POD, nodeUid) });
    assert.equal(p.status, 201, p.text);
  });

  test('a create records its manager as an Update owning what it set (not the status, not identity)', async () => {
    const p = (await call(ts, 'GET', podPath)).json;
    const e = entry(p, 'berth')!;
    assert.equal(e.apiVersion, 'v1');
    assert.equal(e.fieldsType, 'FieldsV1');
    assert.match(e.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const f = e.fieldsV1 as any;
    assert.deepEqual(f['f:metadata']['f:labels'], { 'f:role': {} });
    assert.deepEqual(f['f:spec']['f:containers']['k:{"name":"web"}']['.'], {});
    assert.deepEqual(f['f:spec']['f:containers']['k:{"name":"web"}']['f:image'], {});
    assert.equal(f['f:metadata']['f:name'], undefined);
    assert.equal(f['f:status'], undefined);
    // A status write is its own manager, on the status subresource.
    const s = await call(ts, 'PATCH', `${podPath}/status?fieldManager=berth`, {
      body: { status: { podIP: '10.0.0.9' } },
      contentType: 'application/merge-patch+json',
    });
    assert.equal(s.status, 200, s.text);
    const st = s.json.metadata.managedFields.find((x: Entry) => x.subresource === 'status');
    assert.equal(st.manager, 'berth');
    assert.deepEqual(st.fieldsV1, { 'f:status': { 'f:podIP': {} } });
  });

  test('without fieldManager the manager is the User-Agent up to its first "/"', async () => {
    const r = await call(ts, 'PATCH', nodePath, { body: { metadata: { labels: { zone: 'a' } } }, contentType: 'application/merge-patch+json' });
    assert.equal(r.status, 200, r.text);
    // node:https sends no User-Agent: kube falls back to a fixed name; ours is "unknown".
    assert.deepEqual(entry(r.json, 'unknown')!.fieldsV1, { 'f:metadata': { 'f:labels': { 'f:zone': {} } } });
  });

  test('apply owns exactly its configuration; a conflicting apply is 409 in kube words; force takes over', async () => {
    const cfg = (labels: Record<string, string>, spec: Record<string, unknown>) =>
      JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: NODE, labels }, spec });
    const a = await call(ts, 'PATCH', `${nodePath}?fieldManager=ops`, {
      body: cfg({ tier: 'edge' }, { podCIDR: '10.1.0.0/24', taints: [{ key: 'dedicated', value: 'edge', effect: 'NoSchedule' }] }),
      contentType: APPLY,
    });
    assert.equal(a.status, 200, a.text);
    assert.equal(a.json.metadata.labels.tier, 'edge');
    assert.equal(a.json.spec.taints[0].key, 'dedicated');
    assert.deepEqual(entry(a.json, 'ops', 'Apply')!.fieldsV1, {
      'f:metadata': { 'f:labels': { 'f:tier': {} } },
      'f:spec': { 'f:podCIDR': {}, 'f:taints': {} },
    });
    // Other managers change two of those fields with ordinary updates.
    const u = await call(ts, 'PATCH', `${nodePath}?fieldManager=kubectl-label`, { body: { metadata: { labels: { tier: 'core' } } }, contentType: 'application/merge-patch+json' });
    assert.equal(u.status, 200, u.text);
    assert.equal(entry(u.json, 'ops', 'Apply')!.fieldsV1['f:metadata'], undefined, 'the update took tier from ops');
    const cordon = await call(ts, 'PATCH', `${nodePath}?fieldManager=kubectl-cordon`, {
      body: { spec: { unschedulable: true, podCIDR: '10.2.0.0/24' } },
      contentType: 'application/strategic-merge-patch+json',
    });
    assert.equal(cordon.status, 200, cordon.text);

    const body = cfg({ tier: 'edge' }, { podCIDR: '10.1.0.0/24', taints: [{ key: 'dedicated', value: 'edge', effect: 'NoSchedule' }] });
    const c = await call(ts, 'PATCH', `${nodePath}?fieldManager=ops`, { body, contentType: APPLY });
    assert.equal(c.status, 409, c.text);
    assert.equal(c.json.reason, 'Conflict');
    assert.equal(
      c.json.message,
      'Apply failed with 2 conflicts: conflicts with "kubectl-cordon" using v1:\n- .spec.podCIDR\nconflicts with "kubectl-label" using v1:\n- .metadata.labels.tier',
    );
    assert.deepEqual(c.json.details.causes, [
      { reason: 'FieldManagerConflict', message: 'conflict with "kubectl-cordon" using v1', field: '.spec.podCIDR' },
      { reason: 'FieldManagerConflict', message: 'conflict with "kubectl-label" using v1', field: '.metadata.labels.tier' },
    ]);
    const still = (await call(ts, 'GET', nodePath)).json;
    assert.equal(still.metadata.labels.tier, 'core', 'a refused apply changes nothing');

    const one = await call(ts, 'PATCH', `${nodePath}?fieldManager=ops`, { body: cfg({ tier: 'edge' }, {}), contentType: APPLY });
    assert.equal(one.status, 409);
    assert.equal(one.json.message, 'Apply failed with 1 conflict: conflict with "kubectl-label" using v1: .metadata.labels.tier');

    const f = await call(ts, 'PATCH', `${nodePath}?fieldManager=ops&force=true`, { body, contentType: APPLY });
    assert.equal(f.status, 200, f.text);
    assert.equal(f.json.metadata.labels.tier, 'edge');
    assert.equal(f.json.spec.podCIDR, '10.1.0.0/24');
    assert.equal(f.json.spec.unschedulable, true, 'fields nobody applied stay');
    assert.equal(entry(f.json, 'kubectl-label'), undefined, 'a manager left with nothing is dropped');
    assert.deepEqual(entry(f.json, 'kubectl-cordon')!.fieldsV1, { 'f:spec': { 'f:unschedulable': {} } });
  });

  test('the same value is shared ownership, not a conflict; fields no longer applied are removed', async () => {
    const cfg = (annotations: Record<string, string>) =>
      JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: POD, namespace: 'default', labels: { role: 'myrole', owner: 'alice' }, annotations } });
    const a = await call(ts, 'PATCH', `${podPath}?fieldManager=alice`, { body: cfg({ note: 'hi', keep: 'x' }), contentType: APPLY });
    assert.equal(a.status, 200, a.text);
    // role was set by berth at create with the same value: both own it now.
    assert.deepEqual(Object.keys((entry(a.json, 'alice', 'Apply')!.fieldsV1 as any)['f:metadata']['f:labels']).sort(), ['f:owner', 'f:role']);
    assert.ok((entry(a.json, 'berth')!.fieldsV1 as any)['f:metadata']['f:labels']['f:role']);
    // Dropping `keep` and the owner label from the configuration removes them; role stays (berth owns it too).
    const b = await call(ts, 'PATCH', `${podPath}?fieldManager=alice`, {
      body: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: POD, annotations: { note: 'hi' } } }),
      contentType: APPLY,
    });
    assert.equal(b.status, 200, b.text);
    assert.equal(b.json.metadata.annotations.keep, undefined);
    assert.equal(b.json.metadata.annotations.note, 'hi');
    assert.equal(b.json.metadata.labels.owner, undefined);
    assert.equal(b.json.metadata.labels.role, 'myrole');
    assert.equal(b.json.metadata.annotations['kubernetes.io/config.mirror'], 'a1b2c3d4e5f60718293a4b5c6d7e8f90');
    // Re-applying the same configuration writes nothing, even a second later.
    await new Promise((r) => setTimeout(r, 1100));
    const again = await call(ts, 'PATCH', `${podPath}?fieldManager=alice`, {
      body: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: POD, annotations: { note: 'hi' } } }),
      contentType: APPLY,
    });
    assert.equal(again.json.metadata.resourceVersion, b.json.metadata.resourceVersion);
  });

  test('apply in YAML creates a missing object; a PUT records an Update manager that later conflicts', async () => {
    const yaml = 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-a\n  labels:\n    team: a\n';
    const c = await call(ts, 'PATCH', '/api/v1/namespaces/team-a?fieldManager=gitops', { body: yaml, contentType: APPLY });
    assert.equal(c.status, 201, c.text);
    assert.equal(entry(c.json, 'gitops', 'Apply')!.operation, 'Apply');
    const put = await call(ts, 'PUT', '/api/v1/namespaces/team-a?fieldManager=editor', {
      body: { ...c.json, metadata: { ...c.json.metadata, labels: { team: 'b' } } },
    });
    assert.equal(put.status, 200, put.text);
    const again = await call(ts, 'PATCH', '/api/v1/namespaces/team-a?fieldManager=gitops', { body: yaml, contentType: APPLY });
    assert.equal(again.status, 409);
    assert.match(again.json.message, /conflict with "editor" using v1: \.metadata\.labels\.team/);
    await call(ts, 'DELETE', '/api/v1/namespaces/team-a');
  });

  test('dry run stores nothing; a conflict-free apply of a mirror pod keeps the agent fields', async () => {
    const before = (await call(ts, 'GET', podPath)).json;
    const d = await call(ts, 'PATCH', `${podPath}?fieldManager=alice&dryRun=All`, {
      body: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: POD, labels: { x: 'y' } } }),
      contentType: APPLY,
    });
    assert.equal(d.status, 200, d.text);
    assert.equal(d.json.metadata.labels.x, 'y');
    const after = (await call(ts, 'GET', podPath)).json;
    assert.equal(after.metadata.resourceVersion, before.metadata.resourceVersion);
    assert.equal(after.metadata.labels.x, undefined);
  });

  test('bad input: no fieldManager, force on a merge patch, not an object, wrong name, no kind', async () => {
    const cfg = JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: NODE } });
    const noManager = await call(ts, 'PATCH', nodePath, { body: cfg, contentType: APPLY });
    assert.equal(noManager.status, 422);
    assert.equal(noManager.json.message, 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    const force = await call(ts, 'PATCH', `${nodePath}?force=true`, { body: {}, contentType: 'application/merge-patch+json' });
    assert.equal(force.status, 422);
    assert.match(force.json.message, /force: Forbidden: may not be specified for non-apply patch/);
    const list = await call(ts, 'PATCH', `${nodePath}?fieldManager=x`, { body: '- a\n- b\n', contentType: APPLY });
    assert.equal(list.status, 400);
    assert.match(list.json.message, /an apply patch must be a Node object/);
    const yamlErr = await call(ts, 'PATCH', `${nodePath}?fieldManager=x`, { body: 'a: [1', contentType: APPLY });
    assert.equal(yamlErr.status, 400);
    assert.match(yamlErr.json.message, /not valid YAML or JSON/);
    const name = await call(ts, 'PATCH', `${nodePath}?fieldManager=x`, { body: JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'other' } }), contentType: APPLY });
    assert.equal(name.status, 400);
    assert.match(name.json.message, /does not match the name on the URL \(my-node1\)/);
    const kind = await call(ts, 'PATCH', `${nodePath}?fieldManager=x`, { body: JSON.stringify({ apiVersion: 'v1', metadata: { name: NODE } }), contentType: APPLY });
    assert.equal(kind.status, 400);
    assert.match(kind.json.message, /no kind: set kind: Node/);
    const long = await call(ts, 'PATCH', `${nodePath}?fieldManager=${'m'.repeat(129)}`, { body: cfg, contentType: APPLY });
    assert.equal(long.status, 422);
    const wrongType = await call(ts, 'PATCH', nodePath, { body: '{}', contentType: 'application/x-unknown-patch' });
    assert.equal(wrongType.status, 415);
    assert.match(wrongType.json.message, /application\/apply-patch\+yaml/);
    // A pod that is not a mirror pod cannot be created through apply either.
    const create = await call(ts, 'PATCH', '/api/v1/namespaces/default/pods/new?fieldManager=x', {
      body: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'new' }, spec: { containers: [{ name: 'c', image: 'i' }] } }),
      contentType: APPLY,
    });
    assert.equal(create.status, 403);
  });
});

describe('managedFields sent by a client', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer();
    const n = await call(ts, 'POST', '/api/v1/nodes?fieldManager=berth', { body: nodeBody() });
    assert.equal(n.status, 201, n.text);
  });
  after(async () => {
    await ts?.close();
  });

  test('[{}] clears them, [] and the live entries change nothing, an apply configuration may not carry them', async () => {
    const live = (await call(ts, 'GET', nodePath)).json;
    assert.equal(live.metadata.managedFields.length, 1);
    const echo = await call(ts, 'PUT', `${nodePath}?fieldManager=editor`, { body: live });
    assert.equal(echo.status, 200, echo.text);
    assert.equal(echo.json.metadata.resourceVersion, live.metadata.resourceVersion, 'sending the live entries back is no change');
    const empty = await call(ts, 'PATCH', nodePath, { body: { metadata: { managedFields: [] } }, contentType: 'application/merge-patch+json' });
    assert.equal(empty.json.metadata.managedFields.length, 1);
    const clear = await call(ts, 'PATCH', nodePath, { body: { metadata: { managedFields: [{}] } }, contentType: 'application/merge-patch+json' });
    assert.equal(clear.status, 200, clear.text);
    assert.equal(clear.json.metadata.managedFields, undefined);
    const bad = await call(ts, 'PATCH', nodePath, { body: { metadata: { managedFields: ['x'] } }, contentType: 'application/merge-patch+json' });
    assert.equal(bad.status, 400);
    assert.match(bad.json.message, /metadata\.managedFields must be a list of ManagedFieldsEntry objects/);
    const applied = await call(ts, 'PATCH', `${nodePath}?fieldManager=x`, {
      body: JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: NODE, managedFields: [{ manager: 'x' }] } }),
      contentType: APPLY,
    });
    assert.equal(applied.status, 400);
    assert.match(applied.json.message, /metadata\.managedFields must be nil/);
  });

  test('an apply to the status subresource owns status fields only, recorded with subresource status', async () => {
    const r = await call(ts, 'PATCH', `${nodePath}/status?fieldManager=probe`, {
      body: JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: NODE }, status: { capacity: { pods: '110' } }, spec: { unschedulable: true } }),
      contentType: APPLY,
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.status.capacity.pods, '110');
    assert.equal(r.json.spec?.unschedulable, undefined, '/status changes nothing but the status');
    const e = r.json.metadata.managedFields.find((x: Entry) => x.manager === 'probe');
    assert.deepEqual([e.operation, e.subresource, e.fieldsV1], ['Apply', 'status', { 'f:status': { 'f:capacity': { 'f:pods': {} } } }]);
  });
});
