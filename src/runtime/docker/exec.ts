// ExecSync through the Engine API (Docker, and Podman's compat API): create an exec, start it
// attached, demultiplex its output stream (8-byte frame headers: 1 = stdout, 2 = stderr), then
// read its exit code from the exec's inspect. The Engine has no call to kill an exec: at the
// timeout its process (a host pid: the engine runs on this node, the socket is local) is killed.
import type { IncomingMessage } from 'node:http';
import { RuntimeError, type ExecSyncResult } from '../types.js';
import { EngineError, EngineUnavailableError, type EngineClient } from './client.js';

/** Output kept per stream, as the process runtime keeps. */
const OUTPUT_LIMIT = 16 * 1024 * 1024;
/** After the stream ended, how long the exec's exit code may take to show in its inspect. */
const EXIT_CODE_WAIT_MS = 5_000;

export interface ExecInspect {
  Running: boolean;
  ExitCode: number | null;
  Pid: number;
}

export async function engineExecSync(client: EngineClient, id: string, command: string[], timeoutMs: number): Promise<ExecSyncResult> {
  if (command.length === 0) throw new RuntimeError('ExecError', `exec: container ${id}: no command given`);
  let execId: string;
  try {
    const created = await client.call('POST', `/containers/${id}/exec`, {
      body: { AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: false, Cmd: command },
    });
    execId = (created.body as { Id: string }).Id;
  } catch (err) {
    throw execError(err, id);
  }

  const deadline = Date.now() + Math.max(0, timeoutMs);
  let res: IncomingMessage;
  try {
    res = await client.stream('POST', `/exec/${execId}/start`, { body: { Detach: false, Tty: false }, headerTimeoutMs: Math.max(1, timeoutMs) });
  } catch (err) {
    if (err instanceof EngineUnavailableError && Date.now() >= deadline) {
      await killExec(client, execId);
      return { exitCode: -1, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), timedOut: true };
    }
    throw execError(err, id);
  }

  const demux = new StreamDemuxer();
  const ended = new Promise<boolean>((resolveEnded) => {
    res.on('data', (chunk: Buffer) => demux.push(chunk));
    res.once('end', () => resolveEnded(true));
    res.once('close', () => resolveEnded(true));
    res.once('error', () => resolveEnded(true));
  });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolveTimeout) => {
    timer = setTimeout(() => resolveTimeout(false), Math.max(0, deadline - Date.now()));
  });
  const finished = await Promise.race([ended, timedOut]);
  clearTimeout(timer);
  if (!finished) {
    await killExec(client, execId);
    res.destroy();
    return { exitCode: -1, stdout: demux.stdout(), stderr: demux.stderr(), timedOut: true };
  }

  const exitCode = await exitCodeOf(client, execId);
  return startFailure(exitCode, demux.stdout(), demux.stderr()) ?? { exitCode, stdout: demux.stdout(), stderr: demux.stderr(), timedOut: false };
}

/**
 * Docker reports a command runc could not start as exit code 126 with runc's message written
 * into the stdout stream; as a shell (and Podman) does, a command that is not there is 127, and
 * the message is the command's stderr.
 */
function startFailure(exitCode: number, stdout: Buffer, stderr: Buffer): ExecSyncResult | undefined {
  if (exitCode !== 126 || stdout.length > 4096) return undefined;
  const text = stdout.toString('utf8');
  if (!/^OCI runtime exec failed/.test(text)) return undefined;
  const notFound = /executable file not found|no such file or directory/i.test(text);
  return { exitCode: notFound ? 127 : 126, stdout: Buffer.alloc(0), stderr: Buffer.concat([stderr, stdout]), timedOut: false };
}

export async function exitCodeOf(client: EngineClient, execId: string): Promise<number> {
  const until = Date.now() + EXIT_CODE_WAIT_MS;
  for (;;) {
    const info = await client.json<ExecInspect>('GET', `/exec/${execId}/json`).catch(() => undefined);
    if (info && !info.Running && info.ExitCode !== null) return info.ExitCode;
    if (!info || Date.now() > until) return -1;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** SIGKILL to the exec's process, as a CRI runtime kills an ExecSync that ran past its timeout. */
export async function killExec(client: EngineClient, execId: string): Promise<void> {
  const info = await client.json<ExecInspect>('GET', `/exec/${execId}/json`).catch(() => undefined);
  if (!info?.Running || !(info.Pid > 0)) return;
  try {
    process.kill(info.Pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

export function execError(err: unknown, id: string): Error {
  if (err instanceof EngineError) {
    if (err.status === 404 || /no such container/i.test(err.message)) {
      return new RuntimeError('ContainerNotFound', `exec: no container ${id} in the container engine (${err.message})`);
    }
    if (err.status === 409 || /not running|is paused|state improper/i.test(err.message)) {
      return new RuntimeError('ContainerNotRunning', `exec: container ${id} is not running (${err.message}); a command can only run in a running container`);
    }
    return new RuntimeError('ExecError', `exec in container ${id}: ${err.message}`);
  }
  if (err instanceof EngineUnavailableError) return new RuntimeError('RuntimeUnavailable', `exec in container ${id}: ${err.message}`);
  return err as Error;
}

/** Splits the Engine's multiplexed stream (non-TTY attach/exec output) into stdout and stderr. */
export class StreamDemuxer {
  private pending: Buffer = Buffer.alloc(0);
  private readonly out: Buffer[] = [];
  private readonly err: Buffer[] = [];
  private outSize = 0;
  private errSize = 0;

  push(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= 8) {
      const length = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + length) break;
      const stream = this.pending[0];
      const payload = this.pending.subarray(8, 8 + length);
      this.pending = this.pending.subarray(8 + length);
      if (stream === 2) this.errSize = keep(this.err, this.errSize, payload);
      else this.outSize = keep(this.out, this.outSize, payload); // 1 = stdout (0 = stdin echo, not asked for)
    }
  }

  stdout(): Buffer {
    return Buffer.concat(this.out, this.outSize);
  }

  stderr(): Buffer {
    return Buffer.concat(this.err, this.errSize);
  }
}

function keep(chunks: Buffer[], size: number, payload: Buffer): number {
  if (size >= OUTPUT_LIMIT) return size;
  const part = payload.subarray(0, OUTPUT_LIMIT - size);
  chunks.push(Buffer.from(part));
  return size + part.length;
}
