// The pod manager's admission step: a pod the node refuses is never started, shows Failed with the
// kubelet's reason and message, and gets one Warning event; a pod refused after an agent restart
// has its surviving containers stopped.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1';
import { admitPod } from '../../src/admission/index.js';
import { silentLogger } from '../../src/log/index.js';
import { podStatus } from '../../src/status/index.js';
import { PodManager, type PodEventSink } from '../../src/workers/index.js';
import { defer } from '../cleanup.js';
import { MemoryRuntime } from './memory-runtime.js';

const node = { name: 'n1', labels: { 'kubernetes.io/hostname': 'n1', 'kubernetes.io/os': 'linux' } };
const pod = (uid: string, nodeSelector?: Record<string, string>): Pod => ({
  metadata: { name: `p-${uid}`, namespace: 'default', uid },
  spec: { containers: [{ name: 'main', command: ['x'] }], ...(nodeSelector ? { nodeSelector } : {}) },
});

function setup(t: { after(fn: () => Promise<void> | void): void }, rt = new MemoryRuntime()) {
  const events: string[] = [];
  const sink: PodEventSink = { podEvent: (p, type, reason, message) => events.push(`${p.metadata?.name} ${type} ${reason}: ${message}`) };
  const m = new PodManager({ runtime: rt, podLogsDir: '/nonexistent', logger: silentLogger, events: sink, admit: (p) => admitPod(p, node) });
  defer(t, () => m.stopAll());
  return { rt, m, events };
}

describe('pod admission in the pod manager', () => {
  it('a pod whose nodeSelector does not match is Failed/NodeAffinity, never started; a matching one starts', async (t) => {
    const { rt, m, events } = setup(t);
    await m.start([pod('a', { 'kubernetes.io/hostname': 'n1' }), pod('b', { disktype: 'ssd' })]);
    const deadline = Date.now() + 20_000;
    while (![...rt.records.values()].some((r) => r.podUid === 'a')) {
      assert.ok(Date.now() < deadline, 'pod a starts');
      await new Promise((r) => setTimeout(r, 10));
    }
    await new Promise((r) => setTimeout(r, 200));
    assert.equal([...rt.records.values()].filter((r) => r.podUid === 'b').length, 0, 'the rejected pod has no container');
    const b = m.views().find((v) => v.pod.metadata?.uid === 'b')!;
    const s = podStatus(b);
    assert.equal(s.phase, 'Failed');
    assert.equal(s.reason, 'NodeAffinity');
    assert.equal(s.message, "Pod was rejected: Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector");
    assert.deepEqual(events.filter((e) => e.startsWith('p-b ')), ["p-b Warning NodeAffinity: Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector"]);
  });

  it('after a restart, a pod the node no longer admits has its surviving containers stopped and removed', async (t) => {
    const rt = new MemoryRuntime();
    const first = await rt.startContainer({ pod: pod('c'), container: { name: 'main' }, attempt: 0, logPath: '/nonexistent/x.log', sandbox: { podIP: '127.0.0.1', hostIP: '127.0.0.1' }, events: () => {} });
    assert.equal(first.state, 'running');
    const { m } = setup(t, rt);
    await m.start([pod('c', { disktype: 'ssd' })]);
    const deadline = Date.now() + 20_000;
    while (rt.records.size > 0) {
      assert.ok(Date.now() < deadline, `the container of the refused pod is removed (journal: ${rt.journal.join(', ')})`);
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(rt.journal.some((j) => j.startsWith('stop main')), rt.journal.join(', '));
    assert.equal(podStatus(m.views()[0]!).reason, 'NodeAffinity');
  });
});
