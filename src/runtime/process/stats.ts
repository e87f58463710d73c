// containerStats on the process runtime: the container's cgroup counters when it has a cgroup (with
// a floor from /proc for one that joined it late, see withResidentFloor);
// otherwise the sum over its process group from /proc (CPU time of the live processes, RSS as
// the working set). Without a cgroup, processes that left the group (setsid, daemons) are not
// counted, and CPU time of processes that already exited is not either.
import { readPseudoFile } from '../../pseudo-files/index.js';
import type { CgroupUsage } from '../../cgroups/index.js';
import type { ContainerStats } from '../types.js';
import { NS_PER_TICK, sharedProcessList } from './procfs.js';

export function statsFromCgroup(usage: CgroupUsage): ContainerStats {
  const stats: ContainerStats = { timestamp: usage.timestamp };
  if (usage.cpuUsageNanoSeconds !== undefined) stats.cpuUsageNanoSeconds = usage.cpuUsageNanoSeconds;
  if (usage.memoryWorkingSetBytes !== undefined) stats.memoryWorkingSetBytes = usage.memoryWorkingSetBytes;
  if (usage.memoryUsageBytes !== undefined) stats.memoryUsageBytes = usage.memoryUsageBytes;
  if (usage.processes !== undefined) stats.processes = usage.processes;
  return stats;
}

/**
 * A cgroup's figures for a container that joined it without waiting (no limits): memory touched
 * in its first milliseconds stayed charged to the agent's cgroup, so where its process group's
 * resident memory is larger, that is the working set.
 */
export function withResidentFloor(fromCgroup: ContainerStats, fromProcesses: ContainerStats): ContainerStats {
  const resident = fromProcesses.memoryWorkingSetBytes ?? 0;
  if ((fromCgroup.memoryWorkingSetBytes ?? 0) >= resident) return fromCgroup;
  return { ...fromCgroup, memoryWorkingSetBytes: resident, memoryUsageBytes: Math.max(resident, fromCgroup.memoryUsageBytes ?? 0) };
}

/** Usage of the processes in the process group `pgrp` (the container's main pid). */
export async function statsFromProcessGroup(pgrp: number): Promise<ContainerStats> {
  const { takenAt, processes } = await sharedProcessList();
  const members = processes.filter((p) => p.pgrp === pgrp && p.state !== 'Z' && p.state !== 'X');
  const rss = await Promise.all(members.map((p) => rssBytes(p.pid)));
  const rssTotal = rss.reduce((sum, bytes) => sum + bytes, 0);
  const ticks = members.reduce((sum, p) => sum + p.utime + p.stime, 0);
  return {
    // The CPU time is as of the listing, which other containers' stats may have shared.
    timestamp: new Date(takenAt).toISOString(),
    cpuUsageNanoSeconds: Math.round(ticks * NS_PER_TICK),
    memoryWorkingSetBytes: rssTotal,
    memoryUsageBytes: rssTotal,
    memoryRssBytes: rssTotal,
    processes: members.length,
  };
}

/** VmRSS of /proc/<pid>/status (kB there); 0 for kernel threads and processes that are gone. */
async function rssBytes(pid: number): Promise<number> {
  const status = await readPseudoFile(`/proc/${pid}/status`).catch(() => '');
  const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
  return kb ? Number(kb) * 1024 : 0;
}
