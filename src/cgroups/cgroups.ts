// Per-container cgroups for the process runtime: finds the hierarchy (v2 unified at the cgroup
// root, else v1 per-controller hierarchies), creates berth/<pod uid>/<container id> with the
// container's limits before the container starts, and removes it when the container goes.
//
// Placement: v1 nests berth/ under the agent's own cgroup in each hierarchy (a parent's limits
// then still bind everything berth starts). v2 forbids controllers on a cgroup that holds
// processes, so there berth/ sits at the root of the hierarchy, as the kubelet's kubepods/ does.
import { constants as fsConstants, promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import { folderOf, parseCgroupMounts, parseProcCgroup, type CgroupMount, type V1Controller } from './hierarchy.js';
import { folders, writeLimits, type ContainerCgroup } from './files.js';
import { cgroupRoomHint } from './room.js';
import type { CgroupLimits } from './limits.js';

export interface CgroupsOptions {
  /** Text of /proc/self/mountinfo and /proc/self/cgroup; read from /proc when not given (tests pass them). */
  mountinfo?: string;
  procCgroup?: string;
  /** The folder under the chosen parent; default `berth`. */
  name?: string;
}

/** Where containers' cgroups go, or why there are none. */
export type CgroupSupport =
  | { version: 1; base: Record<V1Controller, string | undefined> & { memory: string; cpu: string } }
  | { version: 2; base: string }
  | { version: 0; reason: string };

const V2_CONTROLLERS = ['memory', 'cpu', 'pids'];

/** Finds the hierarchy and makes sure berth can create cgroups in it. Never throws: version 0 says why not. */
export async function detectCgroups(options: CgroupsOptions = {}): Promise<CgroupSupport> {
  let mountinfo: string;
  let procCgroup: string;
  try {
    mountinfo = options.mountinfo ?? (await fs.readFile('/proc/self/mountinfo', 'utf8'));
    procCgroup = options.procCgroup ?? (await fs.readFile('/proc/self/cgroup', 'utf8'));
  } catch (err) {
    return { version: 0, reason: `cannot read /proc/self/mountinfo or /proc/self/cgroup: ${(err as Error).message}` };
  }
  const name = options.name ?? 'berth';
  const mounts = parseCgroupMounts(mountinfo);
  const own = parseProcCgroup(procCgroup);
  const byController = (c: string): CgroupMount | undefined => mounts.find((m) => m.fsType === 'cgroup' && m.controllers.includes(c));

  const memory = byController('memory');
  const unified = mounts.find((m) => m.fsType === 'cgroup2');
  // v2 only when no v1 hierarchy holds the memory controller: a hybrid machine (this project's
  // CI) has an empty cgroup2 at /sys/fs/cgroup/unified next to the v1 controllers.
  if (!memory && unified) return prepareV2(unified, name);
  if (!memory) return { version: 0, reason: 'no cgroup filesystem is mounted (neither cgroup2 nor a v1 memory hierarchy); mount one at /sys/fs/cgroup' };
  const cpu = byController('cpu');
  if (!cpu) return { version: 0, reason: 'cgroup v1 without the cpu controller: mount it (e.g. at /sys/fs/cgroup/cpu,cpuacct)' };

  const base = (c: V1Controller, mount: CgroupMount | undefined): string | undefined => {
    if (!mount) return undefined;
    return folderOf(mount, own.get(c) ?? '/') ?? mount.mountPoint;
  };
  const folderFor = (c: V1Controller): string | undefined => {
    const b = base(c, byController(c));
    return b === undefined ? undefined : join(b, name);
  };
  const result = {
    memory: folderFor('memory')!,
    cpu: folderFor('cpu')!,
    cpuacct: folderFor('cpuacct'),
    pids: folderFor('pids'),
  };
  for (const folder of new Set(Object.values(result).filter((f): f is string => f !== undefined))) {
    const problem = await makeFolder(folder);
    if (problem) return { version: 0, reason: problem };
  }
  return { version: 1, base: result };
}

async function prepareV2(mount: CgroupMount, name: string): Promise<CgroupSupport> {
  const root = mount.mountPoint;
  let available: string[];
  try {
    available = (await fs.readFile(join(root, 'cgroup.controllers'), 'utf8')).trim().split(/\s+/);
  } catch (err) {
    return { version: 0, reason: `cannot read ${join(root, 'cgroup.controllers')}: ${(err as Error).message}` };
  }
  const missing = V2_CONTROLLERS.filter((c) => !available.includes(c));
  if (missing.includes('memory') || missing.includes('cpu')) {
    return {
      version: 0,
      reason: `the cgroup v2 hierarchy at ${root} does not offer the ${missing.join(', ')} controller(s) (cgroup.controllers: "${available.join(' ')}"); ` +
        'delegate them to this cgroup or boot with them enabled',
    };
  }
  const base = join(root, name);
  const problem = (await enableControllers(root, available)) ?? (await makeFolder(base)) ?? (await enableControllers(base, available));
  return problem ? { version: 0, reason: problem } : { version: 2, base };
}

/** Enables memory/cpu/pids for the children of `folder` (cgroup.subtree_control). */
async function enableControllers(folder: string, available: string[]): Promise<string | undefined> {
  const file = join(folder, 'cgroup.subtree_control');
  const wanted = V2_CONTROLLERS.filter((c) => available.includes(c));
  try {
    const enabled = (await fs.readFile(file, 'utf8')).trim().split(/\s+/);
    const todo = wanted.filter((c) => !enabled.includes(c));
    if (todo.length > 0) await fs.writeFile(file, todo.map((c) => `+${c}`).join(' '));
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'EBUSY'
        ? `${folder} holds processes itself, and cgroup v2 gives controllers only to cgroups without processes; run berth in a child cgroup of it`
        : `${(err as Error).message}${permissionHint(code)}`;
    return `cannot enable the ${wanted.join(', ')} controllers in ${file}: ${why}`;
  }
}

async function makeFolder(folder: string): Promise<string | undefined> {
  try {
    await fs.mkdir(folder, { recursive: true });
    // It may exist already (made by an earlier berth as root): berth must be able to add to it.
    await fs.access(folder, fsConstants.W_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return `cannot create the cgroup ${folder}: ${(err as Error).message}${permissionHint(code)}`;
  }
}

function permissionHint(code: string | undefined): string {
  if (code === 'EACCES' || code === 'EPERM') {
    return ` (berth runs as uid ${process.getuid?.() ?? '?'}; run it as root, or delegate a cgroup to its user)`;
  }
  if (code === 'EROFS') return ' (the cgroup filesystem is mounted read-only, as inside an unprivileged container)';
  return '';
}

/** mkdir -p of each folder, at once; a failure says why when the cause is known (`base`: where to clean up). */
async function makeFolders(paths: string[], base: string): Promise<void> {
  try {
    await Promise.all(paths.map((folder) => fs.mkdir(folder, { recursive: true })));
  } catch (err) {
    const hint = permissionHint((err as NodeJS.ErrnoException).code) || cgroupRoomHint(await fs.readFile('/proc/cgroups', 'utf8').catch(() => ''), base);
    throw new Error(`${(err as Error).message}${hint}`);
  }
}

/** Creates the cgroup of one container and writes its limits; the shim moves the container into it. */
export async function createContainerCgroup(
  support: Exclude<CgroupSupport, { version: 0 }>,
  podUid: string,
  containerId: string,
  limits: CgroupLimits,
): Promise<ContainerCgroup> {
  const leaf = join(safeName(podUid), containerId);
  let cg: ContainerCgroup;
  if (support.version === 2) {
    const podFolder = join(support.base, safeName(podUid));
    await makeFolders([podFolder], support.base);
    const available = (await fs.readFile(join(podFolder, 'cgroup.controllers'), 'utf8')).trim().split(/\s+/);
    const problem = await enableControllers(podFolder, available);
    if (problem) throw new Error(problem);
    const folder = join(support.base, leaf);
    cg = { version: 2, memory: folder, cpu: folder, cpuacct: folder, pids: folder };
  } else {
    const b = support.base;
    cg = { version: 1, memory: join(b.memory, leaf), cpu: join(b.cpu, leaf) };
    if (b.cpuacct) cg.cpuacct = join(b.cpuacct, leaf);
    if (b.pids) cg.pids = join(b.pids, leaf);
  }
  // In parallel: on the start path of every container, each mkdir is a thread-pool round trip.
  await makeFolders(folders(cg), dirname(dirname(cg.memory)));
  try {
    await writeLimits(cg, limits);
  } catch (err) {
    await removeContainerCgroup(cg);
    throw err;
  }
  return cg;
}

/**
 * Removes a container's cgroup (and its pod's folder once empty). Idempotent; a cgroup that still
 * holds a process stays (rmdir says EBUSY) and the error is returned for the caller to log.
 */
export async function removeContainerCgroup(cg: ContainerCgroup): Promise<Error | undefined> {
  let failure: Error | undefined;
  for (const folder of folders(cg)) {
    try {
      await fs.rmdir(folder);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') failure ??= err as Error;
      continue;
    }
    // The pod's folder goes with its last container; other containers of the pod keep it busy.
    await fs.rmdir(dirname(folder)).catch(() => undefined);
  }
  return failure;
}

/** Pod UIDs are safe already; a path separator or dot-name must still never escape the base. */
function safeName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_.-]/g, '_');
  return cleaned === '' || cleaned === '.' || cleaned === '..' ? `pod_${cleaned.length}` : cleaned;
}

export function describeSupport(support: CgroupSupport): string {
  if (support.version === 2) return `cgroups: v2 (unified), container cgroups under ${support.base}`;
  if (support.version === 1) {
    const where = Object.entries(support.base)
      .filter(([, f]) => f !== undefined)
      .map(([c, f]) => `${c}=${f}`)
      .join(' ');
    return `cgroups: v1, container cgroups under ${where}`;
  }
  return `cgroups: not usable (${support.reason}); resource limits of process-runtime containers are not enforced`;
}
