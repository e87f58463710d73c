// The OpenAPI documents and server-side apply against the real kubectl, the one on PATH and the old
// 1.20 one (which reads only the protobuf v2 document): explain, create and apply with client-side
// validation on, edit through an EDITOR script, apply --server-side with its conflicts.
// The old kubectl comes from scripts/old-kubectl.sh (BERTH_OLD_KUBECTL); without it the 1.20 suite
// is skipped outside CI and fails under CI=true.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { accessSync, chmodSync, constants, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NODE, call, mirrorPodBody, nodeBody, startTestServer, type TestServer } from './helpers.js';

const POD = 'static-web-my-node1';
const OLD_KUBECTL = process.env.BERTH_OLD_KUBECTL ?? '/var/lib/berth-ci/kubectl-1.20/usr/bin/kubectl';

function oldKubectlMissing(): string | undefined {
  try {
    accessSync(OLD_KUBECTL, constants.X_OK);
    return undefined;
  } catch {
    const why = `kubectl 1.20 is not at ${OLD_KUBECTL}: run scripts/old-kubectl.sh (or set BERTH_OLD_KUBECTL)`;
    if (process.env.CI === 'true') throw new Error(`CI=true and ${why}`);
    return why;
  }
}

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

for (const [label, bin, skip] of [
  ['kubectl on PATH', 'kubectl', undefined],
  ['kubectl 1.20', OLD_KUBECTL, oldKubectlMissing()],
] as const) {
  describe(`${label}: OpenAPI and server-side apply`, { skip }, () => {
    let ts: TestServer;
    const run = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> =>
      new Promise((resolve) => {
        execFile(bin, args, { env: { ...ts.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
          const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
          resolve({ code, stdout: String(stdout), stderr: String(stderr) });
        });
      });
    const file = (name: string, text: string) => {
      const p = join(ts.dir, name);
      writeFileSync(p, text);
      return p;
    };

    before(async () => {
      ts = await startTestServer();
      const n = await call(ts, 'POST', '/api/v1/nodes?fieldManager=berth', { body: nodeBody() });
      assert.equal(n.status, 201, n.text);
      const p = await call(ts, 'POST', '/api/v1/namespaces/default/pods?fieldManager=berth', { body: mirrorPodBody(POD, n.json.metadata.uid) });
      assert.equal(p.status, 201, p.text);
    });
    after(async () => {
      await ts?.close();
    });

    test('explain pod.spec.containers.livenessProbe', async () => {
      const r = await run(['explain', 'pod.spec.containers.livenessProbe']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Periodic probe of container liveness/);
      assert.match(r.stdout, /failureThreshold\s+<integer>/);
      assert.match(r.stdout, /httpGet\s+<(Object|HTTPGetAction)>/);
      const port = await run(['explain', 'pod.spec.containers.livenessProbe.httpGet.port']);
      assert.equal(port.code, 0, port.stderr);
      assert.match(port.stdout, /Name or number of the port/);
      assert.match(port.stdout, /<(string|IntOrString)>/);
    });

    test('create -f and apply -f with validation on; an unknown field is a validation error', async () => {
      const ns = file('ns.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-a\n');
      const c = await run(['create', '-f', ns]);
      assert.equal(c.code, 0, c.stderr);
      assert.match(c.stdout, /namespace\/team-a created/);
      assert.equal((await call(ts, 'GET', '/api/v1/namespaces/team-a')).status, 200);
      assert.equal((await run(['delete', 'namespace', 'team-a'])).code, 0);

      const bad = file('bad.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-b\n  bogus: 1\n');
      const b = await run(['create', '-f', bad]);
      assert.notEqual(b.code, 0);
      assert.match(b.stderr, /error validating data: ValidationError\(Namespace\.metadata\): unknown field "bogus" in io\.k8s\.apimachinery\.pkg\.apis\.meta\.v1\.ObjectMeta/);
      assert.equal((await call(ts, 'GET', '/api/v1/namespaces/team-b')).status, 404);

      // The mirror pod's own manifest, with one more label: a client-side apply (strategic merge
      // patch computed from the published patch merge keys).
      const pod = file(
        'pod.yaml',
        `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${POD}\n  namespace: default\n  labels:\n    role: myrole\n    applied: "yes"\nspec:\n  containers:\n  - name: web\n    image: nginx:1.27\n`,
      );
      const a = await run(['apply', '-f', pod]);
      assert.equal(a.code, 0, a.stderr);
      assert.match(a.stdout, /configured/);
      const live = (await call(ts, 'GET', `/api/v1/namespaces/default/pods/${POD}`)).json;
      assert.equal(live.metadata.labels.applied, 'yes');
      assert.ok(live.metadata.managedFields.some((e: { manager: string }) => e.manager === 'kubectl-client-side-apply'));

      const typo = file('typo.yaml', `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${POD}\nspec:\n  containers:\n  - name: web\n    image: nginx:1.27\n    imagePullPolicyy: Always\n`);
      const t = await run(['apply', '-f', typo]);
      assert.notEqual(t.code, 0);
      assert.match(t.stderr, /unknown field "imagePullPolicyy" in io\.k8s\.api\.core\.v1\.Container/);
    });

    test('edit a mirror pod (labels, annotations) and the node with an EDITOR script', async () => {
      const editor = file(
        'editor.sh',
        '#!/bin/sh\nsed -i -e \'s/^  labels:$/  labels:\\n    edited: "yes"/\' -e \'s/^  annotations:$/  annotations:\\n    edited-by: script/\' "$1"\n',
      );
      chmodSync(editor, 0o755);
      const p = await run(['edit', 'pod', POD], { EDITOR: editor });
      assert.equal(p.code, 0, p.stderr);
      assert.match(p.stdout, /pod\/static-web-my-node1 edited/);
      const pod = (await call(ts, 'GET', `/api/v1/namespaces/default/pods/${POD}`)).json;
      assert.equal(pod.metadata.labels.edited, 'yes');
      assert.equal(pod.metadata.annotations['edited-by'], 'script');
      assert.ok(pod.metadata.managedFields.some((e: { manager: string; operation: string }) => e.manager === 'kubectl-edit' && e.operation === 'Update'));
      const n = await run(['edit', 'node', NODE], { EDITOR: editor });
      assert.equal(n.code, 0, n.stderr);
      assert.equal((await call(ts, 'GET', `/api/v1/nodes/${NODE}`)).json.metadata.labels.edited, 'yes');
    });

    test('apply --server-side: owns its fields, conflicts with another manager, --force-conflicts takes over', async () => {
      const cfg = file(
        'node.yaml',
        `apiVersion: v1\nkind: Node\nmetadata:\n  name: ${NODE}\n  labels:\n    tier: edge\nspec:\n  podCIDR: 10.1.0.0/24\n  taints:\n  - key: dedicated\n    value: edge\n    effect: NoSchedule\n`,
      );
      const a = await run(['apply', '--server-side', '--field-manager=ops', '-f', cfg]);
      assert.equal(a.code, 0, a.stderr);
      assert.match(a.stdout, /node\/my-node1 serverside-applied/);
      assert.equal((await run(['label', 'node', NODE, 'tier=core', '--overwrite'])).code, 0);
      const c = await run(['apply', '--server-side', '--field-manager=ops', '-f', cfg]);
      assert.notEqual(c.code, 0);
      assert.match(c.stderr, /Apply failed with 1 conflict: conflict with "kubectl-label" using v1: \.metadata\.labels\.tier/);
      assert.equal((await call(ts, 'GET', `/api/v1/nodes/${NODE}`)).json.metadata.labels.tier, 'core');
      const f = await run(['apply', '--server-side', '--field-manager=ops', '--force-conflicts', '-f', cfg]);
      assert.equal(f.code, 0, f.stderr);
      const node = (await call(ts, 'GET', `/api/v1/nodes/${NODE}`)).json;
      assert.equal(node.metadata.labels.tier, 'edge');
      assert.equal(node.spec.taints[0].key, 'dedicated');
    });

    test('an OpenAPI document for a group version not served is 404', async () => {
      const r = await run(['get', '--raw', '/openapi/v3/apis/apps/v1']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /NotFound|not found/i);
    });
  });
}
