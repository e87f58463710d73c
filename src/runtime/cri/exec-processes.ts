// containerd does not kill a streaming exec when its client goes away (the session ends, the
// process keeps running). berth does it as the kubelet's users expect: runc leaves every exec'd
// process a child of the container's shim (a child subreaper), beside the container's own init,
// so the new children of the shim since the exec began are the exec's; among several (concurrent
// execs) the one whose argv is the command is picked.
import { promises as fs } from 'node:fs';
import { readPseudoFile } from '../../pseudo-files/index.js';

/** The shim's children when an exec began. */
export interface ExecSnapshot {
  shimPid: number;
  initPid: number;
  before: Set<number>;
}

/** The shim's current children of the container whose init is `initPid`; undefined when unreadable. */
export async function snapshotExecs(initPid: number | undefined): Promise<ExecSnapshot | undefined> {
  if (!initPid) return undefined;
  const shimPid = await parentOf(initPid);
  if (!shimPid || shimPid <= 1) return undefined;
  return { shimPid, initPid, before: new Set(await childrenOf(shimPid)) };
}

/** SIGKILLs the exec started after `snapshot` that runs `command` (its process group too). */
export async function killExec(snapshot: ExecSnapshot, command: string[]): Promise<void> {
  const fresh = (await childrenOf(snapshot.shimPid)).filter((pid) => pid !== snapshot.initPid && !snapshot.before.has(pid));
  let targets = fresh;
  if (fresh.length > 1) {
    const wanted = command.join('\0');
    const matching: number[] = [];
    for (const pid of fresh) {
      const argv = await readPseudoFile(`/proc/${pid}/cmdline`).catch(() => '');
      if (argv.replace(/\0$/, '') === wanted) matching.push(pid);
    }
    // Several identical commands began at once: one of them is this client's, which one cannot
    // be told; killing one keeps the count right.
    targets = matching.slice(0, 1);
  }
  for (const pid of targets) {
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // not a group leader, or gone already
      }
    }
  }
}

async function parentOf(pid: number): Promise<number | undefined> {
  const stat = await readPseudoFile(`/proc/${pid}/stat`).catch(() => '');
  // The command name is in parentheses and may hold spaces: the fields after its last ')' are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(fields[1]);
  return Number.isInteger(ppid) && ppid > 0 ? ppid : undefined;
}

async function childrenOf(pid: number): Promise<number[]> {
  // /proc/<pid>/task/<tid>/children lists the children of each thread (the shim is a Go program).
  const tasks = await fs.readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
  const children = new Set<number>();
  for (const tid of tasks) {
    const text = await readPseudoFile(`/proc/${pid}/task/${tid}/children`).catch(() => '');
    for (const part of text.split(' ')) if (part.trim()) children.add(Number(part));
  }
  return [...children];
}
