// The agent benchmarks. Every number is observed from outside the agent: a container proves it
// runs by creating a marker file (seen through fs.watch), a stopped container is seen gone in
// /proc, memory and CPU come from /proc/<berth pid>. The agent's own log lines are only used to
// split a latency into "where the time goes".
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEnv, markerOf, markerPid, markerPod, toMono, type Berth, type BenchEnv, type LogLine } from './lib/berth.js';
import { clockTicksPerSecond, cpuTicks, sleep, statusKb, waitGone } from './lib/proc.js';
import { median, round, summarize } from './lib/stats.js';

export type Unit = 'ms' | 's' | 'MB' | '%' | 'count';

/** One table row: a measured value, with a target unless it is context (e.g. the spawn floor). */
export interface Check {
  label: string;
  value: number;
  unit: Unit;
  /** The value must be <= target. */
  target?: number;
  ok?: boolean;
}

/** A median split of a latency, from the agent's log lines (their times have ms resolution). */
export interface Breakdown {
  label: string;
  medianMs: number;
}

export interface Outcome {
  checks: Check[];
  breakdown: Breakdown[];
  raw: Record<string, unknown>;
}

export interface Benchmark {
  id: string;
  title: string;
  run(): Promise<Outcome>;
}

const ITERATIONS = 30;
const WARMUP = 3;
/** Pause between iterations so each one starts with an idle agent. */
const PAUSE_MS = 50;
/** After a container started, let the agent finish its follow-up work (status, records) before disturbing it. */
const SETTLE_MS = 150;
const WAIT_MS = 15_000;

const check = (label: string, value: number, unit: Unit, target?: number): Check =>
  target === undefined ? { label, value: round(value), unit } : { label, value: round(value), unit, target, ok: value <= target };

/** Fails a wait as soon as the agent dies instead of at its timeout. */
const guard = <T>(berth: Berth, p: Promise<T>): Promise<T> => Promise.race([p, berth.exited]);

const logTime = (l: LogLine | undefined): number | undefined => {
  const t = l && typeof l.line.time === 'string' ? Date.parse(l.line.time) : Number.NaN;
  return Number.isFinite(t) ? toMono(t) : undefined;
};

/** Median of b - a over records where both are known. */
function medianGap<R>(records: R[], a: (r: R) => number | undefined, b: (r: R) => number | undefined): number {
  const gaps = records.flatMap((r) => {
    const x = a(r);
    const y = b(r);
    return x === undefined || y === undefined ? [] : [y - x];
  });
  return round(median(gaps));
}

const firstLog = (berth: Berth, pod: string, msg: string) => berth.podLogs(pod).find((l) => l.line.msg === msg);

async function withEnv<T>(label: string, body: (env: BenchEnv, berth: Berth) => Promise<T>): Promise<T> {
  const env = createEnv(label);
  try {
    const berth = await env.startBerth();
    return await body(env, berth);
  } finally {
    await env.cleanup();
  }
}

/** Writes NAME's manifest and waits for its container's marker; returns the container pid and timings. */
async function startPod(env: BenchEnv, berth: Berth, name: string): Promise<{ t0: number; at: number; pid: number; marker: string }> {
  const t0 = env.writeManifest(name, markerPod(name, env.markers.dir));
  const hit = await guard(berth, env.markers.waitOne(markerOf(name), `container of pod ${name} to start`, WAIT_MS));
  return { t0, at: hit.at, pid: markerPid(hit.name), marker: hit.name };
}

// ---- 1. manifest written -> container running ---------------------------------------------------

