// The termination message of an exited process-runtime container, as the kubelet reads it
// (pkg/kubelet/kuberuntime: the file at terminationMessagePath, at most 4 KiB; under
// FallbackToLogsOnError, when the file is empty and the container failed, the last 80 lines /
// 2 KiB of its log).
import { promises as fs } from 'node:fs';

const MAX_MESSAGE_BYTES = 4096;
const MAX_LOG_LINES = 80;
const MAX_LOG_BYTES = 2048;

export async function terminationMessage(
  file: string | undefined,
  policy: string | undefined,
  exitCode: number | null,
  logPath: string,
): Promise<string | undefined> {
  if (file) {
    const text = await readHead(file, MAX_MESSAGE_BYTES);
    if (text) return text;
  }
  if (policy === 'FallbackToLogsOnError' && exitCode !== 0) {
    const tail = await logTail(logPath);
    if (tail) return tail;
  }
  return undefined;
}

async function readHead(path: string, limit: number): Promise<string | undefined> {
  let handle;
  try {
    handle = await fs.open(path, 'r');
    const buffer = Buffer.alloc(limit);
    const { bytesRead } = await handle.read(buffer, 0, limit, 0);
    return bytesRead > 0 ? buffer.subarray(0, bytesRead).toString('utf8') : undefined;
  } catch {
    return undefined;
  } finally {
    await handle?.close();
  }
}

/** The container's own output (CRI log lines "<time> <stream> <F|P> <text>"), last lines first cut to size. */
async function logTail(logPath: string): Promise<string | undefined> {
  let handle;
  try {
    handle = await fs.open(logPath, 'r');
    const { size } = await handle.stat();
    // Enough raw log for 80 lines of up to 2 KiB of text plus their CRI prefixes.
    const want = Math.min(size, MAX_LOG_BYTES * 4 + MAX_LOG_LINES * 64);
    const buffer = Buffer.alloc(want);
    await handle.read(buffer, 0, want, size - want);
    const lines = buffer.toString('utf8').split('\n');
    if (want < size) lines.shift(); // the first line is cut
    let text = '';
    for (const line of lines) {
      const m = /^\S+ (?:stdout|stderr) ([FP]) (.*)$/.exec(line);
      if (!m) continue;
      text += m[2]! + (m[1] === 'F' ? '\n' : '');
    }
    const kept = text.split('\n');
    if (kept[kept.length - 1] === '') kept.pop();
    let tail = kept.slice(-MAX_LOG_LINES).join('\n');
    if (tail && text.endsWith('\n')) tail += '\n';
    const bytes = Buffer.from(tail);
    return bytes.length > MAX_LOG_BYTES ? bytes.subarray(bytes.length - MAX_LOG_BYTES).toString('utf8') : tail || undefined;
  } catch {
    return undefined;
  } finally {
    await handle?.close();
  }
}
