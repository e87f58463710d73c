// Many pods at once (issue 10, "bounded"): 2000 manifests dropped together, and 2000 two-container
// pods removed together, with the process runtime. Observed from outside: markers for running
// containers, /proc for processes gone and the agent's memory, the embedded API for answers.
// `--scale-pods=N` runs them with N pods instead (a quick look on a small machine).
import { join } from 'node:path';
import type { Benchmark, Check, Outcome, Unit } from './core.js';
import { createEnv, markerPid, toMono, type Berth, type BenchEnv } from './lib/berth.js';
import { KubeClient, readKubeconfig } from './lib/kube.js';
import { processAlive, sleep, statusKb } from './lib/proc.js';
import { percentile, round } from './lib/stats.js';

const PODS = Number(process.argv.find((a) => a.startsWith('--scale-pods='))?.slice('--scale-pods='.length) ?? 2000);

const check = (label: string, value: number, unit: Unit, target?: number): Check =>
  target === undefined ? { label, value: round(value), unit } : { label, value: round(value), unit, target, ok: value <= target };

const guard = <T>(berth: Berth, p: Promise<T>): Promise<T> => Promise.race([p, berth.exited]);

/** A pod whose containers each mark their start by creating MARKERS/NAME.<container>.<pid>, then sleep. */
function markedPod(name: string, markerDir: string, containers: string[]): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      terminationGracePeriodSeconds: 5,
      containers: containers.map((c) => ({ name: c, image: 'x', command: ['sh', '-c', `touch '${markerDir}/${name}.${c}'.$$$$; exec sleep 3600`] })),
    },
  });
}

/** Samples the agent's RSS every 100 ms until stopped; the peak in MB. */
function sampleRss(pid: number): { stop(): number } {
  let peakKb = statusKb(pid, 'VmRSS');
  const timer = setInterval(() => {
    try {
      peakKb = Math.max(peakKb, statusKb(pid, 'VmRSS'));
    } catch {
      /* the agent died: the benchmark fails on its own */
    }
  }, 100);
  return {
    stop() {
      clearInterval(timer);
      return peakKb / 1024;
    },
  };
}

