// Issue 7's probe benchmarks, observed from outside the agent: 100 pods each with a liveness and
// a readiness httpGet probe every second, against the same 100 pods without probes (berth's CPU
// from /proc, RSS from /proc); a readiness probe that starts failing -> the mirror pod shows not
// Ready (a watch on the embedded API); a liveness probe that starts failing -> the container runs
// again (its start marker). The probes all go to one HTTP server in this process, which answers
// per pod, so the probed side costs berth nothing and the flips are exact in time.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Pod, PodList } from 'kubernetes-types/core/v1';
import type { Benchmark, Check, Unit } from './core.js';
import { createEnv, markerOf, type Berth, type BenchEnv } from './lib/berth.js';
import { KubeClient, readKubeconfig } from './lib/kube.js';
import { clockTicksPerSecond, cpuTicks, sleep, statusKb } from './lib/proc.js';
import { median, round, summarize } from './lib/stats.js';

const PODS = 100;
const CPU_WINDOW_MS = 20_000;
const FLIPS = 10;
const PERIOD_S = 1;
const LIVENESS_FAILURES = 3;

const check = (label: string, value: number, unit: Unit, target?: number): Check =>
  target === undefined || !Number.isFinite(value) ? { label, value: round(value), unit } : { label, value: round(value), unit, target, ok: value <= target };

/** The probed server: /ready/<pod> and /healthz/<pod> answer 200 unless that pod was flipped to 500. */
class ProbeTarget {
  readonly failing = new Set<string>();
  /** performance.now() of the first failing answer after a flip, per path. */
  readonly firstFailure = new Map<string, number>();
  hits = 0;
  private server: Server | undefined;

