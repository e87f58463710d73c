// Issue 4's benchmarks: berth running real containers through containerd's CRI, against the floor
// (the same three CRI calls made directly) and against the peers a user would reach for (podman
// kube play, docker run). Every contender starts the same busybox httpd on the host network and
// counts as up when an HTTP GET to its port gets an answer, observed from this process. The
// contenders take turns within each iteration (the order rotates), so machine noise hits them
// alike. Engines that are not running are reported as not run, with the script that starts them.
import { existsSync, mkdirSync, mkdtempSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Benchmark, Check, Outcome, Unit } from './core.js';
import { BERTH, createEnv, NODE_NAME, ROOT, toMono, type Berth, type BenchEnv, type LogLine } from './lib/berth.js';
import { BENCH_LABEL, BENCH_LABEL_VALUE, RawCri } from './lib/cri-raw.js';
import { freePorts, waitAnswering, waitClosed } from './lib/http-probe.js';
import { HTTPD_IMAGE, httpdPodYaml, SANDBOX_IMAGE } from './lib/httpd-pod.js';
import {
  dockerRemove,
  dockerRemoveLeftovers,
  dockerRunHttpd,
  dockerUnavailable,
  podmanKubePlay,
  podmanRemoveLeftovers,
  podmanRemovePods,
  podmanUnavailable,
} from './lib/peers.js';
import { sleep, statusKb } from './lib/proc.js';
import { median, round, summarize, type Summary } from './lib/stats.js';
import { discardLater } from './lib/scratch.js';

/** containerd's CRI socket; BERTH_BENCH_CRI_ENDPOINT points the benchmarks elsewhere. */
export const CRI_ENDPOINT = process.env.BERTH_BENCH_CRI_ENDPOINT || 'unix:///run/containerd/containerd.sock';
/** Every pod, container and sandbox these benchmarks create is named with this prefix. */
const PREFIX = 'bct-';
const START_ITERATIONS = 12;
const BURST_ITERATIONS = 8;
const BURST_PODS = 10;
/** Unmeasured first rounds: podman builds its infra image, channels and caches warm up. */
const WARMUP = 1;
/** Quiet time after a teardown, so the next contender does not share the CPU with its tail. */
const PAUSE_MS = 300;
/** After all pods answer, let berth finish its follow-up work (status, mirror) before reading its RSS. */
const RSS_SETTLE_MS = 1_000;
const START_TIMEOUT_MS = 30_000;
const TEARDOWN_TIMEOUT_MS = 30_000;

const BERTH_MANAGED = { 'berth.managed': 'true' };
const RAW_SELECTOR = { [BENCH_LABEL]: BENCH_LABEL_VALUE };

const check = (label: string, value: number, unit: Unit, target?: number): Check =>
  target === undefined || !Number.isFinite(value) ? { label, value: round(value), unit } : { label, value: round(value), unit, target, ok: value <= target };

const fixes = {
  containerd: 'start it with: bash scripts/containerd-up.sh',
  berth: 'build it with: npm run build',
};

// ---- engines present? ---------------------------------------------------------------------------

/** Why containerd (with both images) or berth cannot be used, or undefined when they can. */
async function criUnavailable(cri: RawCri): Promise<string | undefined> {
  const down = await cri.unavailable();
  if (down) return `containerd does not answer at ${CRI_ENDPOINT} (${down}); ${fixes.containerd}`;
  for (const image of [HTTPD_IMAGE, SANDBOX_IMAGE]) {
    const missing = await cri.missingImage(image);
    if (missing) return `containerd (namespace k8s.io): ${missing}; ${fixes.containerd}`;
  }
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) return `berth is not built (${BERTH} needs dist/); ${fixes.berth}`;
  return undefined;
}

// ---- berth on containerd ------------------------------------------------------------------------

const berthPodName = (name: string) => `${name}-${NODE_NAME}`;

interface BerthCri {
  env: BenchEnv;
  berth: Berth;
  yamlDir: string;
}

async function startBerthCri(label: string): Promise<BerthCri> {
  const env = createEnv(label);
  const yamlDir = join(env.dir, 'yaml');
  mkdirSync(yamlDir, { recursive: true });
  try {
    const berth = await env.startBerth(['--api-port=0', `--container-runtime-endpoint=${CRI_ENDPOINT}`]);
    return { env, berth, yamlDir };
  } catch (err) {
    await env.cleanup();
    throw err;
  }
}

