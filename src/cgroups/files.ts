// The kernel's interface files of one container cgroup, v1 and v2: writing the limits, reading the
// usage and the OOM-kill counter. Folder layout (which controller lives where) is cgroups.ts's job.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { readPseudoFile } from '../pseudo-files/index.js';
import { CPU_PERIOD_US, sharesToWeight, type CgroupLimits } from './limits.js';

/**
 * Where one container's cgroup is. Stored with the container, so an agent that restarts (possibly
 * in another cgroup itself) still finds, reads and removes it.
 */
export interface ContainerCgroup {
  version: 1 | 2;
  /** v2: all four are the same folder. v1: one per hierarchy; cpuacct/pids when mounted. */
  memory: string;
  cpu: string;
  cpuacct?: string;
  pids?: string;
}

/** Point-in-time usage of a container, the numbers `kubectl top` and /stats/summary show. */
export interface CgroupUsage {
  /** When it was read (RFC 3339). */
  timestamp: string;
  /** Total CPU time of the container's processes, nanoseconds. */
  cpuUsageNanoSeconds?: number;
  /** Memory charged to the container, page cache included. */
  memoryUsageBytes?: number;
  /** usage minus inactive file cache: what the kubelet reports and evicts on. */
  memoryWorkingSetBytes?: number;
  /** Processes (and threads) in the container. */
  processes?: number;
}

/** The distinct folders of a container cgroup (v1 hierarchies may share one, v2 has one). */
export function folders(cg: ContainerCgroup): string[] {
  return [...new Set([cg.memory, cg.cpu, cg.cpuacct, cg.pids].filter((f): f is string => f !== undefined))];
}

/** The files a process writes "0" to, to move itself into the container's cgroup. */
export function procsFiles(cg: ContainerCgroup): string[] {
  return folders(cg).map((f) => join(f, 'cgroup.procs'));
}

/** The file holding an "oom_kill N" line: v1 memory.oom_control, v2 memory.events. */
export function oomFile(cg: ContainerCgroup): string {
  return join(cg.memory, cg.version === 1 ? 'memory.oom_control' : 'memory.events');
}

export async function writeLimits(cg: ContainerCgroup, limits: CgroupLimits): Promise<void> {
  if (cg.version === 1) {
    if (limits.memoryBytes !== undefined) {
      await write(cg.memory, 'memory.limit_in_bytes', String(limits.memoryBytes));
      // No swap beyond the limit (as the kubelet asks of runc): over the limit means OOM, not swapping.
      await writeIfPresent(cg.memory, 'memory.memsw.limit_in_bytes', String(limits.memoryBytes));
    }
    if (limits.cpuQuotaUs !== undefined) {
      await write(cg.cpu, 'cpu.cfs_period_us', String(CPU_PERIOD_US));
      await write(cg.cpu, 'cpu.cfs_quota_us', String(limits.cpuQuotaUs));
    }
    if (limits.cpuShares !== undefined) await write(cg.cpu, 'cpu.shares', String(limits.cpuShares));
    return;
  }
  if (limits.memoryBytes !== undefined) {
    await write(cg.memory, 'memory.max', String(limits.memoryBytes));
    await writeIfPresent(cg.memory, 'memory.swap.max', '0');
  }
  if (limits.cpuQuotaUs !== undefined) await write(cg.cpu, 'cpu.max', `${limits.cpuQuotaUs} ${CPU_PERIOD_US}`);
  if (limits.cpuShares !== undefined) await write(cg.cpu, 'cpu.weight', String(sharesToWeight(limits.cpuShares)));
}

export async function readUsage(cg: ContainerCgroup): Promise<CgroupUsage> {
  const usage: CgroupUsage = { timestamp: new Date().toISOString() };
  const v1 = cg.version === 1;
  const [cpu, memory, stat, pids] = await Promise.all([
    v1
      ? cg.cpuacct
        ? readNumber(cg.cpuacct, 'cpuacct.usage')
        : undefined
      : readKeyed(cg.cpu, 'cpu.stat').then((s) => (s.usage_usec === undefined ? undefined : s.usage_usec * 1000)),
    readNumber(cg.memory, v1 ? 'memory.usage_in_bytes' : 'memory.current'),
    readKeyed(cg.memory, 'memory.stat'),
    cg.pids ? readNumber(cg.pids, 'pids.current') : undefined,
  ]);
  if (cpu !== undefined) usage.cpuUsageNanoSeconds = cpu;
  if (memory !== undefined) {
    usage.memoryUsageBytes = memory;
    const inactive = (v1 ? stat.total_inactive_file : stat.inactive_file) ?? 0;
    usage.memoryWorkingSetBytes = Math.max(0, memory - inactive);
  }
  if (pids !== undefined) usage.processes = pids;
  return usage;
}

/** How many processes of the cgroup the kernel's OOM killer has killed (0 when unknown). */
export async function oomKills(cg: ContainerCgroup): Promise<number> {
  const values = await readPseudoFile(oomFile(cg)).then(parseKeyed, () => ({}) as Record<string, number>);
  return values.oom_kill ?? 0;
}

async function write(folder: string, file: string, value: string): Promise<void> {
  try {
    await fs.writeFile(join(folder, file), value);
  } catch (err) {
    throw new Error(`cannot write ${value} to ${join(folder, file)}: ${(err as Error).message}`);
  }
}

async function writeIfPresent(folder: string, file: string, value: string): Promise<void> {
  try {
    await fs.writeFile(join(folder, file), value);
  } catch (err) {
    // Absent when the kernel has no swap accounting; refused when the machine has no swap: both fine.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'EINVAL' && code !== 'EACCES' && code !== 'EPERM') throw err;
  }
}

async function readNumber(folder: string, file: string): Promise<number | undefined> {
  try {
    const n = Number((await readPseudoFile(join(folder, file))).trim());
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

async function readKeyed(folder: string, file: string): Promise<Record<string, number>> {
  try {
    return parseKeyed(await readPseudoFile(join(folder, file)));
  } catch {
    return {};
  }
}

/** "key value" lines (memory.stat, cpu.stat, memory.events, memory.oom_control). */
export function parseKeyed(text: string): Record<string, number> {
  const result: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const space = line.indexOf(' ');
    if (space <= 0) continue;
    const value = Number(line.slice(space + 1));
    if (Number.isFinite(value)) result[line.slice(0, space)] = value;
  }
  return result;
}
