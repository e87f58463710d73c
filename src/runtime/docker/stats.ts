// Container usage through the Engine API's one-shot stats: cumulative CPU time, and the memory
// working set as the kubelet (cAdvisor) computes it: usage minus the inactive file cache
// (inactive_file on cgroup v2, total_inactive_file on v1), never below zero.
import type { ContainerStats } from '../types.js';
import type { EngineClient } from './client.js';

interface EngineStats {
  read?: string;
  cpu_stats?: { cpu_usage?: { total_usage?: number } };
  memory_stats?: { usage?: number; stats?: Record<string, number> };
  pids_stats?: { current?: number };
}

/** The container's usage now; undefined when the engine does not know it. */
export async function engineContainerStats(client: EngineClient, id: string): Promise<ContainerStats | undefined> {
  const body = await client.json<EngineStats | string>('GET', `/containers/${id}/stats`, { query: { stream: false, 'one-shot': true } });
  if (!body) return undefined;
  // Podman's compat service sends the JSON without a JSON content type.
  const stats: EngineStats = typeof body === 'string' ? (JSON.parse(body) as EngineStats) : body;
  const read = stats.read && !stats.read.startsWith('0001-') ? Date.parse(stats.read) : NaN;
  const result: ContainerStats = { timestamp: new Date(Number.isNaN(read) ? Date.now() : read).toISOString() };
  const cpu = stats.cpu_stats?.cpu_usage?.total_usage;
  if (typeof cpu === 'number' && cpu > 0) result.cpuUsageNanoSeconds = cpu;
  const memory = stats.memory_stats;
  if (typeof memory?.usage === 'number' && memory.usage > 0) {
    const inactive = memory.stats?.inactive_file ?? memory.stats?.total_inactive_file ?? 0;
    result.memoryUsageBytes = memory.usage;
    result.memoryWorkingSetBytes = Math.max(0, memory.usage - inactive);
    const rss = memory.stats?.rss ?? memory.stats?.total_rss ?? memory.stats?.anon;
    if (typeof rss === 'number') result.memoryRssBytes = rss;
  }
  if (typeof stats.pids_stats?.current === 'number') result.processes = stats.pids_stats.current;
  return result;
}
