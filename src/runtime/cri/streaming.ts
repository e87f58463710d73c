// kubectl exec / attach / port-forward on a CRI runtime: the Exec, Attach and PortForward RPCs give
// a one-time URL of the runtime's streaming server, and berth connects to it as the kubelet does,
// over SPDY/3.1 (see spdy-client.ts for why not WebSocket): remote commands with the
// v4.channel.k8s.io stream protocol (streams error, stdin, stdout, stderr, resize; the exit code
// comes as a metav1.Status on the error stream), port-forward with portforward.k8s.io (an error and
// a data stream per connection, paired by requestID).
import { Duplex, type Readable, type Writable } from 'node:stream';
import { withStreams } from '../stream-io.js';
import { RuntimeError, type StreamIO } from '../types.js';
import { CriCallError, type CriClient } from './client.js';
import { killExec, snapshotExecs } from './exec-processes.js';
import { SpdyConnection, type SpdyStream } from './spdy-client.js';

const REMOTE_COMMAND_PROTOCOL = 'v4.channel.k8s.io';
const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';

interface StatusCause {
  reason?: string;
  message?: string;
}

interface Status {
  status?: string;
  message?: string;
  reason?: string;
  details?: { causes?: StatusCause[] };
}

/**
 * Runs `command` in container `id` wired to `io`; resolves with its exit code. `initPid` (the
 * container's main process on the host) lets a client that goes away take the command with it.
 */
export async function criExec(client: CriClient, id: string, command: string[], io: StreamIO, initPid: number | undefined): Promise<number> {
  if (command.length === 0) throw new RuntimeError('ExecError', `exec: container ${id}: no command given`);
  const want = wanted(io);
  const snapshot = await snapshotExecs(initPid);
  const { url } = await rpc<{ url: string }>(client, 'Exec', id, 'exec', { containerId: id, cmd: command, tty: io.tty, ...want });
  const outcome = await remoteCommand(url, io, want, () => (snapshot ? killExec(snapshot, command) : Promise.resolve()));
  const exitCode = exitCodeOf(outcome);
  if (exitCode !== undefined) return exitCode;
  // The runtime could not start the command: as a shell does, 127 for one that is not there, 126
  // for one that cannot run, with the runtime's reason where the user looks.
  const message = outcome.message ?? outcome.text;
  const reason = /executable file not found|no such file or directory/i.test(message) ? 127 : /permission denied|is a directory|exec format error/i.test(message) ? 126 : undefined;
  if (reason === undefined) throw new RuntimeError('ExecError', `exec in container ${id}: ${message}`);
  await writeTo(io.tty ? io.stdout : (io.stderr ?? io.stdout), Buffer.from(message + '\n'));
  return reason;
}

/**
 * Attaches `io` to container `id`'s own streams. `config` says how the container was made: stdin
 * is only wired when it has one, and the tty setting must be the container's.
 */
export async function criAttach(client: CriClient, id: string, io: StreamIO, config: { stdin: boolean; tty: boolean }): Promise<void> {
  const attachIo = withStreams(io, { tty: config.tty, stdin: config.stdin ? io.stdin : null });
  const want = wanted(attachIo);
  const { url } = await rpc<{ url: string }>(client, 'Attach', id, 'attach', { containerId: id, tty: config.tty, ...want });
  // A detach never stops the container: only the session goes.
  const outcome = await remoteCommand(url, attachIo, want, () => Promise.resolve());
  if (outcome.aborted || exitCodeOf(outcome) !== undefined) return;
  throw new RuntimeError('AttachError', `attach to container ${id}: ${outcome.message ?? outcome.text}`);
}

/** A connection to `port` inside the sandbox's network namespace, through the runtime. */
export async function criPortForward(client: CriClient, sandboxId: string, port: number, signal: AbortSignal): Promise<Duplex> {
  let url: string;
  try {
    url = (await client.call<{ url: string }>('RuntimeService', 'PortForward', { podSandboxId: sandboxId, port: [port] })).url;
  } catch (err) {
    throw rpcError(err, `port-forward to pod sandbox ${sandboxId}`, `pod sandbox ${sandboxId}`);
  }
  const connection = await SpdyConnection.connect(url, [PORT_FORWARD_PROTOCOL], signal);
  try {
    const headers = { port: String(port), requestID: '0' };
    const errors = await connection.openStream({ streamType: 'error', ...headers });
    errors.end();
    const data = await connection.openStream({ streamType: 'data', ...headers });
    // containerd dials the port when the data stream arrives; a failure comes as text on the error
    // stream, often after containerd has already ended the data stream. The caller gets a
    // connection whose end waits for that text: it ends cleanly when there is none and fails with
    // a RuntimeError carrying it when there is, so the client is told why instead of seeing an
    // empty reply.
    const failure = readAll(errors).then((text) => text.trim());
    const connectionToPort = new Duplex({
      read() {
        data.resume();
      },
      write(chunk: Buffer, _encoding, callback) {
        data.write(chunk, callback);
      },
      final(callback) {
        data.end();
        callback();
      },
      destroy(err, callback) {
        data.destroy();
        callback(err);
      },
    });
    data.on('data', (chunk: Buffer) => {
      if (!connectionToPort.push(chunk)) data.pause();
    });
    data.once('end', () => {
      void failure.then((text) => {
        if (text) connectionToPort.destroy(new RuntimeError('PortForwardError', `port-forward to port ${port} in pod sandbox ${sandboxId}: ${text}`));
        else connectionToPort.push(null);
      });
    });
    data.once('error', (err) => connectionToPort.destroy(err));
    connectionToPort.once('close', () => connection.close());
    signal.addEventListener('abort', () => connectionToPort.destroy(), { once: true });
    if (signal.aborted) connectionToPort.destroy();
    return connectionToPort;
  } catch (err) {
    connection.close();
    throw err;
  }
}