/** Stages NAME.yaml outside the manifest folder; the returned function renames it in and returns performance.now() just before. */
function stageYaml(b: BerthCri, name: string, port: number): () => number {
  const tmp = join(b.yamlDir, `${name}.yaml`);
  writeFileSync(tmp, httpdPodYaml(name, port));
  return () => {
    const t = performance.now();
    renameSync(tmp, join(b.env.manifests, `${name}.yaml`));
    return t;
  };
}

/** Deletes the manifests and waits until berth has removed the pods' sandboxes and the ports are closed. */
async function berthTeardown(cri: RawCri, b: BerthCri, pods: Array<{ name: string; port: number }>): Promise<void> {
  for (const p of pods) {
    try {
      unlinkSync(join(b.env.manifests, `${p.name}.yaml`));
    } catch {
      /* never written */
    }
  }
  const names = new Set(pods.map((p) => berthPodName(p.name)));
  const deadline = performance.now() + TEARDOWN_TIMEOUT_MS;
  for (;;) {
    const left = (await cri.listSandboxes(BERTH_MANAGED)).filter((s) => names.has(s.labels['io.kubernetes.pod.name'] ?? ''));
    if (left.length === 0) break;
    if (performance.now() > deadline) {
      await Promise.all(left.map((s) => cri.removeSandbox(s.id).catch(() => undefined)));
      throw new Error(`berth did not remove the sandboxes of ${left.map((s) => s.labels['io.kubernetes.pod.name']).join(', ')} within ${TEARDOWN_TIMEOUT_MS} ms of their manifests being deleted (removed them by hand)`);
    }
    await sleep(50);
  }
  await Promise.all(pods.map((p) => waitClosed(p.port, `berth pod ${p.name}`, TEARDOWN_TIMEOUT_MS)));
}

/** Stops berth after its pods are gone, then removes anything of ours still in containerd. */
async function stopBerthCri(cri: RawCri, b: BerthCri): Promise<void> {
  await b.env.cleanup();
  await removeCriLeftovers(cri);
}

async function removeCriLeftovers(cri: RawCri): Promise<number> {
  const berthPods = await cri.removeWhere(BERTH_MANAGED, (s) => (s.labels['io.kubernetes.pod.name'] ?? '').startsWith(PREFIX)).catch(() => 0);
  const raw = await cri.removeWhere(RAW_SELECTOR).catch(() => 0);
  return berthPods + raw;
}

const logTime = (l: LogLine | undefined): number | undefined => {
  const t = l && typeof l.line.time === 'string' ? Date.parse(l.line.time) : Number.NaN;
  return Number.isFinite(t) ? toMono(t) : undefined;
};
const firstLog = (berth: Berth, name: string, msg: string) => logTime(berth.podLogs(name).find((l) => l.line.msg === msg));

// ---- 1 + 2. one pod: berth vs raw CRI vs podman vs docker ---------------------------------------

type Contender = 'berth' | 'cri' | 'podman' | 'docker';

interface StartSample {
  iteration: number;
  contender: Contender;
  ms: number;
  /** Contender-specific split points, ms after t0. */
  split: Record<string, number>;
}