  async start(): Promise<number> {
    this.server = createServer((req, res) => {
      this.hits++;
      const path = req.url ?? '';
      const bad = this.failing.has(path);
      if (bad && !this.firstFailure.has(path)) this.firstFailure.set(path, performance.now());
      res.statusCode = bad ? 500 : 200;
      res.end();
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

function probedPod(name: string, markers: string, port: number | undefined): string {
  const probe = (path: string, failureThreshold: number) => ({
    httpGet: { host: '127.0.0.1', port, path: `${path}/${name}` },
    periodSeconds: PERIOD_S,
    failureThreshold,
  });
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      terminationGracePeriodSeconds: 2,
      containers: [
        {
          name: 'c',
          image: 'x',
          command: ['sh', '-c', `touch '${markers}/${name}'.$$$$; exec sleep 3600`],
          ...(port === undefined ? {} : { readinessProbe: probe('/ready', 1), livenessProbe: probe('/healthz', LIVENESS_FAILURES) }),
        },
      ],
    },
  });
}

/** Writes the pods at once and waits until the node lists them all Running and Ready. */
async function startPods(env: BenchEnv, berth: Berth, port: number | undefined, prefix: string): Promise<void> {
  const commits = Array.from({ length: PODS }, (_, i) => env.stageManifest(`${prefix}-${i}`, probedPod(`${prefix}-${i}`, env.markers.dir, port)));
  for (const c of commits) c();
  const deadline = performance.now() + 120_000;
  for (;;) {
    const list = await berth.pods();
    const ready = (list.items ?? []).filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
    if (ready >= PODS) return;
    if (performance.now() > deadline) throw new Error(`only ${ready} of ${PODS} pods Ready after 120 s`);
    await sleep(250);
  }
}

/** berth's CPU (% of one core) over a quiet window, and its RSS (MB). */
async function measure(berth: Berth): Promise<{ cpuPct: number; rssMb: number }> {
  await sleep(3000);
  const hz = clockTicksPerSecond();
  const t0 = performance.now();
  const c0 = cpuTicks(berth.pid);
  await Promise.race([sleep(CPU_WINDOW_MS), berth.exited]);
  const c1 = cpuTicks(berth.pid);
  const seconds = (performance.now() - t0) / 1000;
  return { cpuPct: ((c1 - c0) / hz / seconds) * 100, rssMb: statusKb(berth.pid, 'VmRSS') / 1024 };
}

async function cpuRun(withProbes: boolean): Promise<{ cpuPct: number; rssMb: number; hits: number }> {
  const env = createEnv(withProbes ? 'probes' : 'noprobes');
  const target = new ProbeTarget();
  try {
    const port = await target.start();
    const berth = await env.startBerth(['--serve-api=false']);
    await startPods(env, berth, withProbes ? port : undefined, 'p');
    target.hits = 0;
    const m = await measure(berth);
    return { ...m, hits: target.hits };
  } finally {
    await env.cleanup();
    await target.stop();
  }
}

const cpu: Benchmark = {
  id: 'probes-cpu',
  title: `${PODS} pods with liveness+readiness httpGet every ${PERIOD_S} s vs the same without probes`,
  async run() {
    const without = await cpuRun(false);
    const withProbes = await cpuRun(true);
    const extra = withProbes.cpuPct - without.cpuPct;
    return {
      checks: [
        check(`probes: berth CPU above no probes, ${PODS} pods x 2 probes/s`, extra, '%', 3),
        check(`  probes: berth CPU with probes (${CPU_WINDOW_MS / 1000} s window)`, withProbes.cpuPct, '%'),
        check('  probes: berth CPU without probes', without.cpuPct, '%'),
        check(`probes: berth RSS with ${PODS} probed pods`, withProbes.rssMb, 'MB', 100),
        check('  probes: berth RSS without probes', without.rssMb, 'MB'),
      ],
      breakdown: [],
      raw: { without, withProbes, probesPerSecond: round(withProbes.hits / (CPU_WINDOW_MS / 1000), 1) },
    };
  },
};

const reaction: Benchmark = {
  id: 'probes-react',
  title: 'readiness starts failing -> mirror not Ready; liveness starts failing -> container restarted',
  async run() {
    const env = createEnv('probes-react');
    const target = new ProbeTarget();
    let client: KubeClient | undefined;
    try {
      const port = await target.start();
      const berth = await env.startBerth(['--api-port=0']);
      const running = berth.logs.find((l) => l.line.msg === 'berth is running')!.line;
      client = new KubeClient(readKubeconfig(String(running.kubeconfig)));
      const n = FLIPS;
      const names = Array.from({ length: n }, (_, i) => `r-${i}`);
      for (const name of names) env.writeManifest(name, probedPod(name, env.markers.dir, port));
      await env.markers.waitMany((m) => /^r-\d+\.\d+$/.test(m), n, 'pods started', 60_000);
      const path = '/api/v1/namespaces/default/pods';
      const isReady = (p: Pod, want: boolean) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === (want ? 'True' : 'False')) ?? false;
      const deadline = performance.now() + 60_000;
      for (;;) {
        const list = await client.json<PodList>('GET', path);
        if ((list.items ?? []).filter((p) => isReady(p, true)).length >= n) break;
        if (performance.now() > deadline) throw new Error('mirror pods not all Ready after 60 s');
        await sleep(200);
      }
      const list = await client.json<PodList>('GET', path);
      const watch = await client.watch(`${path}?watch=true&resourceVersion=${list.metadata?.resourceVersion ?? ''}`);
      const readiness: number[] = [];
      const readinessFromAnswer: number[] = [];
      for (const name of names) {
        const full = `${name}-bench`;
        const t0 = performance.now();
        target.failing.add(`/ready/${name}`);
        const e = await watch.waitNext((ev) => ev.object.metadata?.name === full && isReady(ev.object as Pod, false), `${full} not Ready`, 30_000);
        readiness.push(e.at - t0);
        readinessFromAnswer.push(e.at - (target.firstFailure.get(`/ready/${name}`) ?? Number.NaN));
      }
      watch.close();
      const liveness: number[] = [];
      for (const name of names) {
        const before = new Set([...env.markers.seen.keys()].filter(markerOf(name)));
        const t0 = performance.now();
        target.failing.add(`/healthz/${name}`);
        const again = await env.markers.waitOne((m) => markerOf(name)(m) && !before.has(m), `${name} restarted`, 30_000);
        liveness.push(again.at - t0);
        target.failing.delete(`/healthz/${name}`);
      }
      const r = summarize(readiness);
      const l = summarize(liveness);
      return {
        checks: [
          check(`probes: readiness fails -> mirror not Ready, median of ${n}`, r.median, 'ms', PERIOD_S * 1000 + 100),
          check('  probes: readiness: first 500 answer -> mirror not Ready, median', median(readinessFromAnswer), 'ms'),
          check(`probes: liveness fails -> restarted, median of ${n}`, l.median, 'ms', LIVENESS_FAILURES * PERIOD_S * 1000 + 100),
          check('  probes: liveness p90', l.p90, 'ms'),
        ],
        breakdown: [],
        raw: { readinessMs: readiness.map((v) => round(v)), readinessFromAnswerMs: readinessFromAnswer.map((v) => round(v)), livenessMs: liveness.map((v) => round(v)) },
      };
    } finally {
      client?.close();
      await env.cleanup();
      await target.stop();
    }
  },
};

export const probeBenchmarks: Benchmark[] = [cpu, reaction];
