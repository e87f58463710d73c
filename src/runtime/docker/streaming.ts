// kubectl exec / attach through the Engine API (Docker, and Podman's compat API): the exec start
// and the container attach are hijacked connections (HTTP 101, then the raw streams both ways).
// Without a tty the engine multiplexes stdout and stderr with 8-byte frame headers; with one the
// bytes are the terminal's. The client's stdin ending half-closes the socket, which the engine
// passes on as the end of the process's stdin. Terminal sizes go through the resize calls.
import type { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { withStreams } from '../stream-io.js';
import { RuntimeError, type StreamIO, type TerminalSize } from '../types.js';
import { EngineError, type EngineClient } from './client.js';
import type { ContainerInspect } from './engine-types.js';
import { execError, exitCodeOf, killExec, type ExecInspect } from './exec.js';

/** How long a resize (or a kill) waits for the engine to have started the exec's process. */
const RESIZE_RETRY_MS = 3000;

/** Runs `command` in container `id` wired to `io`; resolves with its exit code. */
export async function engineExec(client: EngineClient, id: string, command: string[], io: StreamIO): Promise<number> {
  if (command.length === 0) throw new RuntimeError('ExecError', `exec: container ${id}: no command given`);
  let execId: string;
  try {
    const created = await client.call('POST', `/containers/${id}/exec`, {
      body: { AttachStdin: io.stdin !== null, AttachStdout: io.stdout !== null, AttachStderr: io.stderr !== null || io.tty, Tty: io.tty, Cmd: command },
    });
    execId = (created.body as { Id: string }).Id;
  } catch (err) {
    throw execError(err, id);
  }
  let connection: { socket: Socket; head: Buffer };
  try {
    connection = await client.hijack('POST', `/exec/${execId}/start`, { body: { Detach: false, Tty: io.tty } });
  } catch (err) {
    throw execError(err, id);
  }
  const startFailure = new StartFailureCatcher();
  const output = io.tty
    ? (chunk: Buffer) => startFailure.filter(chunk, io.stdout)
    : frameSplitter((stream, payload) => (stream === 2 ? forward(payload, io.stderr) : startFailure.filter(payload, io.stdout)));
  if (io.tty) io.onResize(resizer(client, `/exec/${execId}/resize`));
  const aborted = await pump(connection, io, output, () => killStartedExec(client, execId));
  if (aborted) return -1;
  const exitCode = await exitCodeOf(client, execId);
  const failure = startFailure.text;
  if (failure === undefined) return exitCode;
  // Docker reports a command runc could not start as 126 with runc's words in the output; as a
  // shell (and Podman) does, a command that is not there is 127, and the words are its stderr.
  const notFound = exitCode === 126 && /executable file not found|no such file or directory/i.test(failure);
  await write(io.tty ? io.stdout : (io.stderr ?? io.stdout), Buffer.from(failure.endsWith('\n') ? failure : failure + '\n'));
  return notFound ? 127 : exitCode;
}

/** Attaches `io` to container `id`'s own streams until it exits or the client goes away. */
export async function engineAttach(client: EngineClient, id: string, io: StreamIO): Promise<void> {
  const info = await client.json<ContainerInspect>('GET', `/containers/${id}/json`).catch((err: unknown) => {
    throw execError(err, id);
  });
  if (!info) throw new RuntimeError('ContainerNotFound', `attach: no container ${id} in the container engine at ${client.endpoint}`);
  if (!info.State.Running) {
    throw new RuntimeError('ContainerNotRunning', `attach: container ${id} is not running (${info.State.Status}); start it again (or wait for its restart) and retry`);
  }
  const tty = info.Config.Tty === true;
  const stdin = info.Config.OpenStdin === true ? io.stdin : null;
  let connection: { socket: Socket; head: Buffer };
  try {
    connection = await client.hijack('POST', `/containers/${id}/attach`, { query: { stream: true, stdin: stdin !== null, stdout: true, stderr: true } });
  } catch (err) {
    throw err instanceof EngineError && err.status === 409 ? new RuntimeError('ContainerNotRunning', `attach: container ${id} is not running (${err.message})`) : execError(err, id);
  }
  const output = tty ? (chunk: Buffer) => forward(chunk, io.stdout) : frameSplitter((stream, payload) => forward(payload, stream === 2 ? (io.stderr ?? io.stdout) : io.stdout));
  if (tty) io.onResize(resizer(client, `/containers/${id}/resize`));
  // A detach never stops the container: only this connection goes.
  await pump(connection, withStreams(io, { stdin }), output, () => Promise.resolve());
}

/**
 * Moves bytes until the engine ends the stream (resolves false) or the client goes away (runs
 * `kill`, drops the connection, resolves true).
 */
function pump(connection: { socket: Socket; head: Buffer }, io: StreamIO, output: (chunk: Buffer) => void, kill: () => Promise<void>): Promise<boolean> {
  const { socket, head } = connection;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (aborted: boolean): void => {
      if (settled) return;
      settled = true;
      io.signal.removeEventListener('abort', onAbort);
      if (io.stdin) io.stdin.unpipe(socket);
      socket.destroy();
      resolve(aborted);
    };
    const onAbort = (): void => {
      void kill().finally(() => finish(true));
    };
    if (io.signal.aborted) return onAbort();
    io.signal.addEventListener('abort', onAbort, { once: true });
    // A client that reads slower than the process writes holds the engine back, not berth's memory.
    const receive = (chunk: Buffer): void => {
      output(chunk);
      for (const to of [io.stdout, io.stderr]) {
        if (to?.writableNeedDrain && !socket.isPaused()) {
          socket.pause();
          to.once('drain', () => socket.resume());
        }
      }
    };
    if (head.length > 0) receive(head);
    socket.on('data', receive);
    socket.once('end', () => finish(false));
    socket.once('close', () => finish(false));
    socket.once('error', () => finish(false));
    // pipe() ends the socket's writable side when stdin ends: the engine closes the process's stdin.
    if (io.stdin) io.stdin.pipe(socket);
  });
}

