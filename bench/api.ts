// Benchmarks of the embedded Kubernetes API server and of the mirror pods berth publishes there.
// The mirror benchmarks drive the real agent (`berth run --api-port=0`) and observe it from
// outside: containers through their marker files, the API through an HTTPS watch opened before
// the change. The pure-server benchmarks run startApiServer alone in a child process (no agent),
// filled with 1000 realistic mirror pods, so client and server do not share an event loop and the
// server's memory is its own.
import type { PodList } from 'kubernetes-types/core/v1';
import { decodeProtobuf, PROTOBUF_MEDIA_TYPE } from '../src/apiserver/protobuf/index.js';
import type { Benchmark, Check, Unit } from './core.js';
import { cleanupApiChildren, startApiChild, type ApiChild } from './lib/api-server.js';
import { createEnv, markerOf, markerPod, NODE_NAME, type Berth, type BenchEnv } from './lib/berth.js';
import { KubeClient, readKubeconfig, TABLE_ACCEPT, type Watch, type WatchEvent } from './lib/kube.js';
import { mirrorPodFixture } from './lib/pod-fixture.js';
import { sleep, statusKb } from './lib/proc.js';
import { median, percentile, round, summarize } from './lib/stats.js';

export { cleanupApiChildren };

const ITERATIONS = 30;
const WARMUP = 3;
const WAIT_MS = 15_000;
const PODS_PATH = '/api/v1/namespaces/default/pods';
const MB = 1024 * 1024;

const check = (label: string, value: number, unit: Unit, target?: number): Check =>
  target === undefined ? { label, value: round(value), unit } : { label, value: round(value), unit, target, ok: value <= target };

const guard = <T>(berth: Berth, p: Promise<T>): Promise<T> => Promise.race([p, berth.exited]);

const mirrorName = (pod: string) => `${pod}-${NODE_NAME}`;
const named = (name: string) => (e: WatchEvent) => e.object.metadata?.name === name;
const phaseOf = (e: WatchEvent) => (e.object.status as { phase?: string } | undefined)?.phase;

/** Samples in ms, rounded for the JSON report. */
const ms3 = (xs: number[]) => xs.map((x) => round(x, 3));

// ---- the agent with its embedded API ------------------------------------------------------------

interface ApiBerth {
  env: BenchEnv;
  berth: Berth;
  client: KubeClient;
  /** A watch on the pods of namespace default, opened after a list (so it starts at that version). */
  watch: Watch;
}

async function withApiBerth<T>(label: string, body: (b: ApiBerth) => Promise<T>): Promise<T> {
  const env = createEnv(label);
  let client: KubeClient | undefined;
  try {
    const berth = await env.startBerth(['--api-port=0']);
    const running = berth.logs.find((l) => l.line.msg === 'berth is running')!.line;
    if (typeof running.kubeconfig !== 'string') {
      throw new Error(`berth's "berth is running" log line has no kubeconfig field (is the embedded API off?): ${JSON.stringify(running)}`);
    }
    client = new KubeClient(readKubeconfig(running.kubeconfig));
    const list = await client.json<PodList>('GET', PODS_PATH);
    const watch = await client.watch(`${PODS_PATH}?watch=true&resourceVersion=${list.metadata?.resourceVersion ?? ''}`);
    return await body({ env, berth, client, watch });
  } finally {
    client?.close();
    await env.cleanup();
  }
}

/** Writes a marker pod's manifest; resolves when its container runs, and when its mirror appears and shows Running. */
async function startMirroredPod(b: ApiBerth, name: string): Promise<{ t0: number; running: number; visible: WatchEvent; visibleRunning: WatchEvent }> {
  const { env, berth, watch } = b;
  const mirror = mirrorName(name);
  const t0 = env.writeManifest(name, markerPod(name, env.markers.dir));
  const [marker, visible, visibleRunning] = await guard(
    berth,
    Promise.all([
      env.markers.waitOne(markerOf(name), `container of pod ${name} to start`, WAIT_MS),
      watch.waitFor((e) => named(mirror)(e) && e.type !== 'DELETED', `mirror pod ${mirror} to appear`, WAIT_MS),
      watch.waitFor((e) => named(mirror)(e) && e.type !== 'DELETED' && phaseOf(e) === 'Running', `mirror pod ${mirror} to show phase Running`, WAIT_MS),
    ]),
  );
  return { t0, running: marker.at, visible, visibleRunning };
}

