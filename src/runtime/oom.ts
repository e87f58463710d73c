// Was a container's process killed by the kernel's OOM killer? Some engines cannot tell (Podman 4
// with runc on cgroup v1 reports exit code 137 with OOMKilled false), but the kernel logs every OOM
// kill with the memory cgroup of the killed task:
//   oom-kill:constraint=CONSTRAINT_MEMCG,...,oom_memcg=/libpod_parent/libpod-<id>,task_memcg=/libpod_parent/libpod-<id>,task=dd,pid=1234,uid=0
// so a cgroup path fragment that names the container (its id, or its cgroup folder) is enough.
// Reading /dev/kmsg needs root (CAP_SYSLOG); without it the answer is "not known" (false).
import { constants, promises as fs } from 'node:fs';

const KMSG = '/dev/kmsg';
/** A kmsg record is at most about 1 KiB; a larger buffer reads any. */
const RECORD_BUFFER = 8192;

/** True when the kernel log holds an OOM kill of a task whose memory cgroup path contains `fragment`. */
export async function oomKilledInCgroup(fragment: string, kmsgPath = KMSG): Promise<boolean> {
  if (!fragment) return false;
  let handle: fs.FileHandle;
  try {
    // Non-blocking: a read at the end of the log fails with EAGAIN instead of waiting for more.
    handle = await fs.open(kmsgPath, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return false;
  }
  const buffer = Buffer.alloc(RECORD_BUFFER);
  try {
    for (;;) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await handle.read(buffer, 0, buffer.length, null));
      } catch (err) {
        // EPIPE: the record was overwritten while reading; the next read goes on.
        if ((err as NodeJS.ErrnoException).code === 'EPIPE') continue;
        return false; // EAGAIN: the end of the log
      }
      if (bytesRead === 0) return false;
      // One record per read from /dev/kmsg; a plain file (tests) gives several lines at once.
      for (const record of buffer.toString('utf8', 0, bytesRead).split('\n')) {
        if (!record.includes('oom-kill:')) continue;
        const memcg = /task_memcg=([^,\s]*)/.exec(record)?.[1] ?? '';
        if (memcg.includes(fragment)) return true;
      }
    }
  } finally {
    await handle.close();
  }
}
