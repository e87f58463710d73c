// Samples the node and its containers and answers /stats/summary and /metrics/resource from one
// reading. Container numbers come from the runtime (cgroups where the container has one); a
// running container the runtime says nothing about is read from /proc by its process group.
// CPU rates need two readings, so a background sampler keeps one window open for every container
// while anyone asks for numbers (kubectl top, a metrics-server scrape), and sleeps otherwise: a
// node nobody watches pays nothing for it.
import { statfs } from 'node:fs/promises';
import type { ContainerStats, Runtime } from '../runtime/types.js';
import type { PodView } from '../workers/index.js';
import { bootTime, processGroupUsage, readNodeCpu, readNodeMemory } from './proc.js';
import { CpuRates, MIN_WINDOW_MS } from './rates.js';
import type { ContainerStatsSummary, CpuStats, FsStats, MemoryStats, PodStatsSummary, Summary } from './summary.js';

export interface StatsCollectorOptions {
  nodeName: string;
  runtime: () => Pick<Runtime, 'containerStats'> | undefined;
  views: () => PodView[];
  /** The file system whose usage is the node's `fs` (the agent's --root-dir). */
  fsPath?: string;
  /** /proc, for tests. */
  procDir?: string;
}

/** How often the background sampler reads everything (cAdvisor's housekeeping is 10-15 s). */
export const SAMPLE_INTERVAL_MS = 10_000;

/** The sampler sleeps once nobody asked for this long (metrics-server scrapes every 15-60 s). */
export const SAMPLER_IDLE_AFTER_MS = 5 * 60_000;

const NODE_KEY = '\0node';
/**
 * Containers read at the same time. Each reading is several small files (state, /proc, cgroup);
 * 2000 of them at once queued ~15 000 reads in libuv's four-thread pool, and every other file
 * operation of the agent (manifests being read, container state being written) waited behind them:
 * 2000 new manifests took tens of seconds to be read while new containers kept triggering sweeps.
 */
const READ_PARALLEL = 8;

export class StatsCollector {
  private readonly rates = new CpuRates();
  private timer: NodeJS.Timeout | undefined;
  private boot: Promise<string | undefined> | undefined;
  private followUp: NodeJS.Timeout | undefined;
  /** The background sweep running now; a tick that finds one running skips (they never pile up). */
  private sweeping: Promise<unknown> | undefined;
  private intervalMs = SAMPLE_INTERVAL_MS;
  private idleAfterMs = SAMPLER_IDLE_AFTER_MS;
  /** When a request last asked for numbers; the sampler sleeps once this is idleAfterMs old. */
  private lastAsked = 0;
  /** The two readings that wake a sleeping sampler; requests meanwhile share them. */
  private waking: Promise<Summary> | undefined;
  private stopped = false;

  constructor(private readonly o: StatsCollectorOptions) {}

  /** Sets the sampling rhythm; nothing is read until the first answer() is asked for. */
  start(intervalMs = SAMPLE_INTERVAL_MS, idleAfterMs = SAMPLER_IDLE_AFTER_MS): void {
    this.intervalMs = intervalMs;
    this.idleAfterMs = idleAfterMs;
    this.stopped = false;
  }

  /** True while the background sampler runs (someone asked within the idle period). */
  sampling(): boolean {
    return this.timer !== undefined;
  }