// ---- 1. mirror deleted -> mirror back -----------------------------------------------------------

const mirrorRecreate: Benchmark = {
  id: 'mirror-recreate',
  title: 'mirror pod deleted through the API -> mirror back (new uid)',
  run: () =>
    withApiBerth('mirror-recreate', async (b) => {
      const { berth, client, watch } = b;
      const pod = 'recreate';
      const mirror = mirrorName(pod);
      const first = await startMirroredPod(b, pod);
      let uid = first.visibleRunning.object.metadata?.uid;
      await sleep(200);
      const runs: Array<{ deleteSent: number; deleteAnswered: number; deletedSeen: number; back: number; backRunning: number; warmup: boolean }> = [];
      for (let i = 0; i < WARMUP + ITERATIONS; i++) {
        const old = uid;
        const isNew = (e: WatchEvent) => named(mirror)(e) && e.type !== 'DELETED' && e.object.metadata?.uid !== old;
        const deleted = watch.waitNext((e) => named(mirror)(e) && e.type === 'DELETED' && e.object.metadata?.uid === old, `DELETED event of ${mirror}`, WAIT_MS);
        const back = watch.waitNext(isNew, `${mirror} back with a new uid`, WAIT_MS);
        const backRunning = watch.waitNext((e) => isNew(e) && phaseOf(e) === 'Running', `new ${mirror} to show phase Running`, WAIT_MS);
        const res = await client.request('DELETE', `${PODS_PATH}/${mirror}`);
        if (res.status !== 200) throw new Error(`DELETE ${mirror}: HTTP ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`);
        const [d, n, r] = await guard(berth, Promise.all([deleted, back, backRunning]));
        runs.push({ deleteSent: res.sentAt, deleteAnswered: res.doneAt, deletedSeen: d.at, back: n.at, backRunning: r.at, warmup: i < WARMUP });
        uid = n.object.metadata?.uid;
        await sleep(100); // an idle agent and server before the next delete
      }
      const measured = runs.filter((r) => !r.warmup);
      const backMs = measured.map((r) => r.back - r.deleteSent);
      const runningMs = measured.map((r) => r.backRunning - r.deleteSent);
      const s = summarize(backMs);
      return {
        checks: [
          check('mirror-recreate: DELETE -> mirror back (new uid), median', s.median, 'ms', 200),
          check('  mirror-recreate: p99', s.p99, 'ms'),
          check('  mirror-recreate: DELETE -> new mirror shows Running, median', median(runningMs), 'ms'),
        ],
        breakdown: [
          { label: 'mirror-recreate: DELETE sent -> answered', medianMs: round(median(measured.map((r) => r.deleteAnswered - r.deleteSent))) },
          { label: 'mirror-recreate: DELETE sent -> DELETED event seen', medianMs: round(median(measured.map((r) => r.deletedSeen - r.deleteSent))) },
          { label: 'mirror-recreate: DELETED event -> new mirror ADDED event', medianMs: round(median(measured.map((r) => r.back - r.deletedSeen))) },
          { label: 'mirror-recreate: ADDED -> status Running event', medianMs: round(median(measured.map((r) => r.backRunning - r.back))) },
        ],
        raw: {
          summaryMs: s,
          samplesMs: ms3(backMs),
          backRunningMs: ms3(runningMs),
          warmupMs: ms3(runs.filter((r) => r.warmup).map((r) => r.back - r.deleteSent)),
        },
      };
    }),
};

// ---- 2. pod running -> mirror visible -----------------------------------------------------------

