// The node's own numbers from /proc, read as cAdvisor reads them for the root container when the
// root cgroup has no usage files of its own (cgroup v2): CPU from /proc/stat, memory from
// /proc/meminfo and /proc/vmstat. A second reader sums the processes of a process group, for a
// container the runtime reports nothing about (a process-runtime container without a cgroup).
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { mapLimited, PROC_SWEEP_FILES_IN_FLIGHT, readPseudoFile } from '../pseudo-files/index.js';

/** Clock ticks per second of the counters in /proc (USER_HZ): 100 on every Linux build that matters. */
const USER_HZ = 100;
const NS_PER_TICK = 1e9 / USER_HZ;
const PAGE_SIZE = 4096;

export interface NodeCpu {
  /** CPU time spent on anything but idle and iowait, all cores together, nanoseconds. */
  usageCoreNanoSeconds: number;
}

export interface NodeMemory {
  totalBytes: number;
  availableBytes: number;
  usageBytes: number;
  workingSetBytes: number;
  rssBytes: number;
  pageFaults?: number;
  majorPageFaults?: number;
}

/** Parses /proc/stat's aggregate `cpu` line. */
export function parseProcStat(text: string): NodeCpu {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) throw new Error('/proc/stat has no aggregate "cpu" line');
  // user nice system idle iowait irq softirq steal (guest time is already counted in user).
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const busy = (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0);
  return { usageCoreNanoSeconds: busy * NS_PER_TICK };
}

function keyedKiB(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([^:]+):\s+(\d+)(\s*kB)?/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]) * (m[3] ? 1024 : 1));
  }
  return out;
}

/**
 * Node memory as the kubelet reports it for the root container: usage is what is not free,
 * the working set is usage minus the inactive file cache (reclaimable at once), and "available"
 * is capacity minus the working set, the number eviction thresholds compare against.
 */
export function parseMeminfo(meminfo: string, vmstat = ''): NodeMemory {
  const m = keyedKiB(meminfo);
  const total = m.get('MemTotal');
  const free = m.get('MemFree');
  if (total === undefined || free === undefined) throw new Error('/proc/meminfo has no MemTotal or MemFree');
  const usage = total - free;
  const workingSet = Math.max(0, usage - (m.get('Inactive(file)') ?? 0));
  const mem: NodeMemory = {
    totalBytes: total,
    availableBytes: Math.max(0, total - workingSet),
    usageBytes: usage,
    workingSetBytes: workingSet,
    rssBytes: m.get('AnonPages') ?? 0,
  };
  const v = new Map(vmstat.split('\n').map((l) => l.split(' ') as [string, string]).map(([k, n]) => [k, Number(n)]));
  if (v.has('pgfault')) mem.pageFaults = v.get('pgfault')!;
  if (v.has('pgmajfault')) mem.majorPageFaults = v.get('pgmajfault')!;
  return mem;
}

export async function readNodeCpu(proc = '/proc'): Promise<NodeCpu> {
  return parseProcStat(await readPseudoFile(join(proc, 'stat')));
}

export async function readNodeMemory(proc = '/proc'): Promise<NodeMemory> {
  const [meminfo, vmstat] = await Promise.all([readPseudoFile(join(proc, 'meminfo')), readPseudoFile(join(proc, 'vmstat')).catch(() => '')]);
  return parseMeminfo(meminfo, vmstat);
}

/** The node's boot time (RFC 3339), the kubelet's node startTime. */
export async function bootTime(proc = '/proc'): Promise<string | undefined> {
  const text = await readPseudoFile(join(proc, 'stat')).catch(() => '');
  const m = /^btime (\d+)$/m.exec(text);
  return m ? new Date(Number(m[1]) * 1000).toISOString() : undefined;
}

export interface GroupUsage {
  cpuUsageNanoSeconds: number;
  rssBytes: number;
  processes: number;
}

/**
 * CPU time and resident memory of every process in each of the given process groups, from one
 * pass over /proc. A process-runtime container is its own process group (its first process
 * leads it), so this covers what it forked too. Groups with no live process are absent.
 */
export async function processGroupUsage(groups: Iterable<number>, proc = '/proc'): Promise<Map<number, GroupUsage>> {
  const wanted = new Set(groups);
  const out = new Map<number, GroupUsage>();
  if (wanted.size === 0) return out;
  const entries = await readdir(proc).catch(() => [] as string[]);
  await mapLimited(
    entries.filter((e) => /^\d+$/.test(e)),
    PROC_SWEEP_FILES_IN_FLIGHT,
    async (pid) => {
      const text = await readPseudoFile(join(proc, pid, 'stat')).catch(() => undefined);
      if (!text) return; // exited between readdir and read
      // The command name in parentheses may itself hold spaces or parentheses: fields start after the last ')'.
      const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
      // f[0] is field 3 (state): pgrp is field 5, utime 14, stime 15, rss 24.
      const pgrp = Number(f[2]);
      if (!wanted.has(pgrp)) return;
      const u = out.get(pgrp) ?? { cpuUsageNanoSeconds: 0, rssBytes: 0, processes: 0 };
      u.cpuUsageNanoSeconds += (Number(f[11]) + Number(f[12])) * NS_PER_TICK;
      u.rssBytes += Number(f[21]) * PAGE_SIZE;
      u.processes++;
      out.set(pgrp, u);
    },
  );
  return out;
}
