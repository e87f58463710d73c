// The collector against the real /proc of this machine and real child processes: one burns CPU
// and holds memory, one sleeps. Rates need two readings, gone containers are forgotten, and the
// runtime's own numbers win over /proc when it has them.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, describe, test } from 'node:test';
import type { ContainerStats } from '../../src/runtime/types.js';
import { parseMeminfo, parseProcStat, renderResourceMetrics, StatsCollector } from '../../src/stats/index.js';
import type { PodView } from '../../src/workers/index.js';

const children: ChildProcess[] = [];

function child(script: string): ChildProcess {
  // detached: its own process group, as a process-runtime container is.
  const c = spawn(process.execPath, ['-e', script], { detached: true, stdio: 'ignore' });
  children.push(c);
  return c;
}

function view(name: string, containers: Array<{ name: string; id: string; pid?: number }>): PodView {
  return {
    pod: { metadata: { name, namespace: 'default', uid: `uid-${name}` } },
    runtime: 'process',
    startTime: '2026-01-01T00:00:00Z',
    terminating: false,
    containers: containers.map((c) => ({
      name: c.name,
      init: false,
      current: {
        id: c.id,
        podUid: `uid-${name}`,
        podName: name,
        podNamespace: 'default',
        containerName: c.name,
        attempt: 0,
        state: 'running',
        ...(c.pid !== undefined ? { pid: c.pid } : {}),
        createdAt: '2026-01-01T00:00:01Z',
        startedAt: '2026-01-01T00:00:02Z',
        logPath: '/dev/null',
      },
    })),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(ok: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > until) throw new Error(`timed out waiting: ${what}`);
    await sleep(50);
  }
}

after(() => {
  for (const c of children) c.kill('SIGKILL');
});