const mirrorVisible: Benchmark = {
  id: 'mirror-visible',
  title: 'manifest written -> container running -> mirror pod visible through the API',
  run: () =>
    withApiBerth('mirror-visible', async (b) => {
      // The first mirror also waits for the Node to be registered: not measured.
      await startMirroredPod(b, 'visible-first');
      await sleep(200);
      const runs: Array<{ t0: number; running: number; visible: number; visibleRunning: number; warmup: boolean }> = [];
      for (let i = 0; i < WARMUP + ITERATIONS; i++) {
        const r = await startMirroredPod(b, `visible-${i}`);
        runs.push({ t0: r.t0, running: r.running, visible: r.visible.at, visibleRunning: r.visibleRunning.at, warmup: i < WARMUP });
        await sleep(100);
      }
      const measured = runs.filter((r) => !r.warmup);
      // The mirror may be published before the container process runs (the agent creates it when it
      // takes the pod on); then it is visible at the moment the container runs: 0.
      const runToVisible = measured.map((r) => Math.max(0, r.visible - r.running));
      const runToRunning = measured.map((r) => r.visibleRunning - r.running);
      const writeToVisible = measured.map((r) => r.visible - r.t0);
      const visibleBeforeRunning = measured.filter((r) => r.visible < r.running).length;
      const s = summarize(runToVisible);
      const sr = summarize(runToRunning);
      return {
        checks: [
          check('mirror-visible: container running -> mirror visible, median', s.median, 'ms', 200),
          check('mirror-visible: container running -> mirror shows Running, median', sr.median, 'ms', 200),
          check('  mirror-visible: container running -> mirror shows Running, p99', sr.p99, 'ms'),
          check('  mirror-visible: manifest written -> mirror visible, median', median(writeToVisible), 'ms'),
        ],
        breakdown: [
          { label: 'mirror-visible: rename -> container running (marker)', medianMs: round(median(measured.map((r) => r.running - r.t0))) },
          { label: 'mirror-visible: rename -> mirror ADDED event', medianMs: round(median(writeToVisible)) },
          { label: 'mirror-visible: rename -> mirror event with phase Running', medianMs: round(median(measured.map((r) => r.visibleRunning - r.t0))) },
        ],
        raw: {
          runToVisibleSummaryMs: s,
          visibleBeforeRunning,
          runToRunningSummaryMs: sr,
          writeToVisibleSummaryMs: summarize(writeToVisible),
          perIteration: measured.map((r) => ({
            running: round(r.running - r.t0, 3),
            visible: round(r.visible - r.t0, 3),
            visibleRunning: round(r.visibleRunning - r.t0, 3),
          })),
        },
      };
    }),
};

// ---- the API server alone, with 1000 pods -------------------------------------------------------

const POD_COUNT = 1000;

