// The probe worker's thresholds and scheduling (with a scripted prober), hooks, and 50 containers
// each probing a real HTTP server every second.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import type { Probe } from 'kubernetes-types/core/v1';
import { nextAttemptAt, ProbeWorker, runHook, SLOT_MS, type ProbeKind, type ProbeOutcome, type ProbeTarget } from '../../src/probes/index.js';
import type { ExecSyncResult } from '../../src/runtime/types.js';
import { defer } from '../cleanup.js';

const target: ProbeTarget = {
  podIP: '127.0.0.1',
  container: { name: 'web' },
  exec: async () => ({ exitCode: 0, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), timedOut: false }),
};

async function until(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A worker fed from a script of outcomes (the last one repeats); periodSeconds 1 but the test shortens nothing: it waits. */
function scripted(kind: ProbeKind, probe: Probe, script: ProbeOutcome['result'][]) {
  const results: string[] = [];
  const events: string[] = [];
  let i = 0;
  const w = new ProbeWorker({
    kind,
    probe,
    target,
    startedAt: Date.now(),
    onResult: (r) => results.push(r),
    onEvent: (_t, reason, message) => events.push(`${reason}: ${message}`),
    run: async () => {
      const r = script[Math.min(i++, script.length - 1)]!;
      return { result: r, output: r === 'failure' ? 'HTTP probe failed with statuscode: 500' : r === 'warning' ? 'redirected' : '' };
    },
  });
  return { w, results, events };
}

describe('probe worker', () => {
  it('reports failure only after failureThreshold failures in a row, success after successThreshold', async (t) => {
    const s = scripted('Readiness', { periodSeconds: 1, failureThreshold: 2, successThreshold: 2 }, ['success', 'success', 'failure', 'success', 'failure', 'failure', 'success']);
    defer(t, () => s.w.stop());
    s.w.start();
    await until(() => s.results.length >= 3, 'three settled results', 30_000);
    // s s -> success; f (1 of 2) s (1 of 2) f f -> failure; s (1 of 2) ... then s repeats -> success
    assert.deepEqual(s.results.slice(0, 3), ['success', 'failure', 'success']);
    assert.ok(s.events.includes('Unhealthy: Readiness probe failed: HTTP probe failed with statuscode: 500'), s.events.join('\n'));
  });

  it('stops a liveness probe at its failure threshold (the container gets killed); unknown results are not counted', async (t) => {
    const s = scripted('Liveness', { periodSeconds: 1, failureThreshold: 2 }, ['failure', 'unknown', 'failure', 'failure']);
    defer(t, () => s.w.stop());
    s.w.start();
    await until(() => s.results.length === 1, 'liveness failed');
    assert.deepEqual(s.results, ['failure']);
    assert.equal(s.w.isStopped, true);
    assert.equal(s.w.attempts, 3, 'failure, unknown (ignored), failure: the threshold of 2 is reached at the third attempt');
    assert.ok(s.events.some((e) => e.startsWith('Unhealthy: Liveness probe errored: ')));
  });

  it('stops a startup probe once it succeeded; a warning counts as success with a ProbeWarning event', async (t) => {
    const s = scripted('Startup', { periodSeconds: 1, failureThreshold: 30 }, ['failure', 'warning']);
    defer(t, () => s.w.stop());
    s.w.start();
    await until(() => s.results.length === 1, 'started');
    assert.deepEqual(s.results, ['success']);
    assert.equal(s.w.isStopped, true);
    assert.ok(s.events.includes('ProbeWarning: Startup probe warning: redirected'));
  });

  it('waits initialDelaySeconds after the container start before the first attempt', async (t) => {
    const s = scripted('Readiness', { initialDelaySeconds: 1, periodSeconds: 1 }, ['success']);
    defer(t, () => s.w.stop());
    s.w.start();
    assert.equal(s.w.attempts, 0);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(s.w.attempts, 0, 'no attempt inside the initial delay');
    await until(() => s.results.length === 1, 'first result after the delay');
  });

  it('puts the attempts after the first on a grid shared by all probes, one period apart, never overlapping', () => {
    assert.equal(SLOT_MS, 100);
    // First attempt due at an odd time: the second comes on the next slot after one period.
    assert.equal(nextAttemptAt(1_000_037, 1000, 1_000_050), 1_001_100);
    // On the grid, a timer that fired late does not shift the next attempt.
    assert.equal(nextAttemptAt(1_001_100, 1000, 1_001_180), 1_002_100);
    assert.equal(nextAttemptAt(1_001_100, 10_000, 1_001_110), 1_011_100);
    // An attempt that took longer than the period: the next one starts at the next slot, not in the past.
    assert.equal(nextAttemptAt(1_001_100, 1000, 1_002_345), 1_002_400);
  });

  it('keeps 50 containers probing a real server every second, each on its own timer', async (t) => {
    let hits = 0;
    const server = createServer((_req, res) => {
      hits++;
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    defer(t, () => new Promise<void>((r) => server.close(() => r())));
    const port = (server.address() as AddressInfo).port;
    const results = new Array<number>(50).fill(0);
    const workers = results.map(
      (_, i) =>
        new ProbeWorker({
          kind: 'Readiness',
          probe: { httpGet: { path: '/ready', port }, periodSeconds: 1 },
          target: { ...target, container: { name: `c${i}` } },
          startedAt: Date.now(),
          onResult: (r) => r === 'success' && results[i]!++,
          onEvent: () => undefined,
        }),
    );
    defer(t, () => workers.forEach((w) => w.stop()));
    workers.forEach((w) => w.start());
    await until(() => results.every((n) => n >= 3), `every container ready by its probe three times: ${results.join(',')}`);
    assert.ok(workers.every((w) => !w.isStopped), 'readiness probes keep running');
    assert.ok(hits >= 150, `the server saw ${hits} probes`);
  });
});

describe('lifecycle hooks', () => {
  const pod = { metadata: { name: 'web', namespace: 'default', uid: 'u1' } };
  const exec = (r: Partial<ExecSyncResult>) => async () => ({ exitCode: 0, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), timedOut: false, ...r });

  it('exec: succeeds on exit 0, fails with the kubelet message otherwise', async () => {
    assert.equal(await runHook({ exec: { command: ['true'] } }, { pod, target: { ...target, exec: exec({}) } }), undefined);
    const msg = await runHook({ exec: { command: ['sh', '-c', 'exit 3'] } }, { pod, target: { ...target, exec: exec({ exitCode: 3, stdout: Buffer.from('boom') }) } });
    assert.equal(msg, `Exec lifecycle hook ([sh -c exit 3]) for Container "web" in Pod "web_default(u1)" failed - error: command 'sh -c exit 3' exited with 3: , message: "boom"`);
  });

  it('httpGet: fails only when no answer comes; sleep sleeps and can be abandoned', async (t) => {
    const server = createServer((_req, res) => {
      res.statusCode = 500;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    defer(t, () => new Promise<void>((r) => server.close(() => r())));
    const port = (server.address() as AddressInfo).port;
    assert.equal(await runHook({ httpGet: { path: '/hook', port } }, { pod, target }), undefined, 'a 500 is an answer: the hook ran');
    server.close();
    await new Promise((r) => setTimeout(r, 50));
    const msg = await runHook({ httpGet: { path: '/hook', port } }, { pod, target });
    assert.match(msg ?? '', /^HTTP lifecycle hook \(\/hook\) for Container "web" in Pod "web_default\(u1\)" failed - error: Get ".*": dial tcp .*connection refused$/);
    const ac = new AbortController();
    const began = Date.now();
    const sleeping = runHook({ sleep: { seconds: 3600 } }, { pod, target, signal: ac.signal });
    ac.abort();
    assert.equal(await sleeping, undefined);
    assert.ok(Date.now() - began < 3_600_000);
  });

  it('a hook that hangs is abandoned when the pod stops', async () => {
    const ac = new AbortController();
    const hung = runHook({ exec: { command: ['sleep', 'inf'] } }, { pod, target: { ...target, exec: () => new Promise(() => undefined) }, signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    assert.equal(await hung, undefined);
  });
});
