// metrics.k8s.io/v1beta1 in the embedded API, read from a node API over HTTP: list and get of
// NodeMetrics and PodMetrics, label selectors, Table and protobuf Accept headers, the real
// kubectl's `top node` and `top pod`, and what a client sees when the node API is down.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Summary } from '../../src/stats/index.js';
import { startFakeNode, type FakeNode } from './fake-node.js';
import { NODE, call, kubectl, mirrorPodBody, nodeBody, startTestServer, type TestServer } from './helpers.js';

const T = '2026-12-02T06:00:00Z';
const MiB = 1024 * 1024;

function summary(): Summary {
  const cpu = (cores: number) => ({ time: T, usageNanoCores: cores * 1e9, usageCoreNanoSeconds: 1e12 });
  const mem = (bytes: number) => ({ time: T, workingSetBytes: bytes, usageBytes: bytes + MiB });
  return {
    node: { nodeName: NODE, cpu: cpu(0.75), memory: { ...mem(1536 * MiB), availableBytes: 2048 * MiB } },
    pods: [
      {
        podRef: { name: 'web-a', namespace: 'default', uid: 'u1' },
        startTime: T,
        containers: [
          { name: 'web', startTime: T, cpu: cpu(0.25), memory: mem(64 * MiB) },
          { name: 'side', startTime: T, cpu: cpu(0.05), memory: mem(8 * MiB) },
        ],
        cpu: cpu(0.3),
        memory: mem(72 * MiB),
      },
      { podRef: { name: 'web-b', namespace: 'default', uid: 'u2' }, startTime: T, containers: [{ name: 'web', startTime: T, cpu: cpu(0.002), memory: mem(3 * MiB) }] },
      { podRef: { name: 'dns', namespace: 'kube-system', uid: 'u3' }, startTime: T, containers: [{ name: 'dns', startTime: T, cpu: cpu(0.01), memory: mem(20 * MiB) }] },
      // One reading only: no rate yet, so no metrics (as with metrics-server).
      { podRef: { name: 'fresh', namespace: 'default', uid: 'u4' }, startTime: T, containers: [{ name: 'web', startTime: T, cpu: { time: T, usageCoreNanoSeconds: 5 }, memory: mem(MiB) }] },
    ],
  };
}