async function floors(env: BenchEnv): Promise<{ trueMs: number[]; touchMs: number[] }> {
  const trueMs: number[] = [];
  const touchMs: number[] = [];
  for (let i = 0; i < WARMUP + ITERATIONS; i++) {
    const t = performance.now();
    await new Promise<void>((res, rej) => spawn('/bin/true', { stdio: 'ignore' }).once('exit', () => res()).once('error', rej));
    if (i >= WARMUP) trueMs.push(performance.now() - t);
  }
  for (let i = 0; i < WARMUP + ITERATIONS; i++) {
    const name = `floor-${i}`;
    const t = performance.now();
    spawn('sh', ['-c', `touch '${env.markers.dir}/${name}'`], { stdio: 'ignore' });
    const hit = await env.markers.waitOne((n) => n === name, `sh -c touch ${name}`, WAIT_MS);
    if (i >= WARMUP) touchMs.push(hit.at - t);
  }
  return { trueMs, touchMs };
}

const startLatency: Benchmark = {
  id: 'start',
  title: 'manifest written -> container running',
  run: () =>
    withEnv('start', async (env, berth) => {
      const floor = await floors(env);
      const runs: Array<{ name: string; t0: number; at: number; pid: number; warmup: boolean }> = [];
      for (let i = 0; i < WARMUP + ITERATIONS; i++) {
        const name = `start-${i}`;
        const r = await startPod(env, berth, name);
        runs.push({ name, t0: r.t0, at: r.at, pid: r.pid, warmup: i < WARMUP });
        await sleep(PAUSE_MS);
      }
      await sleep(200); // the last log lines
      const measured = runs.filter((r) => !r.warmup);
      const ms = measured.map((r) => r.at - r.t0);
      const s = summarize(ms);
      const adding = (r: (typeof runs)[0]) => logTime(firstLog(berth, r.name, 'adding static pod'));
      const started = (r: (typeof runs)[0]) => logTime(firstLog(berth, r.name, 'container started'));
      return {
        checks: [
          check('start: manifest -> running, median', s.median, 'ms', 30),
          check('start: manifest -> running, p99', s.p99, 'ms', 100),
          check('  floor: spawn /bin/true -> exit, median', median(floor.trueMs), 'ms'),
          check('  floor: spawn sh -c touch -> marker seen, median', median(floor.touchMs), 'ms'),
        ],
        breakdown: [
          { label: 'start: rename -> "adding static pod" log', medianMs: medianGap(measured, (r) => r.t0, adding) },
          { label: 'start: "adding static pod" -> "container started" log', medianMs: medianGap(measured, adding, started) },
          { label: 'start: "container started" log -> marker seen', medianMs: medianGap(measured, started, (r) => r.at) },
        ],
        raw: {
          summaryMs: s,
          samplesMs: ms.map((v) => round(v, 3)),
          warmupMs: runs.filter((r) => r.warmup).map((r) => round(r.at - r.t0, 3)),
          floorTrueMs: floor.trueMs.map((v) => round(v, 3)),
          floorTouchMs: floor.touchMs.map((v) => round(v, 3)),
          floorTrueSummary: summarize(floor.trueMs),
          floorTouchSummary: summarize(floor.touchMs),
          perIteration: measured.map((r) => ({
            name: r.name,
            ms: round(r.at - r.t0, 3),
            addingLogMs: round((adding(r) ?? Number.NaN) - r.t0),
            startedLogMs: round((started(r) ?? Number.NaN) - r.t0),
          })),
        },
      };
    }),
};

// ---- 2. kill -9 -> restarted --------------------------------------------------------------------