async function oneStart(
  contender: Contender,
  iteration: number,
  ctx: { cri: RawCri; b: BerthCri; work: string },
): Promise<StartSample> {
  const [port] = await freePorts(1);
  const name = `${PREFIX}${contender[0]}${iteration}`;
  const what = `${contender} pod ${name}`;
  switch (contender) {
    case 'berth': {
      const commit = stageYaml(ctx.b, name, port!);
      try {
        const t0 = commit();
        const at = await waitAnswering(port!, what, START_TIMEOUT_MS, 2, ctx.b.berth.exited);
        await sleep(200); // the "container started" log line may arrive after the port answers
        const adding = firstLog(ctx.b.berth, name, 'adding static pod');
        const started = firstLog(ctx.b.berth, name, 'container started');
        return {
          iteration,
          contender,
          ms: at - t0,
          split: { addingLog: (adding ?? Number.NaN) - t0, startedLog: (started ?? Number.NaN) - t0, answering: at - t0 },
        };
      } finally {
        await berthTeardown(ctx.cri, ctx.b, [{ name, port: port! }]);
      }
    }
    case 'cri': {
      let sandboxId: string | undefined;
      try {
        const r = await ctx.cri.startHttpd(name, HTTPD_IMAGE, port!, join(ctx.work, 'cri-logs'), (id) => (sandboxId = id));
        const at = await waitAnswering(port!, what, START_TIMEOUT_MS);
        return {
          iteration,
          contender,
          ms: at - r.t0,
          split: { runPodSandbox: r.runPodSandboxMs, createContainer: r.createContainerMs, startContainer: r.startContainerMs, answering: at - r.t0 },
        };
      } finally {
        if (sandboxId) await ctx.cri.removeSandbox(sandboxId);
        await waitClosed(port!, what, TEARDOWN_TIMEOUT_MS);
      }
    }
    case 'podman': {
      const file = join(ctx.work, `${name}.yaml`);
      writeFileSync(file, httpdPodYaml(name, port!));
      try {
        const t0 = performance.now();
        const cli = podmanKubePlay(file);
        const at = await waitAnswering(port!, what, START_TIMEOUT_MS, 2, failureOf(cli));
        await cli;
        return { iteration, contender, ms: at - t0, split: { answering: at - t0 } };
      } finally {
        await podmanRemovePods([name]);
        await waitClosed(port!, what, TEARDOWN_TIMEOUT_MS);
      }
    }
    case 'docker': {
      try {
        const t0 = performance.now();
        const cli = dockerRunHttpd(name, HTTPD_IMAGE, port!);
        const at = await waitAnswering(port!, what, START_TIMEOUT_MS, 2, failureOf(cli));
        await cli;
        return { iteration, contender, ms: at - t0, split: { answering: at - t0 } };
      } finally {
        await dockerRemove([name]);
        await waitClosed(port!, what, TEARDOWN_TIMEOUT_MS);
      }
    }
  }
}

/** Rejects when the CLI fails and never resolves: stops a port wait at once when the start command failed. */
const failureOf = (cli: Promise<void>): Promise<never> => cli.then(() => new Promise<never>(() => {}));

const LABELS: Record<Contender, string> = {
  berth: 'berth (containerd CRI): manifest written -> port answers',
  cri: 'raw CRI RunPodSandbox+CreateContainer+StartContainer -> port answers',
  podman: 'podman kube play -> port answers',
  docker: 'docker run -d --network host -> port answers',
};

function notRunOutcome(what: string, reason: string): Outcome {
  return { checks: [check(`${what}: NOT RUN: ${reason}`, Number.NaN, 'ms')], breakdown: [], raw: { notRun: reason } };
}