describe('stats collector', () => {
  test('node and container numbers from /proc; CPU rates after two readings; gone containers dropped', async () => {
    const burner = child('const keep = Buffer.alloc(64 * 1024 * 1024, 1); setInterval(() => keep[0]++, 1000); for (;;) { Math.sqrt(Math.random()); }');
    const sleeper = child('setInterval(() => {}, 1000)');
    // The burner's buffer is touched before the first reading.
    await sleep(1500);
    let views = [view('burn', [{ name: 'main', id: 'c-burn', pid: burner.pid! }]), view('idle', [{ name: 'main', id: 'c-idle', pid: sleeper.pid! }])];
    const fromRuntime: Record<string, ContainerStats> = {};
    const c = new StatsCollector({ nodeName: 'n1', runtime: () => ({ containerStats: async (id) => fromRuntime[id] }), views: () => views, fsPath: '/' });

    const first = await c.summary();
    assert.equal(first.node.nodeName, 'n1');
    assert.ok(first.node.cpu.usageCoreNanoSeconds! > 0);
    assert.equal(first.node.cpu.usageNanoCores, undefined, 'no rate from a single reading');
    assert.ok(first.node.memory.workingSetBytes! > 0 && first.node.memory.availableBytes! > 0);
    assert.ok(first.node.fs && first.node.fs.capacityBytes > 0);
    assert.ok(first.node.startTime && Date.parse(first.node.startTime) < Date.now());
    const burn1 = first.pods.find((p) => p.podRef.name === 'burn')!;
    assert.deepEqual(burn1.podRef, { name: 'burn', namespace: 'default', uid: 'uid-burn' });
    assert.equal(burn1.containers[0]!.startTime, '2026-01-01T00:00:02Z');
    assert.ok(burn1.containers[0]!.memory!.workingSetBytes! >= 60 * 1024 * 1024, `the burner holds 64 MiB: ${JSON.stringify(burn1)}`);
    assert.equal(burn1.containers[0]!.cpu!.usageNanoCores, undefined);

    await sleep(2000);
    const second = await c.summary();
    assert.ok(second.node.cpu.usageNanoCores! > 0, JSON.stringify(second.node));
    const burn = second.pods.find((p) => p.podRef.name === 'burn')!;
    const idle = second.pods.find((p) => p.podRef.name === 'idle')!;
    const burnRate = burn.containers[0]!.cpu!.usageNanoCores!;
    const idleRate = idle.containers[0]!.cpu!.usageNanoCores!;
    // On a loaded machine the burner gets what the scheduler gives it; it still outruns a sleeper.
    assert.ok(burnRate > 20e6, `burner uses CPU: ${burnRate} nanocores`);
    assert.ok(idleRate < burnRate, `sleeper ${idleRate} < burner ${burnRate}`);
    assert.equal(burn.cpu!.usageNanoCores, burnRate, 'the pod total is its one container');
    assert.ok(burn.memory!.workingSetBytes! >= 60 * 1024 * 1024);

    // A reading right after another keeps the last rate instead of dividing by a few milliseconds.
    const soon = await c.summary();
    assert.equal(soon.pods.find((p) => p.podRef.name === 'burn')!.containers[0]!.cpu!.usageNanoCores, burnRate);

    // The runtime's numbers, when it has them, are used as they are.
    fromRuntime['c-idle'] = { timestamp: new Date().toISOString(), cpuUsageNanoSeconds: 5e9, memoryWorkingSetBytes: 12345, memoryUsageBytes: 23456 };
    const third = await c.summary();
    const idle3 = third.pods.find((p) => p.podRef.name === 'idle')!.containers[0]!;
    assert.equal(idle3.cpu!.usageCoreNanoSeconds, 5e9);
    assert.equal(idle3.memory!.workingSetBytes, 12345);
    assert.equal(idle3.memory!.usageBytes, 23456);

    assert.equal(c.tracked(), 2);
    views = views.slice(0, 1);
    const fourth = await c.summary();
    assert.deepEqual(fourth.pods.map((p) => p.podRef.name), ['burn']);
    assert.equal(c.tracked(), 1, 'the gone container is no longer tracked');

    const text = renderResourceMetrics(fourth);
    assert.match(text, /^container_cpu_usage_seconds_total\{container="main",namespace="default",pod="burn"\} [\d.e+-]+ \d{13}$/m);
    assert.match(text, /^container_memory_working_set_bytes\{container="main",namespace="default",pod="burn"\} \d+ \d{13}$/m);
    assert.match(text, /^container_start_time_seconds\{container="main",namespace="default",pod="burn"\} 1767225602 \d{13}$/m);
    assert.match(text, /^pod_cpu_usage_seconds_total\{namespace="default",pod="burn"\} [\d.e+-]+ \d{13}$/m);
    assert.match(text, /^pod_memory_working_set_bytes\{namespace="default",pod="burn"\} \d+ \d{13}$/m);
    assert.match(text, /^node_cpu_usage_seconds_total [\d.e+-]+ \d{13}$/m);
    assert.match(text, /^node_memory_working_set_bytes \d+ \d{13}$/m);
    assert.match(text, /^# TYPE node_cpu_usage_seconds_total counter$/m);
    assert.match(text, /^resource_scrape_error 0$/m);
  });

  test('a container whose process is gone and that the runtime does not know has no numbers, but is listed', async () => {
    const gone = child('process.exit(0)');
    await new Promise((r) => gone.once('exit', r));
    const c = new StatsCollector({ nodeName: 'n1', runtime: () => undefined, views: () => [view('gone', [{ name: 'main', id: 'c-gone', pid: gone.pid! }])] });
    const s = await c.summary();
    assert.deepEqual(s.pods[0]!.containers, [{ name: 'main', startTime: '2026-01-01T00:00:02Z' }]);
    assert.equal(s.pods[0]!.cpu, undefined);
  });

  test('the sampler reads nothing until asked; the first answer has CPU rates; it sleeps again when nobody asks', async () => {
    const sleeper = child('setInterval(() => {}, 1000)');
    await sleep(300);
    let readings = 0;
    const c = new StatsCollector({
      nodeName: 'n1',
      runtime: () => ({
        containerStats: async () => {
          readings++;
          return undefined;
        },
      }),
      views: () => [view('idle', [{ name: 'main', id: 'c-idle', pid: sleeper.pid! }])],
    });
    try {
      c.start(200, 3000);
      await sleep(800);
      assert.equal(readings, 0, 'no reading before anyone asked');
      assert.equal(c.sampling(), false);

      const [a, b] = await Promise.all([c.answer(), c.answer()]);
      assert.equal(a, b, 'requests that arrive while the sampler wakes share its readings');
      assert.ok(a.node.cpu.usageNanoCores !== undefined, 'the first answer already has the node CPU rate');
      assert.ok(a.pods[0]!.containers[0]!.cpu!.usageNanoCores !== undefined, 'and the container CPU rate');
      assert.equal(readings, 2, 'two readings to wake');
      assert.equal(c.sampling(), true);

      await waitUntil(() => readings >= 4, 'the sampler reads every interval while asked');
      await waitUntil(() => !c.sampling(), 'the sampler sleeps once nobody asked for the idle period');
      const asleep = readings;
      await sleep(600);
      assert.equal(readings, asleep, 'a sleeping sampler reads nothing');
    } finally {
      c.stop();
    }
  });

  test('a failed reading renders as resource_scrape_error 1', () => {
    assert.match(renderResourceMetrics(undefined), /^resource_scrape_error 1$/m);
    assert.doesNotMatch(renderResourceMetrics(undefined), /^node_cpu_usage_seconds_total /m);
  });

  test('/proc parsers: real formats, and a clear error on text that is not /proc', () => {
    assert.equal(parseProcStat('cpu  100 5 50 1000 20 3 2 1 0 0\ncpu0 1 1 1 1\n').usageCoreNanoSeconds, (100 + 5 + 50 + 3 + 2 + 1) * 1e7);
    const m = parseMeminfo('MemTotal:  1000 kB\nMemFree:  200 kB\nInactive(file):  100 kB\nAnonPages:  300 kB\n', 'pgfault 7\npgmajfault 2\n');
    assert.deepEqual(m, { totalBytes: 1024000, availableBytes: 1024000 - 716800, usageBytes: 819200, workingSetBytes: 716800, rssBytes: 307200, pageFaults: 7, majorPageFaults: 2 });
    assert.throws(() => parseProcStat('intr 1 2 3\n'), /\/proc\/stat has no aggregate "cpu" line/);
    assert.throws(() => parseMeminfo('Hello: 3\n'), /\/proc\/meminfo has no MemTotal or MemFree/);
  });
});
