// The real ./bin/berth with its embedded API and the real kubectl: the schema generated at build
// time answers `kubectl explain`, client-side validation accepts a good manifest and names the
// unknown field of a bad one, `kubectl edit` changes a mirror pod's labels and annotations and the
// Node's labels, and `kubectl apply --server-side` owns node fields and conflicts with other
// managers. The agent keeps publishing (heartbeats, pod status) without undoing any of it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NODE, shPod, startBerth, waitFor, workspace, type Berth, type Workspace } from './harness.js';

const POD = `sleeper-${NODE}`;

describe('kubectl explain, validation, edit and server-side apply against berth', () => {
  let ws: Workspace;
  let berth: Berth;
  let home: string;
  let kubeconfig: string;
  const kubectl = (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const r = spawnSync('kubectl', args, {
      encoding: 'utf8',
      env: { ...process.env, KUBECONFIG: kubeconfig, HOME: home, KUBECACHEDIR: join(home, 'cache'), ...env },
      timeout: 60_000,
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const getJson = (kind: string, name: string) => {
    const r = kubectl(['get', kind, name, '-o', 'json', '--show-managed-fields']);
    return r.code === 0 ? JSON.parse(r.out) : undefined;
  };
  const file = (name: string, text: string) => {
    const p = join(home, name);
    writeFileSync(p, text);
    return p;
  };

  before(async () => {
    ws = workspace();
    home = mkdtempSync(join(tmpdir(), 'berth-openapi-home-'));
    ws.write('sleeper.yaml', shPod('sleeper', 'sleep 3600', { labels: { app: 'sleeper' } }));
    berth = await startBerth(ws);
    kubeconfig = String(berth.logs.find((l) => l.msg === 'berth is running')!.kubeconfig);
    await waitFor(() => getJson('pod', POD)?.status?.phase === 'Running', 'the mirror pod to be Running', 60_000);
  });

  after(async () => {
    await berth?.stop();
    await ws?.cleanup();
    rmSync(home, { recursive: true, force: true });
  });

  it('explains a field from the generated schema', () => {
    const r = kubectl(['explain', 'pod.spec.containers.livenessProbe']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /Periodic probe of container liveness/);
    assert.match(r.out, /initialDelaySeconds\s+<integer>/);
  });

  it('creates with validation on, and refuses an unknown field naming it', () => {
    const ok = kubectl(['create', '-f', file('ns.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-a\n')]);
    assert.equal(ok.code, 0, ok.err);
    const bad = kubectl(['create', '-f', file('bad.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-b\nspec:\n  finalizerz: [x]\n')]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.err, /unknown field "finalizerz" in io\.k8s\.api\.core\.v1\.NamespaceSpec/);
    assert.equal(kubectl(['delete', 'namespace', 'team-a']).code, 0);
  });

  it('edits a mirror pod and the node; the agent keeps the edits', async () => {
    const editor = file(
      'editor.sh',
      '#!/bin/sh\nsed -i -e \'s/^  labels:$/  labels:\\n    edited: "yes"/\' -e \'s/^  annotations:$/  annotations:\\n    edited-by: script/\' "$1"\n',
    );
    chmodSync(editor, 0o755);
    const p = kubectl(['edit', 'pod', POD], { EDITOR: editor });
    assert.equal(p.code, 0, p.err);
    const n = kubectl(['edit', 'node', NODE], { EDITOR: editor });
    assert.equal(n.code, 0, n.err);
    const pod = getJson('pod', POD);
    assert.equal(pod.metadata.labels.edited, 'yes');
    assert.equal(pod.metadata.annotations['edited-by'], 'script');
    const node = getJson('node', NODE);
    const heartbeat = JSON.stringify(node.status.conditions);
    // After the agent has written the node status again, the user's label is still there.
    await waitFor(() => JSON.stringify(getJson('node', NODE)?.status?.conditions) !== heartbeat, 'a node status heartbeat', 90_000);
    const later = getJson('node', NODE);
    assert.equal(later.metadata.labels.edited, 'yes');
    assert.ok(later.metadata.managedFields.some((e: { manager: string }) => e.manager === 'kubectl-edit'));
    assert.ok(later.metadata.managedFields.some((e: { manager: string; subresource?: string }) => e.manager === 'berth' && e.subresource === 'status'));
  });

  it('applies node fields server-side, with a conflict against another manager and --force-conflicts', () => {
    const cfg = file('node.yaml', `apiVersion: v1\nkind: Node\nmetadata:\n  name: ${NODE}\n  labels:\n    tier: edge\nspec:\n  taints:\n  - key: dedicated\n    value: edge\n    effect: NoSchedule\n`);
    const a = kubectl(['apply', '--server-side', '-f', cfg]);
    assert.equal(a.code, 0, a.err);
    assert.equal(kubectl(['label', 'node', NODE, 'tier=core', '--overwrite']).code, 0);
    const c = kubectl(['apply', '--server-side', '-f', cfg]);
    assert.notEqual(c.code, 0);
    assert.match(c.err, /Apply failed with 1 conflict: conflict with "kubectl-label" using v1: \.metadata\.labels\.tier/);
    const f = kubectl(['apply', '--server-side', '--force-conflicts', '-f', cfg]);
    assert.equal(f.code, 0, f.err);
    const node = getJson('node', NODE);
    assert.equal(node.metadata.labels.tier, 'edge');
    assert.equal(node.spec.taints[0].key, 'dedicated');
    const mine = node.metadata.managedFields.find((e: { manager: string; operation: string }) => e.manager === 'kubectl' && e.operation === 'Apply');
    assert.deepEqual(mine.fieldsV1, { 'f:metadata': { 'f:labels': { 'f:tier': {} } }, 'f:spec': { 'f:taints': {} } });
  });
});
