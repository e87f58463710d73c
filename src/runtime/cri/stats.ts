// Container usage through the CRI's ContainerStats RPC: the runtime reads the container's cgroup
// (cumulative CPU time, memory working set as the kubelet defines it: usage minus inactive file).
import type { ContainerStats } from '../types.js';
import { CriCallError, type CriClient } from './client.js';

interface Value {
  value: string;
}

interface StatsResponse {
  stats: {
    cpu: { timestamp: string; usageCoreNanoSeconds: Value | null } | null;
    memory: { timestamp: string; workingSetBytes: Value | null; usageBytes: Value | null; rssBytes: Value | null } | null;
  } | null;
}

/** The container's usage now; undefined when the runtime does not know the container. */
export async function criContainerStats(client: CriClient, id: string): Promise<ContainerStats | undefined> {
  let response: StatsResponse;
  try {
    response = await client.call<StatsResponse>('RuntimeService', 'ContainerStats', { containerId: id });
  } catch (err) {
    if (err instanceof CriCallError && err.notFound) return undefined;
    throw err;
  }
  const stats = response.stats;
  if (!stats) return undefined;
  const nanos = Number(stats.cpu?.timestamp ?? stats.memory?.timestamp ?? 0);
  const result: ContainerStats = { timestamp: new Date(nanos > 0 ? nanos / 1e6 : Date.now()).toISOString() };
  const cpu = number(stats.cpu?.usageCoreNanoSeconds);
  if (cpu !== undefined) result.cpuUsageNanoSeconds = cpu;
  const workingSet = number(stats.memory?.workingSetBytes);
  if (workingSet !== undefined) result.memoryWorkingSetBytes = workingSet;
  const usage = number(stats.memory?.usageBytes);
  if (usage !== undefined && usage > 0) result.memoryUsageBytes = usage;
  const rss = number(stats.memory?.rssBytes);
  if (rss !== undefined && rss > 0) result.memoryRssBytes = rss;
  return result;
}

/** A wrapped uint64 (absent: not measured). */
function number(value: Value | null | undefined): number | undefined {
  if (!value) return undefined;
  const n = Number(value.value);
  return Number.isFinite(n) ? n : undefined;
}
