// Probes, hooks and sidecars as the pod workers drive them, with an in-memory runtime whose
// execSync answers from a script (the probers themselves are tested against real servers in
// test/probes, the whole agent in test/e2e/lifecycle.test.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Container, Pod } from 'kubernetes-types/core/v1';
import { silentLogger } from '../../src/log/index.js';
import type { ExecSyncResult } from '../../src/runtime/types.js';
import { podStatus } from '../../src/status/index.js';
import { CrashLoopBackoff, PodManager, type PodEventSink } from '../../src/workers/index.js';
import { defer } from '../cleanup.js';
import { MemoryRuntime } from './memory-runtime.js';

const ok: ExecSyncResult = { exitCode: 0, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), timedOut: false };
const bad = (out = 'nope'): ExecSyncResult => ({ exitCode: 1, stdout: Buffer.from(out), stderr: Buffer.alloc(0), timedOut: false });

function pod(containers: Container[], initContainers: Container[] = [], extra: Partial<Pod['spec']> = {}): Pod {
  return { metadata: { name: 'web', namespace: 'default', uid: 'u1' }, spec: { containers, initContainers, ...extra } };
}

function setup(t: { after(fn: () => Promise<void> | void): void }) {
  const rt = new MemoryRuntime();
  const events: string[] = [];
  const sink: PodEventSink = { podEvent: (_p, type, reason, message, c) => events.push(`${type} ${reason} ${c ?? ''}: ${message}`) };
  const m = new PodManager({ runtime: rt, podLogsDir: '/nonexistent', logger: silentLogger, events: sink, newBackoff: () => new CrashLoopBackoff(50, 200) });
  defer(t, () => m.stopAll());
  const status = () => podStatus(m.views()[0]!);
  return { rt, m, events, status };
}

