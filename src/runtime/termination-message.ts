// Termination messages as the kubelet makes them (pkg/kubelet/kuberuntime, kubecontainer's limits
// and the status manager's per-pod budget), shared by every runtime:
//   - each container attempt gets an empty host file, world-writable (any container user may
//     write it), mounted at its terminationMessagePath (default /dev/termination-log);
//   - after the exit, the last 4096 bytes of that file are the message;
//   - under terminationMessagePolicy FallbackToLogsOnError, when the file is empty (or missing) and
//     the exit is an error of a container that did run, the message is the tail of the attempt's
//     log instead: its last 80 lines, of which the last 2048 bytes;
//   - all of a pod's messages together stay within 12 KiB: each one is cut to 12 KiB divided by
//     the pod's number of containers (init containers included).
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Container, Pod } from 'kubernetes-types/core/v1';

export const DEFAULT_TERMINATION_MESSAGE_PATH = '/dev/termination-log';
/** What is read of the container's own message file (its last bytes). */
export const MAX_CONTAINER_TERMINATION_MESSAGE_LENGTH = 4 * 1024;
/** Under FallbackToLogsOnError: at most this many log lines... */
export const MAX_CONTAINER_TERMINATION_MESSAGE_LOG_LINES = 80;
/** ...of which at most the last this many bytes. */
export const MAX_CONTAINER_TERMINATION_MESSAGE_LOG_LENGTH = 2 * 1024;
/** All messages of one pod together. */
export const MAX_POD_TERMINATION_MESSAGE_LENGTH = 12 * 1024;

/** How long a log line may be in the file: CRI splits longer output into 16 KiB partial lines. */
const TAIL_READ_BLOCK = 64 * 1024;

export interface TerminationMessageSpec {
  /** Where the container sees its message file; '' when the container has none. */
  path: string;
  fallbackToLogsOnError: boolean;
}

/** The container's terminationMessagePath and policy, with the API defaults. */
export function terminationMessageSpec(container: Container): TerminationMessageSpec {
  return {
    path: container.terminationMessagePath ?? DEFAULT_TERMINATION_MESSAGE_PATH,
    fallbackToLogsOnError: container.terminationMessagePolicy === 'FallbackToLogsOnError',
  };
}

/**
 * Creates a fresh, empty message file for one container attempt in `dir` (the kubelet's
 * <pod dir>/containers/<container name>/, one random name per attempt) and returns its path.
 * Mode 0666: the container may run as any user.
 */
export async function createTerminationMessageFile(dir: string): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  const path = join(dir, randomBytes(4).toString('hex'));
  const handle = await fs.open(path, 'wx', 0o666);
  await handle.close();
  await fs.chmod(path, 0o666); // open's mode is cut by the umask
  return path;
}

export interface TerminationMessageInput {
  /** The host file mounted at terminationMessagePath; undefined when the container had none. */
  hostFile: string | undefined;
  fallbackToLogsOnError: boolean;
  exitCode: number | undefined;
  /** The command never ran (exec failed, or the runtime could not start it): it has no logs. */
  neverRan?: boolean;
  /** The attempt's CRI-format log. */
  logPath: string;
}

/** The message the container left, as the kubelet reads it ('' when there is none). */
export async function readTerminationMessage(input: TerminationMessageInput): Promise<string> {
  const fallback = input.fallbackToLogsOnError && input.exitCode !== 0 && input.exitCode !== undefined && !input.neverRan;
  let message = '';
  if (input.hostFile) {
    try {
      message = (await readLastBytes(input.hostFile, MAX_CONTAINER_TERMINATION_MESSAGE_LENGTH)).toString('utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        return `Error on reading termination log ${input.hostFile}: ${(err as Error).message}`;
      }
    }
  }
  if (message.length > 0 || !fallback) return message;
  try {
    return await logTail(input.logPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    return `Error on reading termination message from logs: ${(err as Error).message}`;
  }
}

/** The runtime's own message (if any), then the container's: "runtime message: container message". */
export function joinMessages(runtimeMessage: string | undefined, containerMessage: string): string | undefined {
  if (!containerMessage) return runtimeMessage || undefined;
  return runtimeMessage ? `${runtimeMessage}: ${containerMessage}` : containerMessage;
}

/** The bytes each terminated message of this pod may have in its status. */
export function podTerminationMessageBudget(pod: Pod): number {
  const containers = (pod.spec?.containers?.length ?? 0) + (pod.spec?.initContainers?.length ?? 0);
  return containers > 0 ? Math.floor(MAX_POD_TERMINATION_MESSAGE_LENGTH / containers) : MAX_POD_TERMINATION_MESSAGE_LENGTH;
}

/** The message cut to `budget` bytes of UTF-8 (its first bytes, as the kubelet keeps), never mid-character. */
export function truncateTerminationMessage(message: string, budget: number): string {
  const bytes = Buffer.from(message, 'utf8');
  if (bytes.length <= budget) return message;
  let end = Math.max(0, budget);
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--; // do not split a multi-byte character
  return bytes.subarray(0, end).toString('utf8');
}

/**
 * The content of the last MAX_..._LOG_LINES lines of a CRI-format log (`<time> <stream> <P|F>
 * <text>`; P is a partial line continued by the next), of which the last MAX_..._LOG_LENGTH bytes.
 */
export async function logTail(logPath: string): Promise<string> {
  const raw = await readLastLines(logPath, MAX_CONTAINER_TERMINATION_MESSAGE_LOG_LINES);
  let text = '';
  for (const line of raw) {
    const first = line.indexOf(' ');
    const second = line.indexOf(' ', first + 1);
    const third = line.indexOf(' ', second + 1);
    if (first < 0 || second < 0) continue;
    const tag = third < 0 ? line.slice(second + 1) : line.slice(second + 1, third);
    const content = third < 0 ? '' : line.slice(third + 1);
    text += tag === 'P' ? content : `${content}\n`;
  }
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= MAX_CONTAINER_TERMINATION_MESSAGE_LOG_LENGTH) return text;
  let start = bytes.length - MAX_CONTAINER_TERMINATION_MESSAGE_LOG_LENGTH;
  while (start < bytes.length && (bytes[start]! & 0xc0) === 0x80) start++;
  return bytes.subarray(start).toString('utf8');
}

async function readLastBytes(path: string, limit: number): Promise<Buffer> {
  const handle = await fs.open(path, 'r');
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, limit);
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, size - length);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** The last `count` complete lines of a file (reading backwards in blocks, not the whole file). */
async function readLastLines(path: string, count: number): Promise<string[]> {
  const handle = await fs.open(path, 'r');
  try {
    const { size } = await handle.stat();
    let position = size;
    let tail = Buffer.alloc(0);
    let newlines = 0;
    while (position > 0 && newlines <= count) {
      const length = Math.min(TAIL_READ_BLOCK, position);
      position -= length;
      const block = Buffer.alloc(length);
      await handle.read(block, 0, length, position);
      for (const byte of block) if (byte === 0x0a) newlines++;
      tail = Buffer.concat([block, tail]);
    }
    const lines = tail.toString('utf8').split('\n');
    if (lines[lines.length - 1] === '') lines.pop(); // the file ends with a newline
    if (position > 0) lines.shift(); // cut in the middle
    return lines.slice(-count);
  } finally {
    await handle.close();
  }
}