const restartLatency: Benchmark = {
  id: 'restart',
  title: 'kill -9 of the container -> running again (first restart)',
  run: () =>
    withEnv('restart', async (env, berth) => {
      const runs: Array<{ name: string; tKill: number; at: number; pid1: number; pid2: number; warmup: boolean }> = [];
      for (let i = 0; i < WARMUP + ITERATIONS; i++) {
        // A fresh pod each time: only the first restart is immediate (then back-off applies).
        const name = `restart-${i}`;
        const first = await startPod(env, berth, name);
        await sleep(SETTLE_MS);
        const tKill = performance.now();
        process.kill(first.pid, 'SIGKILL');
        const again = await guard(berth, env.markers.waitOne((n) => markerOf(name)(n) && n !== first.marker, `pod ${name} restarted`, WAIT_MS));
        runs.push({ name, tKill, at: again.at, pid1: first.pid, pid2: markerPid(again.name), warmup: i < WARMUP });
        env.removeManifest(name);
        await guard(berth, waitGone(markerPid(again.name), WAIT_MS));
        await sleep(PAUSE_MS);
      }
      await sleep(200);
      const measured = runs.filter((r) => !r.warmup);
      const ms = measured.map((r) => r.at - r.tKill);
      const s = summarize(ms);
      const exited = (r: (typeof runs)[0]) => logTime(firstLog(berth, r.name, 'container exited'));
      const restarted = (r: (typeof runs)[0]) => logTime(firstLog(berth, r.name, 'container restarted'));
      return {
        checks: [check('restart: kill -9 -> running again, median', s.median, 'ms', 30), check('  restart: p99', s.p99, 'ms')],
        breakdown: [
          { label: 'restart: kill -> "container exited" log', medianMs: medianGap(measured, (r) => r.tKill, exited) },
          { label: 'restart: "container exited" -> "container restarted" log', medianMs: medianGap(measured, exited, restarted) },
          { label: 'restart: "container restarted" log -> marker seen', medianMs: medianGap(measured, restarted, (r) => r.at) },
        ],
        raw: {
          summaryMs: s,
          samplesMs: ms.map((v) => round(v, 3)),
          warmupMs: runs.filter((r) => r.warmup).map((r) => round(r.at - r.tKill, 3)),
          perIteration: measured.map((r) => ({
            name: r.name,
            ms: round(r.at - r.tKill, 3),
            pid1: r.pid1,
            pid2: r.pid2,
            exitedLogMs: round((exited(r) ?? Number.NaN) - r.tKill),
            restartedLogMs: round((restarted(r) ?? Number.NaN) - r.tKill),
          })),
        },
      };
    }),
};

// ---- 3. burst of manifests ----------------------------------------------------------------------

interface BurstRun {
  allMs: number;
  halfMs: number;
  firstMs: number;
  renameMs: number;
  firstAddingLogMs: number;
  lastAddingLogMs: number;
  firstStartedLogMs: number;
  lastStartedLogMs: number;
  podsRunningAfter: number;
  /** First rename -> GET /pods lists every pod Running (polled after the last marker, every 100 ms). */
  apiAllRunningMs: number;
}

/** Writes n manifests at once (all staged first, then renamed in a tight loop) and waits for all containers. */
async function burst(env: BenchEnv, berth: Berth, n: number, prefix: string): Promise<BurstRun & { t0: number }> {
  const names = Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
  const commits = names.map((name) => env.stageManifest(name, markerPod(name, env.markers.dir)));
  const t0 = performance.now();
  for (const commit of commits) commit();
  const renameMs = performance.now() - t0;
  const re = new RegExp(`^${prefix}-\\d+\\.\\d+$`);
  const hits = await guard(berth, env.markers.waitMany((m) => re.test(m), n, `${n} containers to start`, 60_000 + n * 100));
  const times = hits.map((h) => h.at - t0).sort((a, b) => a - b);
  // The API reports what the agent's status loop saw, a little after the processes run: not
  // timed, but it must catch up (checked once after the containers started, then every 100 ms).
  let running = 0;
  const statusDeadline = performance.now() + 30_000;
  for (;;) {
    const list = await guard(berth, berth.pods());
    running = (list.items ?? []).filter((p) => p.status?.phase === 'Running' && p.metadata?.name?.startsWith(`${prefix}-`)).length;
    if (running >= n || performance.now() > statusDeadline) break;
    await sleep(100);
  }
  const statusMs = performance.now() - t0;
  await sleep(200);
  const logTimes = (msg: string) =>
    berth.logs.filter((l) => l.line.msg === msg && String(l.line.pod).startsWith(`${prefix}-`)).map((l) => (logTime(l) ?? Number.NaN) - t0);
  const lastLog = (msg: string) => Math.max(...logTimes(msg));
  const firstLog = (msg: string) => Math.min(...logTimes(msg));
  return {
    t0,
    allMs: round(times[times.length - 1]!),
    halfMs: round(times[Math.ceil(times.length / 2) - 1]!),
    firstMs: round(times[0]!),
    renameMs: round(renameMs),
    firstAddingLogMs: round(firstLog('adding static pod')),
    lastAddingLogMs: round(lastLog('adding static pod')),
    firstStartedLogMs: round(firstLog('container started')),
    lastStartedLogMs: round(lastLog('container started')),
    podsRunningAfter: running,
    apiAllRunningMs: round(statusMs),
  };
}