/** Which streams the session has: the CRI refuses stderr with a tty (the pty merges them). */
function wanted(io: Pick<StreamIO, 'stdin' | 'stdout' | 'stderr' | 'tty'>): { stdin: boolean; stdout: boolean; stderr: boolean } {
  return { stdin: io.stdin !== null, stdout: io.stdout !== null, stderr: io.stderr !== null && !io.tty };
}

interface Outcome {
  /** The error stream's text (empty: success without a word). */
  text: string;
  status?: Status;
  message?: string;
  aborted: boolean;
}

/** One remote-command session: the streams wired to `io` until the server ends them. */
async function remoteCommand(url: string, io: StreamIO, want: { stdin: boolean; stdout: boolean; stderr: boolean }, kill: () => Promise<void>): Promise<Outcome> {
  if (io.signal.aborted) return { text: '', aborted: true };
  const connection = await SpdyConnection.connect(url, [REMOTE_COMMAND_PROTOCOL], io.signal).catch((err: Error) => {
    throw new RuntimeError('StreamError', err.message);
  });
  let aborted = false;
  const abort = (): void => {
    aborted = true;
    void kill().finally(() => connection.close());
  };
  io.signal.addEventListener('abort', abort, { once: true });
  try {
    // The order the kubelet's client uses: error first, then the data streams, resize last.
    const errors = await connection.openStream({ streamType: 'error' });
    errors.end();
    const stdin = want.stdin ? await connection.openStream({ streamType: 'stdin' }) : undefined;
    const stdout = want.stdout ? await connection.openStream({ streamType: 'stdout' }) : undefined;
    const stderr = want.stderr ? await connection.openStream({ streamType: 'stderr' }) : undefined;
    const resize = io.tty ? await connection.openStream({ streamType: 'resize' }) : undefined;
    if (resize) {
      io.onResize((size) => {
        if (!resize.destroyed && !resize.writableEnded) resize.write(JSON.stringify({ Width: size.width, Height: size.height }));
      });
    }
    if (stdin && io.stdin) io.stdin.pipe(stdin);
    const [text] = await Promise.all([readAll(errors), copy(stdout, io.stdout), copy(stderr, io.stderr)]);
    if (stdin && io.stdin) io.stdin.unpipe(stdin);
    let status: Status | undefined;
    try {
      status = text.trim() ? (JSON.parse(text) as Status) : undefined;
    } catch {
      status = undefined;
    }
    return { text: text.trim(), status, message: status?.message, aborted };
  } catch (err) {
    if (aborted) return { text: '', aborted: true };
    throw new RuntimeError('StreamError', `the streaming session at ${url} failed: ${(err as Error).message}`);
  } finally {
    io.signal.removeEventListener('abort', abort);
    connection.close();
  }
}

/** The command's exit code when the status carries one (0 for success), else undefined. */
function exitCodeOf(outcome: Outcome): number | undefined {
  if (outcome.aborted) return -1;
  if (!outcome.text || outcome.status?.status === 'Success') return 0;
  if (outcome.status?.reason === 'NonZeroExitCode') {
    const cause = outcome.status.details?.causes?.find((c) => c.reason === 'ExitCode');
    const code = Number(cause?.message);
    if (Number.isInteger(code)) return code;
  }
  return undefined;
}

/** Copies a stream's data to `to` (kept open: the caller owns it), honouring its backpressure. */
function copy(from: SpdyStream | undefined, to: Writable | null): Promise<void> {
  if (!from) return Promise.resolve();
  return new Promise((resolve) => {
    from.on('data', (chunk: Buffer) => {
      if (to && !to.destroyed && !to.write(chunk)) {
        from.pause();
        to.once('drain', () => from.resume());
      }
    });
    from.once('end', () => resolve());
    from.once('close', () => resolve());
    from.once('error', () => resolve());
  });
}

function readAll(from: Readable): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    from.on('data', (chunk: Buffer) => chunks.push(chunk));
    const done = (): void => resolve(Buffer.concat(chunks).toString('utf8'));
    from.once('end', done);
    from.once('close', done);
    from.once('error', done);
  });
}

function writeTo(to: Writable | null, data: Buffer): Promise<void> {
  if (!to || to.destroyed) return Promise.resolve();
  return new Promise((resolve) => to.write(data, () => resolve()));
}

async function rpc<T>(client: CriClient, method: string, id: string, what: string, request: object): Promise<T> {
  try {
    return await client.call<T>('RuntimeService', method, request);
  } catch (err) {
    throw rpcError(err, `${what} in container ${id}`, `container ${id}`);
  }
}

function rpcError(err: unknown, what: string, subject: string): Error {
  if (!(err instanceof CriCallError)) return err as Error;
  if (err.unavailable) return new RuntimeError('RuntimeUnavailable', `${what}: the container runtime at ${err.endpoint} is not reachable (${err.details}); is containerd running?`);
  if (/not running|not in running state|CONTAINER_EXITED|CONTAINER_CREATED|not ready/i.test(err.details)) {
    return new RuntimeError('ContainerNotRunning', `${what}: ${subject} is not running (${err.details}); start it again (or wait for its restart) and retry`);
  }
  if (err.notFound) return new RuntimeError('ContainerNotFound', `${what}: no ${subject} in the container runtime at ${err.endpoint}`);
  return new RuntimeError('StreamError', `${what}: ${err.details}`);
}
