// Unit tests of the pod workers with an in-memory runtime (the real runtimes have their own
// tests, and the e2e tests run the whole agent): ordering, restart decisions, teardown retries.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1';
import { silentLogger } from '../../src/log/index.js';
import { CrashLoopBackoff, noEvents, PodManager } from '../../src/workers/index.js';
import { MemoryRuntime } from './memory-runtime.js';

function pod(name: string, uid: string, restartPolicy = 'Always'): Pod {
  return { metadata: { name, namespace: 'default', uid }, spec: { restartPolicy, containers: [{ name: 'c', command: ['x'] }] } };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function manager(runtime: MemoryRuntime): PodManager {
  return new PodManager({ runtime, podLogsDir: '/nonexistent', logger: silentLogger, events: noEvents, newBackoff: () => new CrashLoopBackoff(50, 200) });
}

describe('pod workers', () => {
  it('starts a replacement only after the pod it replaces has stopped', async () => {
    const rt = new MemoryRuntime();
    const m = manager(rt);
    await m.start([pod('web', 'u1')]);
    await until(() => rt.journal.some((l) => l.startsWith('start web')), 'first start');
    m.apply({ removed: [pod('web', 'u1')], added: [pod('web', 'u2')], updated: [] });
    await until(() => rt.journal.some((l) => l.includes('(u2)')), 'replacement start');
    const stop = rt.journal.findIndex((l) => l.startsWith('stopped'));
    const start2 = rt.journal.findIndex((l) => l.includes('(u2)'));
    assert.ok(stop >= 0 && stop < start2, rt.journal.join('\n'));
  });

  it('restarts by policy: Always restarts, Never does not, OnFailure only on failure', async () => {
    const rt = new MemoryRuntime();
    const m = manager(rt);
    await m.start([pod('always', 'a'), pod('never', 'n', 'Never'), pod('ok', 'o', 'OnFailure'), pod('fail', 'f', 'OnFailure')]);
    await until(() => rt.records.size === 4, 'four running');
    const idOf = (uid: string) => [...rt.records.values()].find((r) => r.podUid === uid)!.id;
    rt.exit(idOf('a'), 0);
    rt.exit(idOf('n'), 1);
    rt.exit(idOf('o'), 0);
    rt.exit(idOf('f'), 2);
    await until(() => rt.journal.some((l) => l.includes('always/c#1')) && rt.journal.some((l) => l.includes('fail/c#1')), 'restarts');
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(!rt.journal.some((l) => l.includes('never/c#1')), 'Never is not restarted');
    assert.ok(!rt.journal.some((l) => l.includes('ok/c#1')), 'OnFailure with exit 0 is not restarted');
  });

  it('backs off the second restart (CrashLoopBackOff) and shows it', async () => {
    const rt = new MemoryRuntime();
    const m = manager(rt);
    await m.start([pod('crash', 'x')]);
    await until(() => rt.records.size === 1, 'running');
    rt.exit([...rt.records.keys()][0]!, 1);
    await until(() => rt.journal.some((l) => l.includes('#1')), 'first restart, immediate');
    rt.exit([...rt.records.values()].find((r) => r.attempt === 1)!.id, 1);
    await until(() => m.views()[0]!.containers[0]!.waiting?.reason === 'CrashLoopBackOff', 'CrashLoopBackOff');
    assert.ok(!rt.journal.some((l) => l.includes('#2')), 'second restart waits');
    await until(() => rt.journal.some((l) => l.includes('#2')), 'second restart after the back-off');
  });

  it('at start, adopts wanted pods and removes the rest, including a pod that only has a sandbox', async () => {
    const rt = new MemoryRuntime();
    const first = manager(rt);
    await first.start([pod('keep', 'k'), pod('gone', 'g')]);
    await until(() => rt.records.size === 2, 'two running');
    await rt.close(); // the first agent dies
    rt.sandboxes.push({ podUid: 'g', podName: 'gone', podNamespace: 'default' }, { podUid: 's', podName: 'sandboxonly', podNamespace: 'default' });
    const second = manager(rt);
    await second.start([pod('keep', 'k')]);
    await until(() => rt.journal.includes('sandbox-removed gone') && rt.journal.includes('sandbox-removed sandboxonly'), 'orphans removed');
    assert.deepEqual([...rt.records.values()].map((r) => r.podUid), ['k'], 'the wanted pod is adopted, not restarted');
    assert.equal(rt.journal.filter((l) => l.startsWith('start keep')).length, 1);
  });

  it('retries a teardown that fails until the pod is really gone', async () => {
    const rt = new MemoryRuntime();
    const m = manager(rt);
    await m.start([pod('web', 'u1')]);
    await until(() => rt.records.size === 1, 'running');
    rt.failSandboxRemovals = 1;
    m.apply({ removed: [pod('web', 'u1')], added: [], updated: [] });
    await until(() => rt.journal.includes('sandbox-removed web'), 'sandbox removed after a retry');
    assert.ok(rt.journal.includes('sandbox-remove-failed web'));
    await until(() => m.views().length === 0, 'pod gone from the node');
  });
});
