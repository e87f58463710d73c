// Where the cgroup hierarchies are and where this process sits in them, read from
// /proc/self/mountinfo and /proc/self/cgroup. Pure parsing: the files are passed in, so a test can
// describe any machine (v1, v2, hybrid, a cgroup namespace) without having one.
import { join } from 'node:path';

/** The v1 controllers Berth uses: limits (memory, cpu), usage (cpuacct) and process counts (pids). */
export const V1_CONTROLLERS = ['memory', 'cpu', 'cpuacct', 'pids'] as const;
export type V1Controller = (typeof V1_CONTROLLERS)[number];

export interface CgroupMount {
  /** Where the hierarchy is mounted, e.g. /sys/fs/cgroup/memory. */
  mountPoint: string;
  /** The cgroup the mount shows as its root (not `/` inside a cgroup namespace or a bind mount). */
  root: string;
  fsType: 'cgroup' | 'cgroup2';
  /** v1: the controllers attached to this hierarchy (cpu and cpuacct often share one). */
  controllers: string[];
}

/** The cgroup mounts listed in a /proc/<pid>/mountinfo text. */
export function parseCgroupMounts(mountinfo: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    // "36 25 0:31 / /sys/fs/cgroup/memory rw,nosuid shared:14 - cgroup cgroup rw,memory"
    const dash = line.indexOf(' - ');
    if (dash < 0) continue;
    const before = line.slice(0, dash).split(' ');
    const after = line.slice(dash + 3).split(' ');
    const fsType = after[0];
    if (fsType !== 'cgroup' && fsType !== 'cgroup2') continue;
    const root = unescapeMountField(before[3] ?? '/');
    const mountPoint = unescapeMountField(before[4] ?? '');
    const options = (after[2] ?? '').split(',');
    const controllers = fsType === 'cgroup' ? options.filter((o) => (V1_CONTROLLERS as readonly string[]).includes(o)) : [];
    mounts.push({ mountPoint, root, fsType, controllers });
  }
  return mounts;
}

/** mountinfo escapes space, tab, newline and backslash as octal (\040). */
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** /proc/<pid>/cgroup: hierarchy controllers ("memory", "cpu,cpuacct", "" for v2) -> cgroup path. */
export function parseProcCgroup(text: string): Map<string, string> {
  const result = new Map<string, string>();
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const controllers = line.slice(first + 1, second);
    const path = line.slice(second + 1);
    if (controllers === '') result.set('', path);
    else for (const c of controllers.split(',')) result.set(c, path);
  }
  return result;
}

/**
 * The folder of cgroup `path` under a mount whose root is `mount.root`; undefined when the path is
 * outside what the mount shows.
 */
export function folderOf(mount: CgroupMount, path: string): string | undefined {
  const root = mount.root === '/' ? '' : mount.root;
  if (root && path !== root && !path.startsWith(`${root}/`)) return undefined;
  return join(mount.mountPoint, path.slice(root.length));
}
