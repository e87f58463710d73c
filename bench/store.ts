// Benchmarks of the embedded API's durable store (SQLite under <root-dir>/api/state.db):
//   store-events   the real agent with 100 pods takes 10 000 events offered at 1000/s; latency of
//                  every POST, and whether it kept up (done within the 10 s it was offered in)
//   store-restart  the same agent, 100 pods and 10 000 events stored, killed with -9 and started
//                  again: time from the new process to the API answering with all of them
//   store-memory   the API server alone with 100 mirror pods and their events, on the state file
//                  and in memory: what the durable store costs in RSS
// The agent's own RSS with 100 pods (and then with 10 000 events) is reported by store-events.
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { PodList } from 'kubernetes-types/core/v1';
import type { Benchmark, Check, Unit } from './core.js';
import { startApiChild, type ApiChild } from './lib/api-server.js';
import { createEnv, markerPod, NODE_NAME, type BenchEnv } from './lib/berth.js';
import { KubeClient, readKubeconfig } from './lib/kube.js';
import { mirrorPodFixture } from './lib/pod-fixture.js';
import { sleep, statusKb } from './lib/proc.js';
import { round, summarize } from './lib/stats.js';

const PODS = 100;
const EVENTS = 10_000;
const RATE = 1000; // events per second offered
const WAIT_MS = 60_000;

const check = (label: string, value: number, unit: Unit, target?: number): Check =>
  target === undefined ? { label, value: round(value), unit } : { label, value: round(value), unit, target, ok: value <= target };

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function event(i: number) {
  const at = new Date().toISOString();
  return {
    metadata: { name: `pod-${i % PODS}.bench${i.toString(16)}`, namespace: 'default' },
    involvedObject: { kind: 'Pod', namespace: 'default', name: `pod-${i % PODS}-${NODE_NAME}`, apiVersion: 'v1', fieldPath: 'spec.containers{c}' },
    reason: i % 3 ? 'Started' : 'BackOff',
    message: i % 3 ? 'Started container c' : 'Back-off restarting failed container c in pod bench',
    type: i % 3 ? 'Normal' : 'Warning',
    source: { component: 'kubelet', host: NODE_NAME },
    firstTimestamp: at,
    lastTimestamp: at,
    count: 1,
    reportingComponent: 'kubelet',
    reportingInstance: NODE_NAME,
  };
}

/** Polls until `cond` holds (errors while the server is not up count as "not yet"). */
async function until(cond: () => Promise<boolean>, what: string, timeoutMs = WAIT_MS, everyMs = 20): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      if (await cond()) return performance.now();
    } catch {
      /* not up yet */
    }
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

const count = async (client: KubeClient, path: string): Promise<number> => {
  const res = await client.request('GET', path);
  if (res.status !== 200) return -1;
  return (JSON.parse(res.body.toString('utf8')) as { items: unknown[] }).items.length;
};

interface Shared {
  env: BenchEnv;
  apiPort: number;
  client: KubeClient;
  eventsStored: number;
}

/** One agent for both agent benchmarks: events first, then its restart with what they stored. */
let shared: Promise<Shared> | undefined;

async function agentWith100Pods(): Promise<Shared> {
  const env = createEnv('store');
  try {
    for (let i = 0; i < PODS; i++) env.writeManifest(`pod-${i}`, markerPod(`pod-${i}`, env.markers.dir));
    const apiPort = await freePort();
    await env.startBerth([`--api-port=${apiPort}`]);
    const client = new KubeClient(readKubeconfig(join(env.root, 'kubeconfig')));
    await until(async () => {
      const l = await client.json<PodList>('GET', '/api/v1/namespaces/default/pods');
      return l.items.length === PODS && l.items.every((p) => p.status?.phase === 'Running');
    }, `${PODS} mirror pods Running`, 120_000, 200);
    return { env, apiPort, client, eventsStored: 0 };
  } catch (err) {
    await env.cleanup();
    throw err;
  }
}

async function sharedAgent(): Promise<Shared> {
  shared ??= agentWith100Pods();
  return shared;
}

export async function cleanupStoreBench(): Promise<void> {
  const s = await shared?.catch(() => undefined);
  shared = undefined;
  s?.client.close();
  await s?.env.cleanup();
}