async function until(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const execProbe = (name: string, extra: object = {}) => ({ exec: { command: ['check', name] }, periodSeconds: 1, ...extra });

describe('probes in the pod worker', () => {
  it('readiness decides ready, the Ready condition and its lastTransitionTime; a failing one emits Unhealthy', async (t) => {
    const { rt, m, events, status } = setup(t);
    let readyNow = false;
    rt.execAnswer = () => (readyNow ? ok : bad('HTTP probe failed with statuscode: 500'));
    await m.start([pod([{ name: 'web', command: ['x'], readinessProbe: execProbe('ready', { failureThreshold: 1 }) }])]);
    await until(() => events.some((e) => e.includes('Unhealthy')), 'a failed readiness probe');
    assert.ok(events.includes('Warning Unhealthy web: Readiness probe failed: HTTP probe failed with statuscode: 500'), events.join('\n'));
    let s = status();
    assert.equal(s.phase, 'Running');
    assert.equal(s.containerStatuses![0]!.ready, false);
    assert.equal(s.containerStatuses![0]!.started, true);
    const notReadySince = s.conditions!.find((c) => c.type === 'Ready')!.lastTransitionTime;
    assert.equal(s.conditions!.find((c) => c.type === 'Ready')!.message, 'containers with unready status: [web]');
    readyNow = true;
    await until(() => status().containerStatuses![0]!.ready === true, 'ready once the probe passes');
    s = status();
    const ready = s.conditions!.find((c) => c.type === 'Ready')!;
    assert.equal(ready.status, 'True');
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal(status().conditions!.find((c) => c.type === 'Ready')!.lastTransitionTime, ready.lastTransitionTime, 'unchanged while the status holds');
    assert.ok(notReadySince);
  });

  it('liveness failing failureThreshold times kills and restarts the container (Killing, restartCount, lastState)', async (t) => {
    const { rt, m, events, status } = setup(t);
    rt.execAnswer = (id) => (rt.records.get(id)?.attempt === 0 ? bad() : ok);
    await m.start([pod([{ name: 'web', command: ['x'], livenessProbe: execProbe('live', { failureThreshold: 2 }) }])]);
    await until(() => rt.journal.some((l) => l.includes('web/web#1')), 'restarted');
    assert.ok(events.includes('Normal Killing web: Container web failed liveness probe, will be restarted'), events.join('\n'));
    assert.equal(events.filter((e) => e.includes('Liveness probe failed')).length, 2);
    await until(() => status().containerStatuses![0]!.state?.running !== undefined, 'running again');
    const c = status().containerStatuses![0]!;
    assert.equal(c.restartCount, 1);
    assert.equal(c.lastState?.terminated?.exitCode, 143);
    assert.ok(rt.journal.includes('stop web grace=30'), 'the pod grace period is used when the probe sets none');
  });

  it('startup gates liveness and readiness; a startup probe that never passes gets the container restarted', async (t) => {
    const { rt, m, events } = setup(t);
    rt.execAnswer = (_id, cmd) => (cmd[1] === 'started' ? bad() : ok);
    await m.start([
      pod([{ name: 'web', command: ['x'], startupProbe: execProbe('started', { failureThreshold: 2, terminationGracePeriodSeconds: 3 }), livenessProbe: execProbe('live'), readinessProbe: execProbe('ready') }]),
    ]);
    await until(() => rt.journal.some((l) => l.includes('web/web#1')), 'restarted after the startup probe failed');
    assert.ok(events.includes('Normal Killing web: Container web failed startup probe, will be restarted'), events.join('\n'));
    assert.ok(rt.journal.includes('stop web grace=3'), "the probe's own terminationGracePeriodSeconds");
    assert.ok(!rt.journal.some((l) => l.includes('check live') || l.includes('check ready')), 'liveness and readiness never ran');
  });

  it('after startup succeeds, liveness and readiness run and started becomes true', async (t) => {
    const { rt, m, status } = setup(t);
    await m.start([pod([{ name: 'web', command: ['x'], startupProbe: execProbe('started'), readinessProbe: execProbe('ready') }])]);
    await until(() => status().containerStatuses?.[0]?.ready === true, 'ready');
    const first = rt.journal.findIndex((l) => l.includes('check started'));
    const ready = rt.journal.findIndex((l) => l.includes('check ready'));
    assert.ok(first >= 0 && first < ready);
    assert.equal(status().containerStatuses![0]!.started, true);
  });
});

describe('sidecars and init containers in the pod worker', () => {
  it('starts a sidecar, waits for its startup probe, runs the next init container, then the app; stops the app before the sidecar', async (t) => {
    const { rt, m, status } = setup(t);
    let sidecarStarted = false;
    rt.execAnswer = () => (sidecarStarted ? ok : bad());
    await m.start([
      pod(
        [{ name: 'app', command: ['x'] }],
        [
          { name: 'proxy', command: ['x'], restartPolicy: 'Always', startupProbe: execProbe('proxy', { failureThreshold: 30 }) },
          { name: 'setup', command: ['x'] },
        ],
      ),
    ]);
    await until(() => rt.journal.some((l) => l.includes('check proxy')), 'sidecar probed');
    assert.ok(!rt.journal.some((l) => l.includes('web/setup')), 'the next init container waits for the sidecar startup probe');
    assert.equal(status().conditions!.find((c) => c.type === 'Initialized')!.status, 'False');
    assert.equal(status().conditions!.find((c) => c.type === 'Initialized')!.message, 'containers with incomplete status: [proxy setup]');
    sidecarStarted = true;
    await until(() => rt.journal.some((l) => l.includes('web/setup#0')), 'setup starts');
    assert.ok(!rt.journal.some((l) => l.includes('web/app')), 'the app waits for setup');
    rt.exit([...rt.records.values()].find((r) => r.containerName === 'setup')!.id, 0);
    await until(() => rt.journal.some((l) => l.includes('web/app#0')), 'app starts');
    await until(() => status().conditions!.find((c) => c.type === 'Ready')!.status === 'True', 'pod ready');
    const s = status();
    assert.equal(s.conditions!.find((c) => c.type === 'Initialized')!.status, 'True');
    const proxy = s.initContainerStatuses!.find((c) => c.name === 'proxy')!;
    assert.equal(proxy.started, true);
    assert.equal(proxy.ready, true);
    // The sidecar crashes: restarted (restartPolicy Always of its own), the app keeps running.
    rt.exit([...rt.records.values()].find((r) => r.containerName === 'proxy')!.id, 1);
    await until(() => rt.journal.some((l) => l.includes('web/proxy#1')), 'sidecar restarted');
    await m.stopAll();
    const app = rt.journal.indexOf('stop app grace=30');
    const proxyStop = rt.journal.findIndex((l) => l.startsWith('stop proxy'));
    assert.ok(app >= 0 && proxyStop > app, rt.journal.join('\n'));
  });

  it('a pod whose app containers finished for good (Never) stops its sidecar and does not restart it', async (t) => {
    const { rt, m, status } = setup(t);
    await m.start([pod([{ name: 'job', command: ['x'] }], [{ name: 'proxy', command: ['x'], restartPolicy: 'Always' }], { restartPolicy: 'Never' })]);
    await until(() => rt.journal.some((l) => l.includes('web/job#0')), 'job started after the sidecar');
    rt.exit([...rt.records.values()].find((r) => r.containerName === 'job')!.id, 0);
    await until(() => rt.journal.some((l) => l.startsWith('stop proxy')), 'sidecar stopped');
    await until(() => status().phase === 'Succeeded', 'pod Succeeded');
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(!rt.journal.some((l) => l.includes('web/proxy#1')), 'the sidecar is not restarted');
  });

  it('a failing init container: Init:CrashLoopBackOff for Always, pod Failed for Never', async (t) => {
    const { rt, m, status } = setup(t);
    await m.start([pod([{ name: 'app', command: ['x'] }], [{ name: 'init', command: ['x'] }], { restartPolicy: 'Never' })]);
    await until(() => rt.records.size === 1, 'init running');
    rt.exit([...rt.records.keys()][0]!, 1);
    await until(() => status().phase === 'Failed', 'pod failed');
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(!rt.journal.some((l) => l.includes('init#1') || l.includes('app#0')));
  });
});

describe('lifecycle hooks in the pod worker', () => {
  it('postStart runs after the start and the container is not Running until it finished; a failing one kills it', async (t) => {
    const { rt, m, events, status } = setup(t);
    let release: (() => void) | undefined;
    let fail = true;
    rt.execAnswer = () =>
      new Promise<ExecSyncResult>((r) => {
        release = () => r(fail ? bad('hook broke') : ok);
      });
    await m.start([pod([{ name: 'web', command: ['x'], lifecycle: { postStart: { exec: { command: ['warm', 'up'] } } } }])]);
    await until(() => release !== undefined, 'hook running');
    assert.equal(status().containerStatuses![0]!.state?.waiting?.reason, 'ContainerCreating');
    fail = true;
    release!();
    await until(() => events.some((e) => e.includes('FailedPostStartHook') && e.startsWith('Warning')), 'FailedPostStartHook');
    assert.ok(events.some((e) => e === 'Normal Killing web: FailedPostStartHook'), events.join('\n'));
    assert.match(events.find((e) => e.startsWith('Warning FailedPostStartHook'))!, /Exec lifecycle hook \(\[warm up\]\) for Container "web" in Pod "web_default\(u1\)" failed/);
    fail = false;
    release = undefined;
    await until(() => release !== undefined, 'the restarted container runs its hook again');
    release!();
    await until(() => status().containerStatuses![0]!.state?.running !== undefined, 'Running after its hook');
    assert.equal(status().containerStatuses![0]!.restartCount, 1);
  });

  it('preStop runs before the stop; a failing one is reported and the container is still stopped', async (t) => {
    const { rt, m, events } = setup(t);
    rt.execAnswer = (_id, cmd) => (cmd[0] === 'drain' ? bad('cannot drain') : ok);
    await m.start([pod([{ name: 'web', command: ['x'], lifecycle: { preStop: { exec: { command: ['drain'] } } } }], [], { terminationGracePeriodSeconds: 5 })]);
    await until(() => rt.records.size === 1, 'running');
    await m.stopAll();
    const hook = rt.journal.indexOf('exec web drain');
    const stop = rt.journal.findIndex((l) => l.startsWith('stop web'));
    assert.ok(hook >= 0 && stop > hook, rt.journal.join('\n'));
    assert.ok(events.some((e) => e.startsWith('Warning FailedPreStopHook web: Exec lifecycle hook ([drain])')), events.join('\n'));
  });

  it('a postStart hook that hangs does not keep a removed pod from stopping', async (t) => {
    const { rt, m } = setup(t);
    rt.execAnswer = () => new Promise(() => undefined);
    await m.start([pod([{ name: 'web', command: ['x'], lifecycle: { postStart: { exec: { command: ['hang'] } } } }], [], { terminationGracePeriodSeconds: 1 })]);
    await until(() => rt.journal.includes('exec web hang'), 'hook hanging');
    await m.stopAll();
    assert.ok(rt.journal.some((l) => l.startsWith('stop web')));
    assert.ok(rt.journal.includes('sandbox-removed web'));
  });
});