const startVsPeers: Benchmark = {
  id: 'cri-start',
  title: 'httpd pod (host network): berth on containerd vs raw CRI calls vs podman kube play vs docker run',
  async run() {
    const cri = new RawCri(CRI_ENDPOINT);
    const work = mkdtempSync(join(tmpdir(), 'berth-bench-cri-start-'));
    let b: BerthCri | undefined;
    try {
      const criDown = await criUnavailable(cri);
      if (criDown) return notRunOutcome('cri-start', criDown);
      const [podmanDown, dockerDown] = await Promise.all([podmanUnavailable(HTTPD_IMAGE), dockerUnavailable(HTTPD_IMAGE)]);
      const leftovers = (await removeCriLeftovers(cri)) + (podmanDown ? 0 : await podmanRemoveLeftovers(PREFIX)) + (dockerDown ? 0 : await dockerRemoveLeftovers());
      const contenders: Contender[] = ['berth', 'cri', ...(podmanDown ? [] : (['podman'] as const)), ...(dockerDown ? [] : (['docker'] as const))];
      const loadBefore = loadavg().map((v) => round(v));
      b = await startBerthCri('cri-start');
      const samples: StartSample[] = [];
      const errors: Array<{ iteration: number; contender: Contender; error: string }> = [];
      for (let i = 0; i < WARMUP + START_ITERATIONS; i++) {
        for (let k = 0; k < contenders.length; k++) {
          const contender = contenders[(k + i) % contenders.length]!;
          try {
            const s = await oneStart(contender, i, { cri, b, work });
            if (i >= WARMUP) samples.push(s);
          } catch (err) {
            if (b.berth.proc.exitCode !== null || b.berth.proc.signalCode !== null) throw err; // berth died: no point going on
            errors.push({ iteration: i, contender, error: (err as Error).message });
          }
          await sleep(PAUSE_MS);
        }
      }
      const of = (c: Contender) => samples.filter((s) => s.contender === c);
      const sum: Record<Contender, Summary> = {
        berth: summarize(of('berth').map((s) => s.ms)),
        cri: summarize(of('cri').map((s) => s.ms)),
        podman: summarize(of('podman').map((s) => s.ms)),
        docker: summarize(of('docker').map((s) => s.ms)),
      };
      const berthMed = sum.berth.median;
      const overheadPct = ((berthMed - sum.cri.median) / sum.cri.median) * 100;
      // Paired by iteration (berth and raw CRI ran seconds apart): less sensitive to load that
      // comes and goes over the run than the ratio of the two medians.
      const paired = of('berth').flatMap((bs) => {
        const cs = of('cri').find((c) => c.iteration === bs.iteration);
        return cs ? [((bs.ms - cs.ms) / cs.ms) * 100] : [];
      });
      const splitMedian = (c: Contender, key: string) => round(median(of(c).map((s) => s.split[key]!).filter(Number.isFinite)));
      const peerRows = (c: 'podman' | 'docker', down: string | undefined): Check[] =>
        down
          ? [check(`  cri-start: ${LABELS[c]}: NOT RUN: ${down}`, Number.NaN, 'ms')]
          : [
              check(`  cri-start: ${LABELS[c]}, median`, sum[c].median, 'ms'),
              check(`  cri-start: berth / ${c === 'podman' ? 'podman kube play' : 'docker run'} (ratio of medians)`, (berthMed / sum[c].median) * 100, '%'),
            ];
      return {
        checks: [
          check(`cri-start: ${LABELS.berth}, median`, berthMed, 'ms'),
          check(`  cri-start: ${LABELS.cri}, median`, sum.cri.median, 'ms'),
          check('cri-start: berth overhead over the raw CRI calls (medians)', overheadPct, '%', 15),
          check('  cri-start: berth overhead, median of per-iteration pairs', median(paired), '%'),
          check('  cri-start: berth p90', sum.berth.p90, 'ms'),
          check('  cri-start: raw CRI p90', sum.cri.p90, 'ms'),
          ...peerRows('podman', podmanDown),
          ...peerRows('docker', dockerDown),
        ],
        breakdown: [
          { label: 'cri-start berth: rename -> "adding static pod" log', medianMs: splitMedian('berth', 'addingLog') },
          { label: 'cri-start berth: rename -> "container started" log', medianMs: splitMedian('berth', 'startedLog') },
          { label: 'cri-start berth: rename -> port answers', medianMs: splitMedian('berth', 'answering') },
          { label: 'cri-start raw: RunPodSandbox', medianMs: splitMedian('cri', 'runPodSandbox') },
          { label: 'cri-start raw: CreateContainer', medianMs: splitMedian('cri', 'createContainer') },
          { label: 'cri-start raw: StartContainer', medianMs: splitMedian('cri', 'startContainer') },
          { label: 'cri-start raw: RunPodSandbox sent -> port answers', medianMs: splitMedian('cri', 'answering') },
        ],
        raw: {
          iterations: START_ITERATIONS,
          warmup: WARMUP,
          contenders,
          notRun: { ...(podmanDown ? { podman: podmanDown } : {}), ...(dockerDown ? { docker: dockerDown } : {}) },
          leftoversRemovedBefore: leftovers,
          summaryMs: Object.fromEntries(contenders.map((c) => [c, roundSummary(sum[c])])),
          overheadPct: round(overheadPct),
          pairedOverheadPct: paired.map((v) => round(v)),
          loadAverage: { before: loadBefore, after: loadavg().map((v) => round(v)) },
          ratiosPct: {
            ...(podmanDown ? {} : { berthOverPodman: round((berthMed / sum.podman.median) * 100) }),
            ...(dockerDown ? {} : { berthOverDocker: round((berthMed / sum.docker.median) * 100) }),
          },
          samples: samples.map((s) => ({ ...s, ms: round(s.ms), split: Object.fromEntries(Object.entries(s.split).map(([k, v]) => [k, round(v)])) })),
          errors,
        },
      };
    } finally {
      if (b) await stopBerthCri(cri, b).catch(() => undefined);
      await cleanupContainers(cri);
      cri.close();
      discardLater(work);
    }
  },
};