/** Creates `n` mirror-like pods (16 requests in flight); returns the elapsed ms. */
async function populate(client: KubeClient, n: number): Promise<number> {
  const t = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const res = await client.request('POST', PODS_PATH, { body: mirrorPodFixture(`pod-${i}`, i) });
      if (res.status !== 201) throw new Error(`POST pod-${i}: HTTP ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return performance.now() - t;
}

async function withApiChild<T>(label: string, body: (c: ApiChild) => Promise<T>): Promise<T> {
  const child = await startApiChild(label);
  try {
    return await body(child);
  } finally {
    await child.stop();
  }
}

// ---- 3. list 1000 pods --------------------------------------------------------------------------

async function timeList(client: KubeClient, accept: string, expectType: string, countItems: (body: Buffer) => number): Promise<{ ms: number[]; bytes: number }> {
  const ms: number[] = [];
  let bytes = 0;
  for (let i = 0; i < WARMUP + ITERATIONS; i++) {
    const res = await client.request('GET', PODS_PATH, { accept });
    if (res.status !== 200) throw new Error(`GET ${PODS_PATH} (Accept ${accept}): HTTP ${res.status}`);
    if (i === 0) {
      if (!res.contentType.startsWith(expectType)) throw new Error(`GET ${PODS_PATH} (Accept ${accept}): Content-Type ${res.contentType}, expected ${expectType}`);
      const n = countItems(res.body);
      if (n !== POD_COUNT) throw new Error(`GET ${PODS_PATH} (Accept ${accept}): ${n} items, expected ${POD_COUNT}`);
      bytes = res.body.length;
    }
    if (i >= WARMUP) ms.push(res.doneAt - res.sentAt);
  }
  return { ms, bytes };
}

const listPods: Benchmark = {
  id: 'api-list',
  title: `list ${POD_COUNT} pods through the API (JSON, protobuf and Table)`,
  run: () =>
    withApiChild('api-list', async (child) => {
      const populateMs = await populate(child.client, POD_COUNT);
      const parsed = (b: Buffer): unknown => JSON.parse(b.toString('utf8'));
      const json = await timeList(child.client, 'application/json', 'application/json', (b) => (parsed(b) as PodList).items.length);
      const pb = await timeList(child.client, PROTOBUF_MEDIA_TYPE, PROTOBUF_MEDIA_TYPE, (b) => (decodeProtobuf(b) as unknown as PodList).items.length);
      const table = await timeList(child.client, TABLE_ACCEPT, 'application/json;as=Table', (b) => (parsed(b) as { rows: unknown[] }).rows.length);
      const sj = summarize(json.ms);
      const sp = summarize(pb.ms);
      const st = summarize(table.ms);
      return {
        checks: [
          check(`api-list: ${POD_COUNT} pods as JSON, median`, sj.median, 'ms', 30),
          check(`  api-list: JSON p99 (${(json.bytes / MB).toFixed(1)} MB)`, sj.p99, 'ms'),
          check(`api-list: ${POD_COUNT} pods as protobuf, median (target: the JSON median)`, sp.median, 'ms', round(sj.median)),
          check(`  api-list: protobuf p99 (${(pb.bytes / MB).toFixed(1)} MB)`, sp.p99, 'ms'),
          check(`api-list: ${POD_COUNT} pods as Table, median`, st.median, 'ms', 50),
          check(`  api-list: Table p99 (${(table.bytes / MB).toFixed(1)} MB)`, st.p99, 'ms'),
          check(`  api-list: create ${POD_COUNT} pods (16 in flight), total`, populateMs / 1000, 's'),
        ],
        breakdown: [],
        raw: {
          populateMs: round(populateMs),
          jsonBytes: json.bytes,
          protobufBytes: pb.bytes,
          tableBytes: table.bytes,
          json: { summaryMs: sj, samplesMs: ms3(json.ms) },
          protobuf: { summaryMs: sp, samplesMs: ms3(pb.ms) },
          table: { summaryMs: st, samplesMs: ms3(table.ms) },
        },
      };
    }),
};

// ---- 4. 100 watchers receive one change ---------------------------------------------------------

const WATCHERS = 100;
const CHANGES = 10;

const watchFanout: Benchmark = {
  id: 'api-watch',
  title: `${WATCHERS} watchers receive one pod status change (${POD_COUNT} pods stored)`,
  run: () =>
    withApiChild('api-watch', async (child) => {
      const { client } = child;
      await populate(client, POD_COUNT);
      const list = await client.json<PodList>('GET', PODS_PATH);
      const rv = list.metadata?.resourceVersion ?? '';
      const watches = await Promise.all(Array.from({ length: WATCHERS }, () => client.watch(`${PODS_PATH}?watch=true&resourceVersion=${rv}`)));
      const open = (await child.mem()).watchers;
      if (open !== WATCHERS) throw new Error(`the server counts ${open} open watches, expected ${WATCHERS}`);
      await sleep(200);
      const changes: Array<{ pod: string; patchAnswerMs: number; latencies: number[]; warmup: boolean }> = [];
      for (let k = 0; k < 1 + CHANGES; k++) {
        const pod = `pod-${(k * 97) % POD_COUNT}`;
        const message = `bench change ${k}`;
        const seen = Promise.all(
          watches.map((w) =>
            w.waitFor((e) => e.type === 'MODIFIED' && named(pod)(e) && (e.object.status as { message?: string } | undefined)?.message === message, `change ${k} of ${pod}`, WAIT_MS),
          ),
        );
        const res = await client.request('PATCH', `${PODS_PATH}/${pod}/status`, {
          body: { status: { message } },
          contentType: 'application/merge-patch+json',
        });
        if (res.status !== 200) throw new Error(`PATCH ${pod}/status: HTTP ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`);
        const events = await seen;
        changes.push({ pod, patchAnswerMs: res.doneAt - res.sentAt, latencies: events.map((e) => e.at - res.sentAt), warmup: k === 0 });
        await sleep(100);
      }
      for (const w of watches) w.close();
      const measured = changes.filter((c) => !c.warmup);
      const p99s = measured.map((c) => percentile(c.latencies, 99));
      const all = measured.flatMap((c) => c.latencies);
      return {
        checks: [
          check(`api-watch: p99 over ${WATCHERS} watchers, median of ${CHANGES} changes`, median(p99s), 'ms', 50),
          check(`api-watch: p99 over ${WATCHERS} watchers, worst of ${CHANGES} changes`, Math.max(...p99s), 'ms', 50),
          check(`  api-watch: all ${all.length} deliveries, median`, median(all), 'ms'),
          check('  api-watch: PATCH answered, median', median(measured.map((c) => c.patchAnswerMs)), 'ms'),
        ],
        breakdown: [],
        raw: {
          perChange: measured.map((c) => ({ pod: c.pod, patchAnswerMs: round(c.patchAnswerMs, 3), watchers: summarize(c.latencies) })),
          allDeliveries: summarize(all),
        },
      };
    }),
};

// ---- 5. memory with 1000 pods -------------------------------------------------------------------

const apiMemory: Benchmark = {
  id: 'api-memory',
  title: `API server memory with ${POD_COUNT} pods (separate process)`,
  run: () =>
    withApiChild('api-memory', async (child) => {
      await sleep(500);
      const before = await child.mem();
      const rssBeforeKb = statusKb(child.pid, 'VmRSS');
      await populate(child.client, POD_COUNT);
      // Connections closed, the burst's garbage collected: what the stored pods cost.
      child.client.close();
      await sleep(1000);
      const after = await child.mem();
      const rssAfterKb = statusKb(child.pid, 'VmRSS');
      const hwmKb = statusKb(child.pid, 'VmHWM');
      if (after.stats.byResource['pods'] !== POD_COUNT) {
        throw new Error(`the server stores ${JSON.stringify(after.stats.byResource)}, expected ${POD_COUNT} pods`);
      }
      const heapNote = after.gc ? 'after GC' : 'no --expose-gc';
      return {
        checks: [
          check(`api-memory: RSS with ${POD_COUNT} pods`, rssAfterKb / 1024, 'MB'),
          check('  api-memory: RSS with 0 pods', rssBeforeKb / 1024, 'MB'),
          check(`  api-memory: RSS growth for ${POD_COUNT} pods`, (rssAfterKb - rssBeforeKb) / 1024, 'MB'),
          check(`api-memory: heapUsed with ${POD_COUNT} pods (${heapNote})`, after.mem.heapUsed / MB, 'MB'),
          check(`  api-memory: heapUsed growth for ${POD_COUNT} pods (${heapNote})`, (after.mem.heapUsed - before.mem.heapUsed) / MB, 'MB'),
          check('  api-memory: peak RSS (VmHWM)', hwmKb / 1024, 'MB'),
        ],
        breakdown: [],
        raw: {
          note: 'the child runs the compiled server (dist/) with plain node --expose-gc; RSS from /proc, heap from process.memoryUsage() after two GCs',
          before: before.mem,
          after: after.mem,
          rssBeforeKb,
          rssAfterKb,
          hwmKb,
          heapPerPodKb: round((after.mem.heapUsed - before.mem.heapUsed) / 1024 / POD_COUNT),
          stats: after.stats,
        },
      };
    }),
};

export const apiBenchmarks: Benchmark[] = [mirrorRecreate, mirrorVisible, listPods, watchFanout, apiMemory];