/** Keeps `parallel` clients asking the embedded API (list pods, get node) until stopped; latencies and failures. */
function apiLoad(client: KubeClient, parallel: number): { stop(): Promise<{ ms: number[]; failures: string[] }> } {
  const ms: number[] = [];
  const failures: string[] = [];
  let running = true;
  const paths = ['/api/v1/namespaces/default/pods?limit=50', `/api/v1/nodes/bench`, '/api/v1/namespaces/default/events?limit=50'];
  const loops = Array.from({ length: parallel }, async (_, i) => {
    for (let n = i; running; n++) {
      const path = paths[n % paths.length]!;
      try {
        const res = await client.request('GET', path);
        ms.push(res.doneAt - res.sentAt);
        if (res.status !== 200) failures.push(`GET ${path}: HTTP ${res.status}`);
      } catch (err) {
        failures.push(`GET ${path}: ${(err as Error).message}`);
      }
      await sleep(10);
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return { ms, failures };
    },
  };
}

async function withScaleEnv<T>(label: string, args: string[], body: (env: BenchEnv, berth: Berth) => Promise<T>): Promise<T> {
  const env = createEnv(label);
  try {
    const berth = await env.startBerth(args);
    return await body(env, berth);
  } finally {
    await env.cleanup();
  }
}

/** performance.now() - t0 of the last agent log line `msg` about a pod whose name starts with `prefix`. */
function lastLogMs(berth: Berth, msg: string, prefix: string, t0: number): number {
  const times = berth.logs
    .filter((l) => l.line.msg === msg && String(l.line.pod).startsWith(prefix) && typeof l.line.time === 'string')
    .map((l) => toMono(Date.parse(String(l.line.time))) - t0);
  return times.length ? Math.max(...times) : Number.NaN;
}

/** Waits with `p`; when it fails, says what the agent warned about meanwhile (counts by message). */
async function explained<T>(berth: Berth, p: Promise<T>): Promise<T> {
  try {
    return await guard(berth, p);
  } catch (err) {
    const counts = new Map<string, number>();
    for (const l of berth.logs) {
      if (l.line.level !== 'warn' && l.line.level !== 'error') continue;
      const key = `${String(l.line.msg)}${l.line.message ? `: ${String(l.line.message).slice(0, 160)}` : ''}${l.line.error ? `: ${String(l.line.error).slice(0, 160)}` : ''}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const top = [...counts].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, n]) => `  ${n} x ${k}`);
    throw new Error(`${(err as Error).message}\nthe agent's warnings and errors meanwhile:\n${top.join('\n') || '  none'}`);
  }
}

const queueFullLines = (berth: Berth) => berth.logs.filter((l) => /queue full|dropping/.test(String(l.line.msg))).length;

const scale: Benchmark = {
  id: `scale${PODS}`,
  title: `${PODS} manifests at once -> all running, embedded API answering`,
  run: () =>
    withScaleEnv('scale', ['--api-port=0'], async (env, berth): Promise<Outcome> => {
      const client = new KubeClient(readKubeconfig(join(env.root, 'kubeconfig')));
      try {
        const names = Array.from({ length: PODS }, (_, i) => `scale-${i}`);
        const commits = names.map((name) => env.stageManifest(name, markedPod(name, env.markers.dir, ['c'])));
        const load = apiLoad(client, 4);
        await sleep(500); // the API's idle latency first
        const rss = sampleRss(berth.pid);
        const t0 = performance.now();
        for (const commit of commits) commit();
        const hits = await explained(berth, env.markers.waitMany((m) => /^scale-\d+\.c\.\d+$/.test(m), PODS, `${PODS} containers to start`, 120_000));
        const allMs = Math.max(...hits.map((h) => h.at - t0));
        await sleep(3_000); // status, mirror pods and events follow the containers: keep asking meanwhile
        const api = await load.stop();
        const peakMb = rss.stop();
        return {
          checks: [
            check(`scale ${PODS}: all running`, allMs / 1000, 's', 8),
            check(`  scale ${PODS}: API p99 meanwhile`, percentile(api.ms, 99), 'ms', 200),
            check(`  scale ${PODS}: API requests failed (of ${api.ms.length + api.failures.length})`, api.failures.length, 'count', 0),
            check(`  scale ${PODS}: "queue full ... dropping" log lines`, queueFullLines(berth), 'count', 0),
            check(`  scale ${PODS}: agent peak RSS`, peakMb, 'MB'),
          ],
          breakdown: [
            { label: `scale ${PODS}: first rename -> last "adding static pod" log`, medianMs: round(lastLogMs(berth, 'adding static pod', 'scale-', t0)) },
            { label: `scale ${PODS}: first rename -> last "container started" log`, medianMs: round(lastLogMs(berth, 'container started', 'scale-', t0)) },
            { label: `scale ${PODS}: first rename -> last marker seen`, medianMs: round(allMs) },
          ],
          raw: { pods: PODS, allMs, apiMs: api.ms, apiFailures: api.failures.slice(0, 20), peakMb },
        };
      } finally {
        client.close();
      }
    }),
};

const removal: Benchmark = {
  id: `remove${PODS}`,
  title: `${PODS} two-container pods removed at once -> all gone`,
  run: () =>
    withScaleEnv('remove-many', ['--serve-api=false'], async (env, berth): Promise<Outcome> => {
      const names = Array.from({ length: PODS }, (_, i) => `rm-${i}`);
      for (const name of names) env.writeManifest(name, markedPod(name, env.markers.dir, ['a', 'b']));
      const hits = await explained(
        berth,
        env.markers.waitMany((m) => /^rm-\d+\.[ab]\.\d+$/.test(m), 2 * PODS, `${2 * PODS} containers to start`, 300_000),
      );
      const pids = hits.map((h) => markerPid(h.name));
      await sleep(2_000);
      const rssBeforeMb = statusKb(berth.pid, 'VmRSS') / 1024;
      const rss = sampleRss(berth.pid);
      const t0 = performance.now();
      for (const name of names) env.removeManifest(name);
      // All container processes gone (polled), then the agent says every pod stopped.
      const deadline = t0 + 120_000;
      let alive = pids;
      while (alive.length > 0 && performance.now() < deadline) {
        await guard(berth, sleep(50));
        alive = alive.filter((pid) => processAlive(pid));
      }
      const goneMs = performance.now() - t0;
      const stopped = () => berth.logs.filter((l) => l.line.msg === 'pod stopped' && String(l.line.pod).startsWith('rm-')).length;
      while (stopped() < PODS && performance.now() < deadline) await guard(berth, sleep(100));
      const allStoppedMs = performance.now() - t0;
      const peakMb = rss.stop();
      return {
        checks: [
          check(`remove ${PODS}: all containers gone`, goneMs / 1000, 's', 20),
          check(`  remove ${PODS}: every pod reported stopped`, allStoppedMs / 1000, 's', 20),
          check(`  remove ${PODS}: agent peak RSS while removing`, peakMb, 'MB', 300),
          check(`  remove ${PODS}: containers of removed pods still running`, alive.length, 'count', 0),
          check(`  remove ${PODS}: agent RSS before removing`, rssBeforeMb, 'MB'),
        ],
        breakdown: [
          { label: `remove ${PODS}: first unlink -> last "removing static pod" log`, medianMs: round(lastLogMs(berth, 'removing static pod', 'rm-', t0)) },
          { label: `remove ${PODS}: first unlink -> last "pod stopped" log`, medianMs: round(lastLogMs(berth, 'pod stopped', 'rm-', t0)) },
        ],
        raw: { pods: PODS, goneMs, allStoppedMs, peakMb, rssBeforeMb, stillRunning: alive.length, stoppedLogged: stopped() },
      };
    }),
};

export const scaleBenchmarks: Benchmark[] = [scale, removal];