const roundSummary = (s: Summary): Summary => ({
  n: s.n,
  min: round(s.min),
  median: round(s.median),
  p90: round(s.p90),
  p99: round(s.p99),
  max: round(s.max),
  mean: round(s.mean),
});

// ---- 3 + 4. ten pods at once, and berth's RSS with them ----------------------------------------

interface BurstSample {
  iteration: number;
  /** Time from the first write (rename / first RunPodSandbox) to each pod answering, sorted. */
  answeredMs: number[];
  allMs: number;
  /** berth only: VmRSS of the berth process with the pods running, kB. */
  rssKb?: number;
}

async function berthBurst(cri: RawCri, b: BerthCri, iteration: number): Promise<BurstSample> {
  const ports = await freePorts(BURST_PODS);
  const pods = ports.map((port, j) => ({ name: `${PREFIX}bb${iteration}-${j}`, port }));
  try {
    const commits = pods.map((p) => stageYaml(b, p.name, p.port));
    const t0 = performance.now();
    for (const commit of commits) commit();
    const at = await Promise.all(pods.map((p) => waitAnswering(p.port, `berth pod ${p.name}`, START_TIMEOUT_MS + BURST_PODS * 1_000, 5, b.berth.exited)));
    const answeredMs = at.map((t) => t - t0).sort((x, y) => x - y);
    await sleep(RSS_SETTLE_MS);
    const rssKb = statusKb(b.berth.pid, 'VmRSS');
    return { iteration, answeredMs, allMs: answeredMs[answeredMs.length - 1]!, rssKb };
  } finally {
    await berthTeardown(cri, b, pods);
  }
}

async function rawBurst(cri: RawCri, iteration: number, work: string): Promise<BurstSample> {
  const ports = await freePorts(BURST_PODS);
  const pods = ports.map((port, j) => ({ name: `${PREFIX}cb${iteration}-${j}`, port }));
  const sandboxes: string[] = [];
  try {
    const t0 = performance.now();
    const at = await Promise.all(
      pods.map(async (p) => {
        await cri.startHttpd(p.name, HTTPD_IMAGE, p.port, join(work, 'cri-logs'), (id) => sandboxes.push(id));
        return waitAnswering(p.port, `raw CRI pod ${p.name}`, START_TIMEOUT_MS + BURST_PODS * 1_000, 5);
      }),
    );
    const answeredMs = at.map((t) => t - t0).sort((x, y) => x - y);
    return { iteration, answeredMs, allMs: answeredMs[answeredMs.length - 1]! };
  } finally {
    await Promise.all(sandboxes.map((id) => cri.removeSandbox(id).catch(() => undefined)));
    await Promise.all(pods.map((p) => waitClosed(p.port, `raw CRI pod ${p.name}`, TEARDOWN_TIMEOUT_MS)));
  }
}

