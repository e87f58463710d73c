// Issue 10 part 2: a static pod too big for the API server. The embedded API answers 413; the
// agent says so once, naming the pod and its size (not "API server unreachable", not a refused
// request repeated on every sync pass), emits a Node event, and keeps the pod and the other mirrors.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NODE, shPod, startBerth, waitFor, workspace, type Berth, type Workspace } from './harness.js';
import { kubectlFor, type Kubectl } from './kubectl-run.js';

describe('issue 10: a mirror pod over the API server limit', () => {
  let ws: Workspace;
  let berth: Berth;
  let k: Kubectl;

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

  it('is reported once as too large, with its size; the pod runs and other mirrors keep being written', async () => {
    // About 4 MB of labels: over the 3 MiB request limit of kube-apiserver and the embedded API.
    const labels: Record<string, string> = {};
    for (let i = 0; i < 80_000; i++) labels[`k${i}`] = 'v'.repeat(40);
    const big = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'big', labels }, spec: { containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'] }] } };
    ws.write('big.json', JSON.stringify(big));
    // A pod that crashes every second: each status change is a mirror sync pass.
    ws.write('tick.yaml', shPod('tick', 'sleep 1; exit 1'));

    const line = await berth.waitLog((l) => /^mirror pod of pod default\/big-my-node1 is \d+ bytes, over the API server's limit \(413 /.test(String(l.msg)), 'the too-large report', 60_000);
    assert.match(String(line.msg), /the limit is 3145728 bytes/);
    assert.ok(Number(line.bytes) > 3 * 1024 * 1024, JSON.stringify(line));

    // The pod runs on the node all the same.
    await waitFor(async () => (await berth.pod(`big-${NODE}`))?.status?.phase === 'Running', 'big runs', 60_000);
    // Meanwhile other pods' statuses keep changing (tick restarts) and their mirrors are written.
    const restarts = () => Number(k.get(`tick-${NODE}`).status?.containerStatuses?.[0]?.restartCount ?? 0);
    const first = await waitFor(() => restarts() >= 1 && restarts(), 'tick restarts show in its mirror', 60_000);
    await waitFor(() => restarts() > first, 'tick keeps restarting in its mirror', 90_000);

    const reports = berth.logs.filter((l) => String(l.msg).startsWith('mirror pod of pod default/big-my-node1 is'));
    assert.equal(reports.length, 1, 'reported once, not once per sync pass');
    const wrong = berth.logs.filter((l) => /unreachable|refused a request/.test(String(l.msg)));
    assert.deepEqual(wrong, [], 'a 413 is neither "unreachable" nor a refused request retried');
    assert.equal(k.run('get', 'pod', `big-${NODE}`).code, 1, 'no mirror pod for the refused one');
    const events = await waitFor(() => {
      const out = k.run('get', 'events', '-A', '--field-selector', 'reason=FailedMirrorPod', '-o', 'json').out;
      const items = (JSON.parse(out || '{"items":[]}') as { items: Array<{ message?: string; involvedObject?: { kind?: string } }> }).items;
      return items.length > 0 && items;
    }, 'a FailedMirrorPod event on the Node', 30_000);
    assert.equal(events[0]!.involvedObject?.kind, 'Node');
    assert.match(events[0]!.message ?? '', /mirror pod of pod default\/big-my-node1 is \d+ bytes/);
  });
});