const storeEvents: Benchmark = {
  id: 'store-events',
  title: `${EVENTS} events offered at ${RATE}/s to the agent's API with ${PODS} pods (durable store)`,
  run: async () => {
    const s = await sharedAgent();
    const pid = s.env.berth!.pid;
    await sleep(1000);
    const rss100 = statusKb(pid, 'VmRSS') / 1024;
    const latencies: number[] = [];
    const failures: string[] = [];
    const t0 = performance.now();
    const inflight: Promise<void>[] = [];
    for (let i = 0; i < EVENTS; i++) {
      const due = t0 + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      inflight.push(
        s.client.request('POST', '/api/v1/namespaces/default/events', { body: event(i) }).then(
          (res) => {
            // Latency from when the request was due, so a client held back by a slow server counts too.
            latencies.push(res.doneAt - Math.min(due, res.sentAt));
            if (res.status !== 201) failures.push(`HTTP ${res.status}: ${res.body.toString('utf8').slice(0, 200)}`);
          },
          (err: Error) => void failures.push(err.message),
        ),
      );
    }
    await Promise.all(inflight);
    const doneS = (performance.now() - t0) / 1000;
    if (failures.length > EVENTS / 100) throw new Error(`${failures.length} event writes failed, e.g. ${failures.slice(0, 3).join('; ')}`);
    s.eventsStored = await count(s.client, '/api/v1/events');
    await sleep(1000);
    const rssEvents = statusKb(pid, 'VmRSS') / 1024;
    const l = summarize(latencies);
    return {
      checks: [
        check(`store-events: ${EVENTS} events offered over ${EVENTS / RATE} s, all answered after`, doneS, 's', EVENTS / RATE + 0.5),
        check('store-events: POST latency p99', l.p99, 'ms', 50),
        check('  store-events: POST latency median', l.median, 'ms'),
        check('  store-events: POST latency max', l.max, 'ms'),
        check(`store-events: berth RSS with ${PODS} pods`, rss100, 'MB', 90),
        check(`  store-events: berth RSS with ${PODS} pods and ${s.eventsStored} events`, rssEvents, 'MB'),
        check('  store-events: failed writes', (failures.length / EVENTS) * 100, '%'),
      ],
      breakdown: [],
      raw: { failures: failures.slice(0, 10), latencyMs: l, doneS: round(doneS, 3), rss100Mb: round(rss100), rssEventsMb: round(rssEvents), eventsStored: s.eventsStored, loadavg: loadavg() },
    };
  },
};

const storeRestart: Benchmark = {
  id: 'store-restart',
  title: `agent kill -9 and restart with ${PODS} pods and ${EVENTS} events stored -> API answers with all`,
  run: async () => {
    try {
      return await restartOnce(await sharedAgent());
    } finally {
      await cleanupStoreBench();
    }
  },
};

