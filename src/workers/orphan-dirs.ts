// Folders of pods that are gone, found at agent start: the log folder of a pod under
// --pod-logs-dir (`<namespace>_<name>_<uid>`, upstream's evictPodLogsDirectories) and its volumes
// folder under <root-dir>/pods (`<uid>`, upstream's cleanupOrphanedPodDirs). A pod whose manifest
// vanished while the agent was down, or whose teardown was cut short by a kill, leaves them behind;
// only names of that exact shape are touched, so other files in those folders are left alone.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** A pod UID as Berth makes them (hex) or as a manifest may pin them (a UUID). */
const UID = '[0-9a-fA-F][0-9a-fA-F-]*';
const LOG_DIR = new RegExp(`^[^_/]+_[^_/]+_(${UID})$`);
const POD_DIR = new RegExp(`^(${UID})$`);

export interface OrphanDirs {
  podLogsDir: string;
  /** <root-dir>/pods: the engines' per-pod volumes, termination messages, /etc/hosts. */
  podsDir?: string;
}

/** Removes the folders of pods whose UID is not in `keep`; returns what it removed. */
export async function removeOrphanedPodDirs(dirs: OrphanDirs, keep: ReadonlySet<string>): Promise<string[]> {
  const removed: string[] = [];
  const sweep = async (parent: string | undefined, shape: RegExp) => {
    if (!parent) return;
    const names = await readdir(parent).catch(() => [] as string[]);
    for (const name of names) {
      const uid = shape.exec(name)?.[1];
      if (uid === undefined || keep.has(uid)) continue;
      await rm(join(parent, name), { recursive: true, force: true });
      removed.push(join(parent, name));
    }
  };
  await sweep(dirs.podLogsDir, LOG_DIR);
  await sweep(dirs.podsDir, POD_DIR);
  return removed;
}
