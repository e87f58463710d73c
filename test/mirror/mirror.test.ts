// Mirror against the real embedded API server (src/apiserver), with a fake MirrorSource.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import type { Event, EventList, Node, Pod, PodList } from 'kubernetes-types/core/v1';
import type { Lease } from 'kubernetes-types/coordination/v1';
import { kubeconfigFor, startApiServer, type ApiServer } from '../../src/apiserver/index.js';
import { createLogger, silentLogger } from '../../src/log/index.js';
import type { ManifestProblem } from '../../src/manifest/problem.js';
import { loadKubeconfig, Mirror, RestClient, isNotFound, type MirrorOptions, type NodeFacts } from '../../src/mirror/index.js';
import { FakeSource, defer, sleep, staticPod, tempDir, waitFor } from './helpers.js';
import { NO_NODE } from '../apiserver/fake-node.js';

const NODE = 'node-a';
const TOKEN = 'mirror-test-token';
const FACTS: NodeFacts = {
  cpus: 4,
  memoryKi: 8_000_000,
  ephemeralStorageKi: 50_000_000,
  machineID: 'machine-1',
  systemUUID: 'uuid-1',
  bootID: 'boot-1',
  kernelVersion: '6.1.0-test',
  osImage: 'Test Linux 1',
  architecture: 'amd64',
};