async function restartOnce(s: Shared) {
  {
    s.eventsStored = await count(s.client, '/api/v1/events');
    if (s.eventsStored < EVENTS) {
      // Run alone (--only=store-restart): store the events first, quickly.
      // Up to exactly EVENTS stored (more would prune the oldest tenth), with names not used yet.
      let next = s.eventsStored;
      const worker = async () => {
        while (next < EVENTS) {
          // (the agent's own events count too: the total stays at EVENTS)
          const i = next++;
          const res = await s.client.request('POST', '/api/v1/namespaces/default/events', { body: event(EVENTS + i) });
          if (res.status !== 201) throw new Error(`POST event: HTTP ${res.status}`);
        }
      };
      await Promise.all(Array.from({ length: 16 }, worker));
      s.eventsStored = await count(s.client, '/api/v1/events');
    }
    const old = s.env.berth!;
    const exited = new Promise((r) => old.proc.once('exit', r));
    old.proc.kill('SIGKILL');
    await exited;
    s.client.close();
    const t0 = performance.now();
    const starting = s.env.startBerth([`--api-port=${s.apiPort}`]);
    const client = new KubeClient(readKubeconfig(join(s.env.root, 'kubeconfig')));
    s.client = client;
    let pods = 0;
    let events = 0;
    const tApi = await until(async () => {
      pods = await count(client, '/api/v1/namespaces/default/pods');
      if (pods !== PODS) return false;
      events = await count(client, '/api/v1/events');
      return events >= s.eventsStored;
    }, 'the API to answer with every pod and event', WAIT_MS, 5);
    const berth = await starting;
    const tRunning = berth.logs.find((l) => l.line.msg === 'berth is running')!.arrivedAt;
    // Where the time goes: the process up to a listening API (store loaded), and one full list of events.
    const listening = berth.logs.find((l) => l.line.msg === 'apiserver: listening');
    const tListening = listening?.arrivedAt ?? NaN;
    const loadMs = Number(listening?.line.storeLoadMs ?? NaN);
    const listRes = await client.request('GET', '/api/v1/events');
    const listMs = listRes.doneAt - listRes.sentAt;
    await sleep(2000);
    const rss = statusKb(berth.pid, 'VmRSS') / 1024;
    return {
      checks: [
        check(`store-restart: new agent -> API lists all ${pods} pods and ${events} events`, tApi - t0, 'ms', 1000),
        check('  store-restart: new agent -> API listening (store loaded)', tListening - t0, 'ms'),
        check('  store-restart: opening and loading the store file', loadMs, 'ms'),
        check(`  store-restart: one list of ${events} events`, listMs, 'ms'),
        check('  store-restart: new agent -> "berth is running"', tRunning - t0, 'ms'),
        check(`  store-restart: berth RSS after the restart (${PODS} pods, ${events} events)`, rss, 'MB'),
      ],
      breakdown: [],
      raw: { apiMs: round(tApi - t0), listeningMs: round(tListening - t0), listMs: round(listMs), storeLoadMs: loadMs, runningMs: round(tRunning - t0), pods, events, rssMb: round(rss), loadavg: loadavg() },
    };
  }
}

async function storeCost(durable: boolean): Promise<{ rssMb: number; heapMb: number }> {
  const child: ApiChild = await startApiChild(durable ? 'store-durable' : 'store-memory', { durable });
  try {
    await sleep(300);
    const node = await child.client.request('POST', '/api/v1/nodes', { body: { metadata: { name: NODE_NAME } } });
    if (node.status !== 201) throw new Error(`POST node: HTTP ${node.status}`);
    for (let i = 0; i < PODS; i++) {
      const res = await child.client.request('POST', '/api/v1/namespaces/default/pods', { body: mirrorPodFixture(`pod-${i}`, i) });
      if (res.status !== 201) throw new Error(`POST pod-${i}: HTTP ${res.status}: ${res.body.toString('utf8').slice(0, 200)}`);
      // What a pod's life writes: a few events and status updates.
      for (let k = 0; k < 4; k++) await child.client.request('POST', '/api/v1/namespaces/default/events', { body: event(i * 4 + k) });
      for (let k = 0; k < 3; k++) {
        await child.client.request('PATCH', `/api/v1/namespaces/default/pods/pod-${i}/status`, {
          body: { status: { message: `update ${k}` } },
          contentType: 'application/merge-patch+json',
        });
      }
    }
    child.client.close();
    await sleep(1000);
    const m = await child.mem();
    return { rssMb: statusKb(child.pid, 'VmRSS') / 1024, heapMb: m.mem.heapUsed / (1024 * 1024) };
  } finally {
    await child.stop();
  }
}

const storeMemory: Benchmark = {
  id: 'store-memory',
  title: `what the durable store costs: the API server alone with ${PODS} pods, state file vs memory`,
  run: async () => {
    const memory = await storeCost(false);
    const durable = await storeCost(true);
    return {
      checks: [
        check(`store-memory: RSS cost of the durable store at ${PODS} pods`, durable.rssMb - memory.rssMb, 'MB', 10),
        check('  store-memory: API server RSS, durable', durable.rssMb, 'MB'),
        check('  store-memory: API server RSS, memory only', memory.rssMb, 'MB'),
        check('  store-memory: heapUsed, durable vs memory', durable.heapMb - memory.heapMb, 'MB'),
      ],
      breakdown: [],
      raw: { durable, memory },
    };
  },
};

export const storeBenchmarks: Benchmark[] = [storeEvents, storeRestart, storeMemory];
