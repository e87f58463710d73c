// Issue 7 (no field the kubelet honours is silently ignored): a static pod whose nodeSelector or
// required node affinity does not match this node is rejected as the kubelet's admission does it
// (phase Failed, reason NodeAffinity, an event), its containers never run; a matching one runs.
// Real agent, real kubectl.
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1';
import { NODE, startBerth, waitFor, workspace, type Berth, type Workspace } from './harness.js';
import { kubectlFor, type Kubectl } from './kubectl-run.js';

const WORDS = "Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector";

describe('issue 7: node selection of static pods (admission)', () => {
  let ws: Workspace;
  let berth: Berth;
  let k: Kubectl;
  const pod = (name: string, spec: Partial<NonNullable<Pod['spec']>>): string =>
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: { containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', `touch ${join(ws.dir, name)}; sleep 3600`] }], ...spec },
    });

  before(async () => {
    ws = workspace();
    berth = await startBerth(ws);
    k = kubectlFor(String(berth.logs.find((l) => l.msg === 'berth is running')!.kubeconfig));
  });

  after(async () => {
    await berth?.stop();
    await ws?.cleanup();
    k?.cleanup();
  });

  it('a pod selecting this node by hostname, os and arch labels runs', async () => {
    ws.write('mine.yaml', pod('mine', { nodeSelector: { 'kubernetes.io/hostname': NODE, 'kubernetes.io/os': 'linux' } }));
    await k.rowIs(`mine-${NODE}`, '1/1', 'Running', 60_000);
    assert.ok(existsSync(join(ws.dir, 'mine')));
  });

  it('a nodeSelector naming a label the node lacks: Failed/NodeAffinity with the kubelet words and an event, never started', async () => {
    ws.write('ssd.yaml', pod('ssd', { nodeSelector: { disktype: 'ssd' } }));
    await k.rowIs(`ssd-${NODE}`, undefined, 'NodeAffinity', 60_000);
    const mirror = k.get(`ssd-${NODE}`);
    assert.equal(mirror.status?.phase, 'Failed');
    assert.equal(mirror.status?.reason, 'NodeAffinity');
    assert.equal(mirror.status?.message, `Pod was rejected: ${WORDS}`);
    const described = await k.described(`ssd-${NODE}`, /Warning\s+NodeAffinity/);
    assert.ok(described.includes(WORDS), described);
    // The node API's /pods shows the same object.
    const local = await waitFor(async () => (await berth.pods()).find((p) => p.metadata?.name === `ssd-${NODE}`), 'ssd in /pods');
    assert.equal(local.status?.phase, 'Failed');
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(existsSync(join(ws.dir, 'ssd')), false, 'a rejected pod must not run its containers');
  });

  it('a required node affinity that excludes this node (NotIn its hostname) is rejected; removing the manifest removes it', async () => {
    const terms = [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'NotIn', values: [NODE] }] }];
    ws.write('other.yaml', pod('other', { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } } }));
    await k.rowIs(`other-${NODE}`, undefined, 'NodeAffinity', 60_000);
    assert.equal(existsSync(join(ws.dir, 'other')), false);
    rmSync(join(ws.manifests, 'other.yaml'));
    await waitFor(() => k.run('get', 'pod', `other-${NODE}`).code !== 0, 'the rejected pod is gone once its manifest is', 60_000);
  });
});