function burstBenchmark(n: number, repeats: number, targetMs: number): Benchmark {
  return {
    id: `burst${n}`,
    title: `${n} manifests written at once -> all running`,
    async run() {
      const runs: BurstRun[] = [];
      for (let r = 0; r < repeats; r++) {
        runs.push(await withEnv(`burst${n}`, async (env, berth) => {
          const { t0: _t0, ...run } = await burst(env, berth, n, 'burst');
          if (run.podsRunningAfter !== n) throw new Error(`GET /pods still lists ${run.podsRunningAfter} Running pods 30 s after the burst, expected ${n}`);
          return run;
        }));
      }
      const worst = Math.max(...runs.map((r) => r.allMs));
      return {
        checks: [
          check(`burst ${n}: all running, worst of ${repeats}`, worst / 1000, 's', targetMs / 1000),
          check(`  burst ${n}: half running, median of ${repeats}`, median(runs.map((r) => r.halfMs)) / 1000, 's'),
        ],
        breakdown: [
          { label: `burst ${n}: first rename -> last "adding static pod" log`, medianMs: round(median(runs.map((r) => r.lastAddingLogMs))) },
          { label: `burst ${n}: first rename -> last "container started" log`, medianMs: round(median(runs.map((r) => r.lastStartedLogMs))) },
          { label: `burst ${n}: first rename -> last marker seen`, medianMs: round(median(runs.map((r) => r.allMs))) },
          { label: `burst ${n}: first rename -> GET /pods shows all Running`, medianMs: round(median(runs.map((r) => r.apiAllRunningMs))) },
        ],
        raw: { runs },
      };
    },
  };
}

// ---- 4. memory and idle CPU with 100 pods -------------------------------------------------------

const IDLE_WINDOW_MS = 30_000;

function shimRssKb(rootDir: string): { shims: number; totalKb: number } {
  const dir = join(rootDir, 'containers');
  let shims = 0;
  let totalKb = 0;
  for (const id of readdirSync(dir)) {
    try {
      const rec = JSON.parse(readFileSync(join(dir, id, 'pid'), 'utf8')) as { shimPid: number };
      totalKb += statusKb(rec.shimPid, 'VmRSS');
      shims++;
    } catch {
      /* exited container or no pid file */
    }
  }
  return { shims, totalKb };
}

