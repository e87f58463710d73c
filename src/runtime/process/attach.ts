// `kubectl attach` on the process runtime: a client of the container's shim, which keeps the
// container's stdin (and pty) and serves <state dir>/attach.sock (see "attach" in shim.c). The
// shim outlives the agent, so a restarted agent attaches to the very same streams.
import { promises as fs } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { RuntimeError, type StreamIO } from '../types.js';

/** Frame types, as shim.c defines them. */
const FRAME = { stdin: 0, resize: 1, stdinEof: 2, wantsStdin: 3, stdout: 1, stderr: 2 } as const;
const HEADER = 5;
/** The shim's largest frame (ATTACH_FRAME_MAX). */
const FRAME_MAX = 65536;
export const ATTACH_SOCKET = 'attach.sock';

export interface AttachTarget {
  stateDir: string;
  /** For messages: namespace/pod and container. */
  describe: string;
  /** The container was started with stdin: true (the shim takes input). */
  stdin: boolean;
}

/** Resolves when the container exits (the shim closes every client) or the client goes away. */
export async function attachContainer(target: AttachTarget, io: StreamIO): Promise<void> {
  const socket = await connectShim(target);
  return new Promise<void>((resolveDone) => {
    let pending: Buffer = Buffer.alloc(0);
    const finish = (): void => {
      io.signal.removeEventListener('abort', onAbort);
      if (io.stdin) {
        io.stdin.off('data', onStdin);
        io.stdin.off('end', onStdinEnd);
      }
      socket.destroy();
      resolveDone();
    };
    const onAbort = (): void => finish();
    io.signal.addEventListener('abort', onAbort, { once: true });
    socket.once('close', finish);
    socket.on('error', () => undefined); // 'close' follows

    socket.on('data', (chunk: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length >= HEADER) {
        const length = pending.readUInt32BE(1);
        if (pending.length < HEADER + length) break;
        const type = pending[0];
        const payload = pending.subarray(HEADER, HEADER + length);
        pending = pending.subarray(HEADER + length);
        // With a tty the terminal has one stream; stderr frames only come without one.
        const to = type === FRAME.stderr && !io.tty ? io.stderr : io.stdout;
        if (to && !to.write(payload) && !socket.isPaused()) {
          socket.pause();
          to.once('drain', () => socket.resume());
        }
      }
    });

    io.onResize((size) => send(socket, FRAME.resize, Buffer.from(`${Math.trunc(size.width)} ${Math.trunc(size.height)}`)));
    const onStdin = (chunk: Buffer | string): void => {
      const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      for (let at = 0; at < data.length; at += FRAME_MAX) {
        if (!send(socket, FRAME.stdin, data.subarray(at, at + FRAME_MAX)) && io.stdin && !io.stdin.isPaused()) {
          io.stdin.pause();
          socket.once('drain', () => io.stdin?.resume());
        }
      }
    };
    const onStdinEnd = (): void => void send(socket, FRAME.stdinEof, Buffer.alloc(0));
    // A container without stdin takes no input (upstream shows its output only): stdin is not read.
    if (io.stdin && target.stdin) {
      send(socket, FRAME.wantsStdin, Buffer.alloc(0));
      io.stdin.on('data', onStdin);
      io.stdin.once('end', onStdinEnd);
    }
    if (io.signal.aborted) finish();
  });
}

function send(socket: Socket, type: number, payload: Buffer): boolean {
  if (socket.destroyed) return true;
  const header = Buffer.alloc(HEADER);
  header[0] = type;
  header.writeUInt32BE(payload.length, 1);
  socket.write(header);
  return socket.write(payload);
}

async function connectShim(target: AttachTarget): Promise<Socket> {
  // Through a descriptor of the folder: its full path can be longer than a socket address allows.
  let dir: fs.FileHandle;
  try {
    dir = await fs.open(target.stateDir, 'r');
  } catch (err) {
    throw new RuntimeError('AttachError', `attach: container ${target.describe}: its state folder ${target.stateDir} cannot be opened: ${(err as Error).message}`);
  }
  try {
    return await new Promise<Socket>((resolve, reject) => {
      const socket = connect(`/proc/self/fd/${dir.fd}/${ATTACH_SOCKET}`);
      socket.once('connect', () => {
        socket.removeAllListeners('error');
        resolve(socket);
      });
      socket.once('error', (err: NodeJS.ErrnoException) => {
        reject(
          err.code === 'ENOENT' || err.code === 'ECONNREFUSED'
            ? new RuntimeError(
                'AttachError',
                `attach: container ${target.describe} has no attach socket (${join(target.stateDir, ATTACH_SOCKET)}): ` +
                  'it was started by an older berth or its supervisor is gone; restart the container to attach to it',
              )
            : new RuntimeError('AttachError', `attach: container ${target.describe}: cannot reach its supervisor: ${err.message}`),
        );
      });
    });
  } finally {
    await dir.close();
  }
}