const burstAndRss: Benchmark = {
  id: 'cri-burst10',
  title: `${BURST_PODS} httpd pods written at once -> all answer (berth on containerd, raw CRI alongside); berth RSS with them running`,
  async run() {
    const cri = new RawCri(CRI_ENDPOINT);
    const work = mkdtempSync(join(tmpdir(), 'berth-bench-cri-burst-'));
    let b: BerthCri | undefined;
    try {
      const criDown = await criUnavailable(cri);
      if (criDown) return notRunOutcome('cri-burst10', criDown);
      const leftovers = await removeCriLeftovers(cri);
      const loadBefore = loadavg().map((v) => round(v));
      b = await startBerthCri('cri-burst');
      await sleep(1_000);
      const idleRssKb = statusKb(b.berth.pid, 'VmRSS');
      const berthRuns: BurstSample[] = [];
      const rawRuns: BurstSample[] = [];
      const errors: Array<{ iteration: number; contender: string; error: string }> = [];
      for (let i = 0; i < WARMUP + BURST_ITERATIONS; i++) {
        const order = i % 2 === 0 ? (['berth', 'cri'] as const) : (['cri', 'berth'] as const);
        for (const contender of order) {
          try {
            const s = contender === 'berth' ? await berthBurst(cri, b, i) : await rawBurst(cri, i, work);
            if (i >= WARMUP) (contender === 'berth' ? berthRuns : rawRuns).push(s);
          } catch (err) {
            if (b.berth.proc.exitCode !== null || b.berth.proc.signalCode !== null) throw err;
            errors.push({ iteration: i, contender, error: (err as Error).message });
          }
          await sleep(PAUSE_MS);
        }
      }
      const hwmKb = statusKb(b.berth.pid, 'VmHWM');
      const berthAll = summarize(berthRuns.map((r) => r.allMs));
      const rawAll = summarize(rawRuns.map((r) => r.allMs));
      const rss = berthRuns.map((r) => r.rssKb!).filter(Number.isFinite);
      return {
        checks: [
          check(`cri-burst10: berth, ${BURST_PODS} manifests -> all answer, median of ${berthRuns.length}`, berthAll.median, 'ms'),
          check(`cri-burst10: berth, ${BURST_PODS} manifests -> all answer, worst of ${berthRuns.length}`, berthAll.max, 'ms'),
          check(`  cri-burst10: raw CRI, ${BURST_PODS} x 3 calls at once -> all answer, median`, rawAll.median, 'ms'),
          check(`  cri-burst10: raw CRI, worst`, rawAll.max, 'ms'),
          check('  cri-burst10: berth / raw CRI (ratio of medians)', (berthAll.median / rawAll.median) * 100, '%'),
          check(`cri-burst10: berth RSS with ${BURST_PODS} container pods (VmRSS, median)`, median(rss) / 1024, 'MB'),
          check(`  cri-burst10: berth RSS with ${BURST_PODS} pods, highest`, Math.max(...rss) / 1024, 'MB'),
          check('  cri-burst10: berth RSS with 0 pods', idleRssKb / 1024, 'MB'),
          check('  cri-burst10: berth peak RSS (VmHWM)', hwmKb / 1024, 'MB'),
        ],
        breakdown: [
          { label: 'cri-burst10 berth: first rename -> first pod answers', medianMs: round(median(berthRuns.map((r) => r.answeredMs[0]!))) },
          { label: 'cri-burst10 berth: first rename -> half the pods answer', medianMs: round(median(berthRuns.map((r) => r.answeredMs[BURST_PODS / 2 - 1]!))) },
          { label: 'cri-burst10 raw: first RunPodSandbox -> first pod answers', medianMs: round(median(rawRuns.map((r) => r.answeredMs[0]!))) },
        ],
        raw: {
          iterations: BURST_ITERATIONS,
          warmup: WARMUP,
          pods: BURST_PODS,
          leftoversRemovedBefore: leftovers,
          berthAllMs: roundSummary(berthAll),
          rawAllMs: roundSummary(rawAll),
          idleRssKb,
          rssKb: rss,
          loadAverage: { before: loadBefore, after: loadavg().map((v) => round(v)) },
          hwmKb,
          berthRuns: berthRuns.map((r) => ({ ...r, answeredMs: r.answeredMs.map((v) => round(v)), allMs: round(r.allMs) })),
          rawRuns: rawRuns.map((r) => ({ ...r, answeredMs: r.answeredMs.map((v) => round(v)), allMs: round(r.allMs) })),
          errors,
        },
      };
    } finally {
      if (b) await stopBerthCri(cri, b).catch(() => undefined);
      await cleanupContainers(cri);
      cri.close();
      discardLater(work);
    }
  },
};

/**
 * Removes everything these benchmarks may have left in containerd, podman and dockerd (also after
 * an interrupted run): berth's pods named bct-*, raw CRI sandboxes, podman pods bct-*, docker
 * containers with the bench label. Berth agents themselves are stopped by lib/berth.ts cleanupAll().
 */
export async function cleanupContainers(client?: RawCri): Promise<void> {
  const cri = client ?? new RawCri(CRI_ENDPOINT);
  try {
    await Promise.allSettled([removeCriLeftovers(cri), podmanRemoveLeftovers(PREFIX), dockerRemoveLeftovers()]);
  } finally {
    if (!client) cri.close();
  }
}

export const containerBenchmarks: Benchmark[] = [startVsPeers, burstAndRss];