const resources: Benchmark = {
  id: 'resources',
  title: 'berth RSS and idle CPU with 100 pods',
  run: () =>
    withEnv('resources', async (env, berth) => {
      await sleep(1000);
      const rssEmptyKb = statusKb(berth.pid, 'VmRSS');
      const b = await burst(env, berth, 100, 'res');
      if (b.podsRunningAfter !== 100) throw new Error(`GET /pods still lists ${b.podsRunningAfter} Running pods 30 s after the burst, expected 100`);
      await sleep(3000); // let start-up garbage be collected / status settle before measuring idle
      const rssBeforeKb = statusKb(berth.pid, 'VmRSS');
      const hz = clockTicksPerSecond();
      const ticks0 = cpuTicks(berth.pid);
      const t0 = performance.now();
      // Nothing touches the agent in this window (no HTTP requests): its own timers only.
      await guard(berth, sleep(IDLE_WINDOW_MS));
      const ticks1 = cpuTicks(berth.pid);
      const t1 = performance.now();
      const rssAfterKb = statusKb(berth.pid, 'VmRSS');
      const hwmKb = statusKb(berth.pid, 'VmHWM');
      const cpuSeconds = (ticks1 - ticks0) / hz;
      const cpuPct = (cpuSeconds / ((t1 - t0) / 1000)) * 100;
      const rssMb = Math.max(rssBeforeKb, rssAfterKb) / 1024;
      const shims = shimRssKb(env.root);
      return {
        checks: [
          check('resources: berth RSS with 100 pods', rssMb, 'MB', 90),
          check('  resources: berth RSS with 0 pods', rssEmptyKb / 1024, 'MB'),
          check('  resources: berth peak RSS (VmHWM)', hwmKb / 1024, 'MB'),
          check(`resources: berth idle CPU, 100 pods, ${IDLE_WINDOW_MS / 1000} s`, cpuPct, '%', 1),
        ],
        breakdown: [],
        raw: {
          rssEmptyKb,
          rssBeforeKb,
          rssAfterKb,
          hwmKb,
          clockTicksPerSecond: hz,
          cpuTicks: ticks1 - ticks0,
          windowMs: round(t1 - t0),
          cpuSeconds,
          cpuPct: round(cpuPct, 3),
          shimCount: shims.shims,
          shimRssTotalKb: shims.totalKb,
          burst: b,
        },
      };
    }),
};

// ---- 5. manifest removed -> process gone --------------------------------------------------------

const removeLatency: Benchmark = {
  id: 'remove',
  title: 'manifest removed -> container process gone',
  run: () =>
    withEnv('remove', async (env, berth) => {
      const runs: Array<{ name: string; t0: number; gone: number; pid: number; warmup: boolean }> = [];
      for (let i = 0; i < WARMUP + ITERATIONS; i++) {
        const name = `remove-${i}`;
        const started = await startPod(env, berth, name);
        await sleep(SETTLE_MS);
        const t0 = env.removeManifest(name);
        const gone = await guard(berth, waitGone(started.pid, WAIT_MS));
        runs.push({ name, t0, gone, pid: started.pid, warmup: i < WARMUP });
        await sleep(PAUSE_MS);
      }
      await sleep(200);
      const measured = runs.filter((r) => !r.warmup);
      const ms = measured.map((r) => r.gone - r.t0);
      const s = summarize(ms);
      const removing = (r: (typeof runs)[0]) => logTime(firstLog(berth, r.name, 'removing static pod'));
      const stopped = (r: (typeof runs)[0]) => logTime(firstLog(berth, r.name, 'pod stopped'));
      return {
        checks: [check('remove: manifest deleted -> process gone, median', s.median, 'ms', 50), check('  remove: p99', s.p99, 'ms')],
        breakdown: [
          { label: 'remove: unlink -> "removing static pod" log', medianMs: medianGap(measured, (r) => r.t0, removing) },
          { label: 'remove: "removing static pod" log -> process gone', medianMs: medianGap(measured, removing, (r) => r.gone) },
          { label: 'remove: process gone -> "pod stopped" log', medianMs: medianGap(measured, (r) => r.gone, stopped) },
        ],
        raw: {
          summaryMs: s,
          samplesMs: ms.map((v) => round(v, 3)),
          warmupMs: runs.filter((r) => r.warmup).map((r) => round(r.gone - r.t0, 3)),
          perIteration: measured.map((r) => ({
            name: r.name,
            ms: round(r.gone - r.t0, 3),
            pid: r.pid,
            removingLogMs: round((removing(r) ?? Number.NaN) - r.t0),
            stoppedLogMs: round((stopped(r) ?? Number.NaN) - r.t0),
          })),
        },
      };
    }),
};

export const benchmarks: Benchmark[] = [
  startLatency,
  restartLatency,
  burstBenchmark(100, 3, 1500),
  burstBenchmark(500, 2, 8000),
  resources,
  removeLatency,
];