describe('metrics.k8s.io from the node API', () => {
  let node: FakeNode;
  let ts: TestServer;
  let answer: { status: number; body: string } = { status: 200, body: JSON.stringify(summary()) };

  before(async () => {
    node = await startFakeNode({
      handle: (req, res) => {
        if (req.url !== '/stats/summary') return void res.writeHead(404).end();
        res.writeHead(answer.status, { 'Content-Type': 'application/json' }).end(answer.body);
      },
    });
    ts = await startTestServer({ node: node.connection });
    const body = nodeBody();
    const capacity = { cpu: '2', memory: '4Gi', pods: '110' };
    Object.assign(body['status'] as object, { capacity, allocatable: capacity });
    const n = await call(ts, 'POST', '/api/v1/nodes', { body });
    assert.equal(n.status, 201, n.text);
    for (const [name, labels] of [['web-a', { app: 'web', tier: 'front' }], ['web-b', { app: 'web' }]] as const) {
      assert.equal((await call(ts, 'POST', '/api/v1/namespaces/default/pods', { body: mirrorPodBody(name, n.json.metadata.uid, { labels }) })).status, 201);
    }
  });
  after(async () => {
    await ts?.close();
    await node?.close();
  });

  test('NodeMetrics list and get: CPU in nanocores, memory the working set, the Node labels', async () => {
    const list = await call(ts, 'GET', '/apis/metrics.k8s.io/v1beta1/nodes');
    assert.equal(list.status, 200, list.text);
    assert.equal(list.json.kind, 'NodeMetricsList');
    assert.equal(list.json.apiVersion, 'metrics.k8s.io/v1beta1');
    assert.equal(list.json.items.length, 1);
    const m = list.json.items[0];
    assert.equal(m.metadata.name, NODE);
    assert.equal(m.metadata.labels['kubernetes.io/hostname'], NODE);
    assert.deepEqual(m.usage, { cpu: '750000000n', memory: `${1536 * 1024}Ki` });
    assert.equal(m.timestamp, T);
    assert.equal(m.window, '10s');
    const one = await call(ts, 'GET', `/apis/metrics.k8s.io/v1beta1/nodes/${NODE}`);
    assert.equal(one.status, 200);
    assert.equal(one.json.kind, 'NodeMetrics');
    const none = await call(ts, 'GET', '/apis/metrics.k8s.io/v1beta1/nodes/other');
    assert.equal(none.status, 404);
    assert.equal(none.json.message, 'nodes.metrics.k8s.io "other" not found');
  });

  test('PodMetrics: per namespace, across namespaces, by label, by name; pods without a rate are left out', async () => {
    const all = await call(ts, 'GET', '/apis/metrics.k8s.io/v1beta1/pods');
    assert.deepEqual(all.json.items.map((p: { metadata: { namespace: string; name: string } }) => `${p.metadata.namespace}/${p.metadata.name}`), ['default/web-a', 'default/web-b', 'kube-system/dns']);
    const ns = await call(ts, 'GET', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods');
    assert.equal(ns.json.kind, 'PodMetricsList');
    assert.equal(ns.json.items.length, 2);
    const a = ns.json.items[0];
    assert.deepEqual(a.containers, [
      { name: 'web', usage: { cpu: '250000000n', memory: '65536Ki' } },
      { name: 'side', usage: { cpu: '50000000n', memory: '8192Ki' } },
    ]);
    assert.deepEqual(a.metadata.labels, { app: 'web', tier: 'front' });
    const front = await call(ts, 'GET', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods?labelSelector=tier%3Dfront');
    assert.deepEqual(front.json.items.map((p: { metadata: { name: string } }) => p.metadata.name), ['web-a']);
    const byField = await call(ts, 'GET', '/apis/metrics.k8s.io/v1beta1/pods?fieldSelector=metadata.namespace%3Dkube-system');
    assert.deepEqual(byField.json.items.map((p: { metadata: { name: string } }) => p.metadata.name), ['dns']);
    const one = await call(ts, 'GET', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/web-b');
    assert.equal(one.json.kind, 'PodMetrics');
    const fresh = await call(ts, 'GET', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/fresh');
    assert.equal(fresh.status, 404);
    assert.equal(fresh.json.message, 'pods.metrics.k8s.io "default/fresh" not found');
    const bad = await call(ts, 'GET', '/apis/metrics.k8s.io/v1beta1/pods?labelSelector=a%3D%3D%3Db');
    assert.equal(bad.status, 400);
  });

  test('Table on request, JSON when protobuf is asked for, read-only verbs', async () => {
    const table = await call(ts, 'GET', '/apis/metrics.k8s.io/v1beta1/pods', { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' });
    assert.equal(table.json.kind, 'Table');
    assert.deepEqual(table.json.columnDefinitions.map((c: { name: string }) => c.name), ['Name', 'CPU', 'Memory', 'Window']);
    assert.deepEqual(table.json.rows.map((r: { cells: unknown[] }) => r.cells), [
      ['web-a', '300000000n', '73728Ki', '10s'],
      ['web-b', '2000000n', '3072Ki', '10s'],
      ['dns', '10000000n', '20480Ki', '10s'],
    ]);
    const got = await kubectl(ts, ['get', 'nodemetrics']);
    assert.equal(got.code, 0, got.stderr);
    assert.match(got.stdout, new RegExp(`^${NODE}\\s+750000000n\\s+1572864Ki\\s+10s\\s*$`, 'm'));
    const pb = await call(ts, 'GET', '/apis/metrics.k8s.io/v1beta1/nodes', { accept: 'application/vnd.kubernetes.protobuf,application/json' });
    assert.equal(pb.status, 200);
    assert.match(String(pb.headers['content-type']), /^application\/json/);
    assert.equal(pb.json.kind, 'NodeMetricsList');
    const del = await call(ts, 'DELETE', `/apis/metrics.k8s.io/v1beta1/nodes/${NODE}`);
    assert.equal(del.status, 405);
    const watch = await call(ts, 'GET', '/apis/metrics.k8s.io/v1beta1/nodes?watch=true');
    assert.equal(watch.status, 405);
  });

  test('kubectl top node and top pod (-A, --containers) print the numbers', async () => {
    const top = await kubectl(ts, ['top', 'node']);
    assert.equal(top.code, 0, top.stderr);
    assert.match(top.stdout, new RegExp(`^${NODE}\\s+750m\\s+37%\\s+1536Mi\\s+37%`, 'm'));
    const pods = await kubectl(ts, ['top', 'pod']);
    assert.equal(pods.code, 0, pods.stderr);
    assert.match(pods.stdout, /^web-a\s+300m\s+72Mi\s*$/m);
    assert.match(pods.stdout, /^web-b\s+2m\s+3Mi\s*$/m);
    const everywhere = await kubectl(ts, ['top', 'pod', '-A']);
    assert.match(everywhere.stdout, /^kube-system\s+dns\s+10m\s+20Mi\s*$/m);
    const containers = await kubectl(ts, ['top', 'pod', 'web-a', '--containers']);
    assert.equal(containers.code, 0, containers.stderr);
    assert.match(containers.stdout, /^web-a\s+web\s+250m\s+64Mi\s*$/m);
    assert.match(containers.stdout, /^web-a\s+side\s+50m\s+8Mi\s*$/m);
    const selected = await kubectl(ts, ['top', 'pod', '-l', 'tier=front']);
    assert.doesNotMatch(selected.stdout, /web-b/);
  });

  test('a node API that is down or answers nonsense: 503 saying where and why', async () => {
    // The cached reading expires first.
    await new Promise((r) => setTimeout(r, 2100));
    answer = { status: 500, body: 'stats failed: no /proc' };
    const failed = await call(ts, 'GET', '/apis/metrics.k8s.io/v1beta1/nodes');
    assert.equal(failed.status, 503);
    assert.match(failed.json.message, /^metrics are not available: http:\/\/127\.0\.0\.1:\d+\/stats\/summary answered 500: stats failed: no \/proc$/);
    await new Promise((r) => setTimeout(r, 100));
    answer = { status: 200, body: '{"hello": 1}' };
    const odd = await call(ts, 'GET', '/apis/metrics.k8s.io/v1beta1/nodes');
    assert.equal(odd.status, 503);
    assert.match(odd.json.message, /is not a stats\/v1alpha1 Summary/);
    const down = await startTestServer();
    try {
      const r = await call(down, 'GET', '/apis/metrics.k8s.io/v1beta1/pods');
      assert.equal(r.status, 503);
      assert.match(r.json.message, /^metrics are not available: the node API at http:\/\/127\.0\.0\.1:9 cannot be reached: connect ECONNREFUSED/);
      const top = await kubectl(down, ['top', 'node']);
      assert.notEqual(top.code, 0);
      assert.match(top.stderr, /metrics are not available/);
    } finally {
      await down.close();
    }
    answer = { status: 200, body: JSON.stringify(summary()) };
  });
});