interface Env {
  dir: string;
  certDir: string;
  kubeconfig: string;
  server: ApiServer | undefined;
  port: number;
  admin: RestClient;
  source: FakeSource;
  mirror: Mirror;
  restart(): Promise<void>;
  stopServer(): Promise<void>;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Embedded API server + kubeconfig + Mirror (not started) + an admin client to look at the API. */
async function setup(t: TestContext, opts: { serverUp?: boolean; mirror?: Partial<MirrorOptions> } = {}): Promise<Env> {
  const dir = await tempDir(t);
  const certDir = join(dir, 'certs');
  const port = await freePort();
  const kubeconfig = join(dir, 'kubeconfig');
  const env = { dir, certDir, kubeconfig, port, server: undefined } as unknown as Env;
  env.restart = async () => {
    env.server = await startApiServer({ bindAddress: '127.0.0.1', port, certDir, token: TOKEN, nodeName: NODE, logger: silentLogger, node: NO_NODE });
    await writeFile(kubeconfig, kubeconfigFor(env.server, TOKEN));
  };
  env.stopServer = async () => {
    await env.server?.close();
    env.server = undefined;
  };
  defer(t, () => env.stopServer());
  // The kubeconfig needs the CA, which exists once a server has run: start it once in any case.
  await env.restart();
  if (opts.serverUp === false) await env.stopServer();
  env.admin = new RestClient(await loadKubeconfig(kubeconfig), { timeoutMs: 5000 });
  defer(t, () => env.admin.close());
  env.source = new FakeSource();
  env.mirror = new Mirror({
    kubeconfigPath: kubeconfig,
    nodeName: NODE,
    nodeIP: '10.1.2.3',
    logger: process.env.MIRROR_TEST_LOG ? createLogger({ level: 'debug', json: false }) : silentLogger,
    source: env.source,
    renewIntervalMs: 200,
    statusUpdateIntervalMs: 200,
    reconcileIntervalMs: 300,
    retry: { initialMs: 50, maxMs: 300 },
    requestTimeoutMs: 2000,
    facts: FACTS,
    node: { kubeletPort: 10250, containerRuntimeVersion: 'berth-process://0.1.0' },
    ...opts.mirror,
  });
  defer(t, () => env.mirror.stop());
  return env;
}

const podsPath = '/api/v1/namespaces/default/pods';

async function mirrors(env: Env): Promise<Pod[]> {
  const l = await env.admin.list<PodList>('/api/v1/pods', { fieldSelector: `spec.nodeName=${NODE}` });
  return l.items;
}

async function getPod(env: Env, name: string): Promise<Pod | undefined> {
  try {
    return await env.admin.get<Pod>(`${podsPath}/${name}`);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function events(env: Env): Promise<Event[]> {
  return (await env.admin.list<EventList>('/api/v1/namespaces/default/events')).items;
}

test('registers the Node (Ready), renews the Lease, creates the mirror with annotation and owner, writes status', async (t) => {
  const env = await setup(t);
  const running = { phase: 'Running', podIP: '10.1.2.3', conditions: [{ type: 'Ready', status: 'True' }] };
  const web = staticPod('web', NODE, 'hash-web-1', running);
  env.source.setPods([web]);
  await env.mirror.start();

  const node = await waitFor('node registered', () => env.admin.get<Node>(`/api/v1/nodes/${NODE}`));
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  assert.equal(ready?.status, 'True');
  assert.equal(ready?.reason, 'KubeletReady');
  assert.equal(ready?.message, 'berth is posting ready status');
  for (const type of ['MemoryPressure', 'DiskPressure', 'PIDPressure']) {
    assert.equal(node.status?.conditions?.find((c) => c.type === type)?.status, 'False', type);
  }
  assert.equal(node.metadata?.labels?.['kubernetes.io/hostname'], NODE);
  assert.equal(node.metadata?.labels?.['kubernetes.io/os'], 'linux');
  assert.equal(node.metadata?.labels?.['kubernetes.io/arch'], 'amd64');
  assert.deepEqual(node.status?.addresses, [
    { type: 'InternalIP', address: '10.1.2.3' },
    { type: 'Hostname', address: NODE },
  ]);
  assert.deepEqual(node.status?.capacity, { cpu: '4', memory: '8000000Ki', pods: '110', 'ephemeral-storage': '50000000Ki' });
  assert.equal(node.status?.nodeInfo?.machineID, 'machine-1');
  assert.equal(node.status?.nodeInfo?.bootID, 'boot-1');
  assert.equal(node.status?.nodeInfo?.kubeletVersion, 'v1.32.0-berth');
  assert.equal(node.status?.nodeInfo?.containerRuntimeVersion, 'berth-process://0.1.0');
  assert.equal(node.status?.nodeInfo?.osImage, 'Test Linux 1');
  assert.equal(node.status?.daemonEndpoints?.kubeletEndpoint?.Port, 10250);
  const nodeUid = node.metadata!.uid!;

  // Lease: owned by the Node, MicroTime renewTime, and renewed.
  const leasePath = `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${NODE}`;
  const lease = await waitFor('lease with owner', async () => {
    const l = await env.admin.get<Lease>(leasePath);
    return l.metadata?.ownerReferences?.length ? l : undefined;
  });
  assert.equal(lease.spec?.holderIdentity, NODE);
  assert.equal(lease.spec?.leaseDurationSeconds, 40);
  assert.match(lease.spec!.renewTime!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  assert.deepEqual(lease.metadata?.ownerReferences, [{ apiVersion: 'v1', kind: 'Node', name: NODE, uid: nodeUid }]);
  await waitFor('lease renewed', async () => (await env.admin.get<Lease>(leasePath)).spec?.renewTime !== lease.spec?.renewTime);

  // Mirror pod: a copy with the mirror annotation and the Node as controller owner; new UID.
  const m = await waitFor('mirror with status', async () => {
    const p = await getPod(env, `web-${NODE}`);
    return p?.status?.phase === 'Running' ? p : undefined;
  });
  assert.equal(m.metadata?.annotations?.['kubernetes.io/config.mirror'], 'hash-web-1');
  assert.equal(m.metadata?.annotations?.['kubernetes.io/config.hash'], 'hash-web-1');
  assert.equal(m.metadata?.annotations?.['kubernetes.io/config.source'], 'file');
  assert.deepEqual(m.metadata?.labels, { app: 'web' });
  assert.deepEqual(m.metadata?.ownerReferences, [{ apiVersion: 'v1', kind: 'Node', name: NODE, uid: nodeUid, controller: true }]);
  assert.notEqual(m.metadata?.uid, 'hash-web-1');
  assert.equal(m.spec?.nodeName, NODE);
  assert.deepEqual(m.spec?.containers, web.spec?.containers);
  assert.deepEqual(m.status, running);

  // Status changes are written; a field that disappears is removed from the mirror too.
  const failed = { phase: 'Failed', reason: 'Error', conditions: [{ type: 'Ready', status: 'False' }] };
  env.source.setPods([{ ...web, status: failed }]);
  const after = await waitFor('status patched', async () => {
    const p = await getPod(env, `web-${NODE}`);
    return p?.status?.phase === 'Failed' ? p : undefined;
  });
  assert.deepEqual(after.status, failed);
  assert.equal(after.metadata?.uid, m.metadata?.uid, 'a status change does not recreate the mirror');

  // Heartbeat keeps the node status fresh.
  const beat = ready?.lastHeartbeatTime;
  await waitFor(
    'heartbeat',
    async () => (await env.admin.get<Node>(`/api/v1/nodes/${NODE}`)).status?.conditions?.find((c) => c.type === 'Ready')?.lastHeartbeatTime !== beat,
    10_000,
  );
});

test('a mirror deleted through the API comes back with a new UID (driven by the watch); status is written to the new one', async (t) => {
  // No periodic reconcile within the test's lifetime: only the watch can bring the mirror back.
  const env = await setup(t, { mirror: { reconcileIntervalMs: 600_000, retry: { initialMs: 600_000, maxMs: 600_000 } } });
  env.source.setPods([staticPod('web', NODE, 'h1', { phase: 'Running' })]);
  await env.mirror.start();
  const first = await waitFor('mirror', async () => {
    const p = await getPod(env, `web-${NODE}`);
    return p?.status?.phase === 'Running' ? p : undefined;
  });
  // What `kubectl delete pod` sends.
  await env.admin.request('DELETE', `${podsPath}/web-${NODE}`, { body: { propagationPolicy: 'Background' } });
  const second = await waitFor('mirror recreated', async () => {
    const p = await getPod(env, `web-${NODE}`);
    return p && p.metadata?.uid !== first.metadata?.uid && p.status?.phase === 'Running' ? p : undefined;
  });
  assert.equal(second.metadata?.annotations?.['kubernetes.io/config.mirror'], 'h1');
  assert.equal((await mirrors(env)).length, 1);
});

test('a stopping static pod: its mirror is deleted gracefully (Terminating, status still written), then for good once the pod is gone', async (t) => {
  const env = await setup(t);
  const web = staticPod('web', NODE, 'h1', { phase: 'Running' });
  env.source.setPods([web]);
  await env.mirror.start();
  const first = await waitFor('mirror', async () => {
    const p = await getPod(env, `web-${NODE}`);
    return p?.status?.phase === 'Running' ? p : undefined;
  });
  // What the agent's /pods shows while the pod stops: a deletionTimestamp and its grace period.
  const stopping: Pod = {
    ...web,
    metadata: { ...web.metadata, deletionTimestamp: '2030-01-01T00:00:05Z', deletionGracePeriodSeconds: 5 },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] },
  };
  env.source.setPods([stopping]);
  const marked = await waitFor('mirror marked for deletion, status written', async () => {
    const p = await getPod(env, `web-${NODE}`);
    return p?.metadata?.deletionTimestamp && p.status?.conditions?.[0]?.status === 'False' ? p : undefined;
  });
  assert.equal(marked.metadata?.uid, first.metadata?.uid, 'the same mirror, not a new one');
  assert.equal(marked.metadata?.deletionGracePeriodSeconds, 5);
  await sleep(500);
  assert.equal((await getPod(env, `web-${NODE}`))?.metadata?.uid, first.metadata?.uid, 'not recreated while its pod stops');
  env.source.setPods([]);
  await waitFor('mirror gone', async () => (await getPod(env, `web-${NODE}`)) === undefined);
});

test('orphaned and outdated mirrors of this node are replaced or deleted; other nodes are left alone', async (t) => {
  const env = await setup(t);
  // Before the agent starts: a Node object, an orphan (owner ref), an orphan (nodeName + annotation),
  // an outdated mirror of a current static pod, and a mirror of another node.
  const node = await env.admin.create<Node>('/api/v1/nodes', { metadata: { name: NODE } });
  const mk = (name: string, nodeName: string, hash: string, owner?: { name: string; uid: string }) =>
    env.admin.create<Pod>(podsPath, {
      metadata: {
        name,
        annotations: { 'kubernetes.io/config.mirror': hash, 'kubernetes.io/config.hash': hash },
        ownerReferences: owner ? [{ apiVersion: 'v1', kind: 'Node', name: owner.name, uid: owner.uid, controller: true }] : undefined,
      },
      spec: { nodeName, containers: [{ name: 'c', image: 'x' }] },
    });
  await mk(`ghost-${NODE}`, NODE, 'g1', { name: NODE, uid: node.metadata!.uid! });
  await mk(`ghost2-${NODE}`, NODE, 'g2');
  const outdated = await mk(`web-${NODE}`, NODE, 'old-hash', { name: NODE, uid: node.metadata!.uid! });
  await mk('other-node-b', 'node-b', 'o1', { name: 'node-b', uid: 'uid-b' });

  env.source.setPods([staticPod('web', NODE, 'new-hash')]);
  await env.mirror.start();
  await waitFor('orphans deleted and mirror replaced', async () => {
    const names = (await mirrors(env)).map((p) => p.metadata?.name);
    const web = await getPod(env, `web-${NODE}`);
    return names.length === 1 && web?.metadata?.annotations?.['kubernetes.io/config.mirror'] === 'new-hash' ? true : undefined;
  });
  const web = (await getPod(env, `web-${NODE}`))!;
  assert.notEqual(web.metadata?.uid, outdated.metadata?.uid);
  assert.equal(web.metadata?.ownerReferences?.[0]?.uid, node.metadata?.uid, 'the existing Node was adopted, not replaced');
  assert.ok(await getPod(env, 'other-node-b'), "another node's mirror stays");

  // A static pod that goes away takes its mirror with it.
  env.source.setPods([]);
  await waitFor('mirror of a removed static pod deleted', async () => (await getPod(env, `web-${NODE}`)) === undefined);
});

test('pod events name the static pod (kubectl describe finds them by the mirror annotation); repeats are counted; node events; one Warning per manifest problem', async (t) => {
  const env = await setup(t);
  const web = staticPod('web', NODE, 'h-ev', { phase: 'Running' });
  env.source.setPods([web]);
  await env.mirror.start();
  const mirror = await waitFor('mirror', () => getPod(env, `web-${NODE}`));

  env.mirror.podEvent(web, 'Warning', 'BackOff', 'Back-off restarting failed container web', 'web');
  const ev = await waitFor('pod event', async () => (await events(env)).find((e) => e.reason === 'BackOff'));
  assert.deepEqual(ev.involvedObject, {
    kind: 'Pod',
    apiVersion: 'v1',
    name: `web-${NODE}`,
    namespace: 'default',
    uid: mirror.metadata?.annotations?.['kubernetes.io/config.mirror'],
    fieldPath: 'spec.containers{web}',
  });
  assert.equal(ev.type, 'Warning');
  assert.equal(ev.count, 1);
  assert.deepEqual(ev.source, { component: 'kubelet', host: NODE });
  assert.equal(ev.reportingComponent, 'kubelet');
  assert.equal(ev.reportingInstance, NODE);

  env.mirror.podEvent(web, 'Warning', 'BackOff', 'Back-off restarting failed container web', 'web');
  await waitFor('count patched', async () => (await events(env)).find((e) => e.reason === 'BackOff')?.count === 2);
  assert.equal((await events(env)).filter((e) => e.reason === 'BackOff').length, 1, 'a repeat is counted, not duplicated');

  // Node events: Starting and NodeReady, involvedObject = the Node with uid = its name.
  const starting = await waitFor('Starting event', async () => (await events(env)).find((e) => e.reason === 'Starting'));
  assert.equal(starting.message, 'Starting berth.');
  assert.deepEqual(starting.involvedObject, { kind: 'Node', name: NODE, uid: NODE, namespace: '' });
  await waitFor('NodeReady event', async () => (await events(env)).find((e) => e.reason === 'NodeReady'));

  // A manifest problem: one Warning on the Node that names file, field and fix; relists repeat it.
  const problem: ManifestProblem = {
    origin: '/etc/kubernetes/manifests/bad.yaml',
    field: 'spec.containers[0].image',
    message: 'Required value',
    fix: 'give every container an image',
    reason: 'FailedValidation',
  };
  env.source.setProblems([problem]);
  env.source.setProblems([problem]);
  const warn = await waitFor('problem event', async () => (await events(env)).find((e) => e.reason === 'FailedValidation'));
  assert.equal(warn.type, 'Warning');
  assert.equal(warn.involvedObject?.kind, 'Node');
  assert.match(warn.message!, /bad\.yaml: spec\.containers\[0\]\.image: Required value \(fix: give every container an image\)/);
  // Another event after it proves the queue has moved past any duplicate.
  env.mirror.nodeEvent('Normal', 'Marker', 'after the problems');
  await waitFor('marker', async () => (await events(env)).find((e) => e.reason === 'Marker'));
  const all = (await events(env)).filter((e) => e.reason === 'FailedValidation');
  assert.equal(all.length, 1);
  assert.equal(all[0]!.count, 1, 'the same problem at the next relist is not reported again');
});

test('while containers are being started, the mirror pod and events wait until the starts have returned (and a short settle), at most startQuietMaxMs', async (t) => {
  const env = await setup(t, { mirror: { startQuietMaxMs: 1500 } });
  const web = staticPod('web', NODE, 'h-quiet', { phase: 'Pending' });
  env.source.starts = 1;
  env.source.setPods([web]);
  await env.mirror.start();
  env.mirror.podEvent(web, 'Normal', 'Pulled', 'Container image "busybox" already present on machine', 'web');
  await sleep(400);
  assert.equal(await getPod(env, `web-${NODE}`), undefined, 'no mirror pod while the start is under way');
  assert.deepEqual((await events(env)).map((e) => e.reason), [], 'no event while the start is under way');

  const returned = Date.now();
  env.source.starts = 0;
  env.source.setPods([staticPod('web', NODE, 'h-quiet', { phase: 'Running' })]);
  await waitFor('mirror', () => getPod(env, `web-${NODE}`), 5000);
  await waitFor('Pulled event', async () => (await events(env)).some((e) => e.reason === 'Pulled'), 5000);
  assert.ok(Date.now() - returned < 1200, `published ${Date.now() - returned} ms after the start returned, before the 1500 ms bound`);
});

test('a node that is always starting something still publishes: the wait for quiet is bounded', async (t) => {
  const env = await setup(t, { mirror: { startQuietMaxMs: 300 } });
  const web = staticPod('web', NODE, 'h-busy', { phase: 'Running' });
  env.source.starts = 5;
  env.source.setPods([web]);
  await env.mirror.start();
  env.mirror.podEvent(web, 'Normal', 'Started', 'Started container web', 'web');
  // The mirror is created first and its status written after it, as a kubelet does: wait for both.
  await waitFor('mirror showing Running', async () => (await getPod(env, `web-${NODE}`))?.status?.phase === 'Running', 5000);
  await waitFor('Started event', async () => (await events(env)).some((e) => e.reason === 'Started'), 5000);
});

test('API server stopped and started again: node, lease and mirrors reconciled without duplicates', async (t) => {
  const env = await setup(t);
  const a = staticPod('a', NODE, 'ha', { phase: 'Running' });
  const b = staticPod('b', NODE, 'hb', { phase: 'Running' });
  env.source.setPods([a, b]);
  await env.mirror.start();
  await waitFor('two mirrors', async () => (await mirrors(env)).length === 2);

  await env.stopServer();
  // While it is down the pods change: b goes, c comes, a's status changes; events queue up.
  const c = staticPod('c', NODE, 'hc', { phase: 'Running' });
  env.source.setPods([{ ...a, status: { phase: 'Failed' } }, c]);
  env.mirror.podEvent(a, 'Normal', 'Killing', 'Stopping container web', 'web');
  await waitFor('unreachable noticed', () => !env.mirror.apiReachable);
  await sleep(300);

  await env.restart(); // same port, same certificates; the in-memory store starts empty
  const node = await waitFor('node registered again', async () => {
    try {
      return await env.admin.get<Node>(`/api/v1/nodes/${NODE}`);
    } catch {
      return undefined;
    }
  });
  await waitFor('mirrors a and c, a with its new status', async () => {
    const ms = await mirrors(env);
    const names = ms.map((p) => p.metadata?.name).sort();
    const ma = ms.find((p) => p.metadata?.name === `a-${NODE}`);
    return names.join(',') === `a-${NODE},c-${NODE}` && ma?.status?.phase === 'Failed' ? true : undefined;
  });
  await waitFor('lease again', () => env.admin.get<Lease>(`/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${NODE}`));
  await waitFor('queued event delivered', async () => (await events(env)).find((e) => e.reason === 'Killing'));

  // Stable: several reconcile periods later still the same two mirrors (same UIDs), owned by the new Node.
  const before = (await mirrors(env)).map((p) => `${p.metadata?.name}=${p.metadata?.uid}`).sort();
  await sleep(1200);
  const ms = await mirrors(env);
  assert.deepEqual(ms.map((p) => `${p.metadata?.name}=${p.metadata?.uid}`).sort(), before);
  for (const p of ms) assert.equal(p.metadata?.ownerReferences?.[0]?.uid, node.metadata?.uid);
  assert.equal((await env.admin.list<{ items: Node[] }>('/api/v1/nodes')).items.length, 1);
});

test('start() does not fail while the API server is down; everything is published once it is up', async (t) => {
  const env = await setup(t, { serverUp: false });
  env.source.setPods([staticPod('web', NODE, 'h-late', { phase: 'Running' })]);
  await env.mirror.start(); // must not throw or hang
  await waitFor('unreachable noticed', () => !env.mirror.apiReachable);
  await env.restart();
  await waitFor('mirror published', async () => (await getPod(env, `web-${NODE}`))?.status?.phase === 'Running');
  assert.ok(env.mirror.nodeUid);
});

test('a status over the API server limit (413) is reported once as too large, not sent again until it changes, and written once it fits', async (t) => {
  const env = await setup(t);
  const small = staticPod('web', NODE, 'hash-web-1', { phase: 'Running' });
  env.source.setPods([small]);
  await env.mirror.start();
  await waitFor('mirror with status', async () => (await getPod(env, `web-${NODE}`))?.status?.phase === 'Running');

  const huge = staticPod('web', NODE, 'hash-web-1', { phase: 'Running', message: 'x'.repeat(4 * 1024 * 1024) });
  env.source.setPods([huge]);
  const report = await waitFor('a FailedMirrorPod node event', async () => (await events(env)).find((e) => e.reason === 'FailedMirrorPod'));
  assert.equal(report.involvedObject?.kind, 'Node');
  assert.match(report.message ?? '', /^status of pod default\/web-node-a is \d+ bytes, over the API server's limit \(413 RequestEntityTooLarge: .*the limit is 3145728 bytes\)/);
  // More sync passes with the same status (other pods change, the periodic pass): not re-sent, not re-reported.
  for (let i = 0; i < 5; i++) {
    env.source.setPods([{ ...huge }]);
    await sleep(150);
  }
  await sleep(500);
  assert.equal((await events(env)).find((e) => e.reason === 'FailedMirrorPod')?.count, 1);
  assert.equal((await getPod(env, `web-${NODE}`))?.status?.message, undefined, 'the API still has the last status that fit');

  env.source.setPods([staticPod('web', NODE, 'hash-web-1', { phase: 'Running', message: 'fits again' })]);
  await waitFor('the smaller status is written', async () => (await getPod(env, `web-${NODE}`))?.status?.message === 'fits again');
});
