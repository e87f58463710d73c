// Volume ownership for the engine runtimes' emptyDir folders.
import { promises as fs } from 'node:fs';

/**
 * fsGroup on an emptyDir, as the kubelet's volume ownership: the folder belongs to the group and
 * is setgid, so what containers create there belongs to it too. (hostPath volumes are left alone,
 * as upstream.)
 */
export async function applyFsGroup(dir: string, fsGroup: number | undefined): Promise<void> {
  if (fsGroup === undefined) return;
  const stat = await fs.stat(dir);
  await fs.chown(dir, stat.uid, fsGroup);
  await fs.chmod(dir, 0o2777);
}