  /**
   * The numbers for a request. A sleeping sampler wakes: two readings MIN_WINDOW_MS apart, so the
   * answer already has CPU rates, then one every interval until nobody has asked for the idle
   * period. Errors of a background reading are ignored: the next request reads again and reports
   * them.
   */
  answer(): Promise<Summary> {
    this.lastAsked = Date.now();
    if (this.timer || this.stopped) return this.summary();
    this.waking ??= (async () => {
      try {
        await this.summary().catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, MIN_WINDOW_MS));
        const second = await this.summary();
        if (!this.stopped && !this.timer) {
          this.timer = setInterval(() => this.tick(), this.intervalMs);
          this.timer.unref();
        }
        return second;
      } finally {
        this.waking = undefined;
      }
    })();
    return this.waking;
  }

  private tick(): void {
    if (Date.now() - this.lastAsked > this.idleAfterMs) {
      this.sleep();
      return;
    }
    this.sweep();
  }

  private sleep(): void {
    clearInterval(this.timer);
    clearTimeout(this.followUp);
    this.timer = undefined;
    this.followUp = undefined;
  }

  private sweep(): void {
    if (this.sweeping) return;
    this.sweeping = this.summary()
      .catch(() => undefined)
      .finally(() => {
        this.sweeping = undefined;
      });
  }

  stop(): void {
    this.stopped = true;
    this.sleep();
  }

  /** A fresh reading of the node and every running container. */
  async summary(): Promise<Summary> {
    const at = Date.now();
    const time = new Date(at).toISOString();
    this.boot ??= bootTime(this.o.procDir);
    const [cpu, memory, fs, startTime] = await Promise.all([
      readNodeCpu(this.o.procDir),
      readNodeMemory(this.o.procDir),
      this.o.fsPath ? fsStats(this.o.fsPath, time) : Promise.resolve(undefined),
      this.boot,
    ]);
    const live = new Set<string>([NODE_KEY]);
    const pods = await this.podStats(at, time, live);
    this.rates.retain(live);
    // A container seen for the first time gets its rate a window later, not at the next tick.
    if (this.timer && !this.followUp && pods.some((p) => p.containers.some((c) => c.cpu && c.cpu.usageNanoCores === undefined))) {
      this.followUp = setTimeout(() => {
        this.followUp = undefined;
        this.sweep();
      }, MIN_WINDOW_MS);
      this.followUp.unref();
    }
    const nodeCpu: CpuStats = { time, usageCoreNanoSeconds: cpu.usageCoreNanoSeconds };
    const nodeRate = this.rates.observe(NODE_KEY, at, cpu.usageCoreNanoSeconds);
    if (nodeRate !== undefined) nodeCpu.usageNanoCores = nodeRate;
    const { totalBytes: _total, ...mem } = memory;
    return {
      node: { nodeName: this.o.nodeName, ...(startTime ? { startTime } : {}), cpu: nodeCpu, memory: { time, ...mem }, ...(fs ? { fs } : {}) },
      pods,
    };
  }

  /** Containers whose CPU rate is being tracked (for tests: gone containers are dropped). */
  tracked(): number {
    return this.rates.size() - 1;
  }

  private async podStats(at: number, time: string, live: Set<string>): Promise<PodStatsSummary[]> {
    const runtime = this.o.runtime();
    const running = this.o.views().map((v) => ({
      view: v,
      containers: v.containers.filter((c) => c.current?.state === 'running').map((c) => ({ name: c.name, record: c.current! })),
    }));
    const all = running.flatMap((p) => p.containers);
    const fromRuntime = await mapLimited(all, READ_PARALLEL, (c) => (runtime ? runtime.containerStats(c.record.id).catch(() => undefined) : Promise.resolve(undefined)));
    const byId = new Map<string, ContainerStats | undefined>(all.map((c, i) => [c.record.id, fromRuntime[i]]));
    const missing = all.filter((c) => !byId.get(c.record.id) && c.record.pid !== undefined);
    const groups = await processGroupUsage(missing.map((c) => c.record.pid!), this.o.procDir);
    for (const c of missing) {
      const g = groups.get(c.record.pid!);
      if (g) byId.set(c.record.id, { timestamp: time, cpuUsageNanoSeconds: g.cpuUsageNanoSeconds, memoryWorkingSetBytes: g.rssBytes, memoryUsageBytes: g.rssBytes, memoryRssBytes: g.rssBytes, processes: g.processes });
    }

    const out: PodStatsSummary[] = [];
    for (const { view, containers } of running) {
      const m = view.pod.metadata ?? {};
      const cs: ContainerStatsSummary[] = [];
      for (const { name, record } of containers) {
        const s = byId.get(record.id);
        const entry: ContainerStatsSummary = { name, startTime: record.startedAt ?? record.createdAt };
        if (s) {
          const t = s.timestamp || time;
          if (s.cpuUsageNanoSeconds !== undefined) {
            live.add(record.id);
            const rate = this.rates.observe(record.id, Date.parse(t) || at, s.cpuUsageNanoSeconds);
            entry.cpu = { time: t, usageCoreNanoSeconds: s.cpuUsageNanoSeconds, ...(rate !== undefined ? { usageNanoCores: rate } : {}) };
          }
          const mem: MemoryStats = { time: t };
          if (s.memoryUsageBytes !== undefined) mem.usageBytes = s.memoryUsageBytes;
          if (s.memoryWorkingSetBytes !== undefined) mem.workingSetBytes = s.memoryWorkingSetBytes;
          if (s.memoryRssBytes !== undefined) mem.rssBytes = s.memoryRssBytes;
          if (Object.keys(mem).length > 1) entry.memory = mem;
        }
        cs.push(entry);
      }
      const pod: PodStatsSummary = {
        podRef: { name: m.name ?? '', namespace: m.namespace ?? 'default', uid: m.uid ?? '' },
        startTime: view.startTime ?? cs[0]?.startTime ?? time,
        containers: cs,
      };
      const cpu = sumCpu(cs, time);
      const memory = sumMemory(cs, time);
      if (cpu) pod.cpu = cpu;
      if (memory) pod.memory = memory;
      out.push(pod);
    }
    return out;
  }
}

/** A pod's CPU is its containers' together; a rate only once every container has one. */
function sumCpu(cs: ContainerStatsSummary[], time: string): CpuStats | undefined {
  const withCpu = cs.filter((c) => c.cpu);
  if (withCpu.length === 0) return undefined;
  const out: CpuStats = { time, usageCoreNanoSeconds: withCpu.reduce((a, c) => a + (c.cpu!.usageCoreNanoSeconds ?? 0), 0) };
  if (withCpu.every((c) => c.cpu!.usageNanoCores !== undefined)) out.usageNanoCores = withCpu.reduce((a, c) => a + c.cpu!.usageNanoCores!, 0);
  return out;
}

function sumMemory(cs: ContainerStatsSummary[], time: string): MemoryStats | undefined {
  const withMem = cs.filter((c) => c.memory);
  if (withMem.length === 0) return undefined;
  const out: MemoryStats = { time };
  for (const k of ['usageBytes', 'workingSetBytes', 'rssBytes'] as const) {
    const vals = withMem.map((c) => c.memory![k]).filter((v): v is number => v !== undefined);
    if (vals.length) out[k] = vals.reduce((a, b) => a + b, 0);
  }
  return out;
}

async function fsStats(path: string, time: string): Promise<FsStats | undefined> {
  const s = await statfs(path).catch(() => undefined);
  if (!s) return undefined;
  const capacity = s.blocks * s.bsize;
  const available = s.bavail * s.bsize;
  return {
    time,
    availableBytes: available,
    capacityBytes: capacity,
    usedBytes: (s.blocks - s.bfree) * s.bsize,
    inodesFree: s.ffree,
    inodes: s.files,
    inodesUsed: s.files - s.ffree,
  };
}

/** fn over items, at most `limit` at a time, results in the order of items. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}