/**
 * Kills the exec's process; when the client went away so early that the engine has not started
 * it yet, waits (a little) for it to start, so that it does not run on without anyone attached.
 */
async function killStartedExec(client: EngineClient, execId: string): Promise<void> {
  const until = Date.now() + RESIZE_RETRY_MS;
  while (Date.now() < until) {
    const info = await client.json<ExecInspect>('GET', `/exec/${execId}/json`).catch(() => undefined);
    if (info?.Running) return killExec(client, execId);
    if (!info || info.ExitCode !== null) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Splits the engine's multiplexed stream into frames as they arrive (1 = stdout, 2 = stderr). */
export function frameSplitter(onFrame: (stream: number, payload: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 8) {
      const length = pending.readUInt32BE(4);
      if (pending.length < 8 + length) break;
      const stream = pending[0]!;
      const payload = pending.subarray(8, 8 + length);
      pending = pending.subarray(8 + length);
      if (payload.length > 0) onFrame(stream, payload);
    }
  };
}

/**
 * Holds back the engine's "OCI runtime exec failed" words when they are the first output, so that
 * they can go to stderr instead (the command never ran, they are not its output).
 */
class StartFailureCatcher {
  text: string | undefined;
  private seen = false;

  filter(chunk: Buffer, to: Writable | null): void {
    if (!this.seen) {
      this.seen = true;
      const text = chunk.toString('utf8');
      if (/^OCI runtime exec failed/.test(text)) {
        this.text = text;
        return;
      }
    }
    if (this.text !== undefined) this.text += chunk.toString('utf8');
    else forward(chunk, to);
  }
}

function forward(chunk: Buffer, to: Writable | null): void {
  if (to && !to.destroyed) to.write(chunk);
}

function write(to: Writable | null, data: Buffer): Promise<void> {
  if (!to || to.destroyed) return Promise.resolve();
  return new Promise((resolve) => to.write(data, () => resolve()));
}

/**
 * Sends a session's sizes one after another. kubectl attach sends two at once (one row and column
 * more, then the real size, to force a redraw); sent concurrently the engine may apply them in
 * either order and leave the terminal one row and column too big.
 */
function resizer(client: EngineClient, path: string): (size: TerminalSize) => void {
  let previous = Promise.resolve();
  return (size) => {
    previous = previous.then(() => resize(client, path, size));
  };
}

/** A resize; retried while the engine has not started the process yet (it answers 409/500 then). */
async function resize(client: EngineClient, path: string, size: TerminalSize): Promise<void> {
  const until = Date.now() + RESIZE_RETRY_MS;
  for (;;) {
    try {
      await client.call('POST', path, { query: { h: size.height, w: size.width } });
      return;
    } catch (err) {
      if (Date.now() > until || !(err instanceof EngineError)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
