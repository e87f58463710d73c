// `kubectl port-forward` on the process runtime. Its pods share the node's network: a forwarded
// port is that port on the node's loopback. Containers get no network namespace of their own
// (isolation.ts makes a mount namespace only), so there is no namespace to enter here; a pod with
// its own network would need one (setns in a helper process, as the shim's --enter does for mounts).
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { RuntimeError } from '../types.js';

/** Connects to `port` on 127.0.0.1, or on [::1] when only IPv6 listens there; destroyed when `signal` aborts. */
export async function connectPodPort(podName: string, port: number, signal: AbortSignal): Promise<Duplex> {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RuntimeError('PortForwardError', `error forwarding port ${port} to pod ${podName}: the port must be a number from 1 to 65535`);
  }
  let socket: Socket;
  try {
    socket = await dial('127.0.0.1', port, signal);
  } catch (v4) {
    const code = (v4 as NodeJS.ErrnoException).code;
    if (code !== 'ECONNREFUSED' && code !== 'EADDRNOTAVAIL') throw forwardError(podName, '127.0.0.1', port, v4 as Error);
    try {
      socket = await dial('::1', port, signal);
    } catch {
      // The v4 answer is the one kubectl users know; [::1] was only a second chance.
      throw forwardError(podName, '127.0.0.1', port, v4 as Error);
    }
  }
  const onAbort = (): void => void socket.destroy();
  signal.addEventListener('abort', onAbort, { once: true });
  socket.once('close', () => signal.removeEventListener('abort', onAbort));
  if (signal.aborted) socket.destroy();
  return socket;
}

function dial(host: string, port: number, signal: AbortSignal): Promise<Socket> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(Object.assign(new Error('the client went away'), { code: 'ABORT_ERR' }));
    const socket = connect({ host, port, noDelay: true });
    const fail = (err: Error): void => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      reject(err);
    };
    const onAbort = (): void => fail(Object.assign(new Error('the client went away'), { code: 'ABORT_ERR' }));
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('error', fail);
    socket.once('connect', () => {
      signal.removeEventListener('abort', onAbort);
      socket.off('error', fail);
      resolve(socket);
    });
  });
}

/** In the kubelet's words: "error forwarding port 8080 to pod NAME: dial tcp 127.0.0.1:8080: connect: connection refused". */
function forwardError(podName: string, host: string, port: number, err: Error): RuntimeError {
  const code = (err as NodeJS.ErrnoException).code;
  const why = code === 'ECONNREFUSED' ? 'connect: connection refused' : code === 'ABORT_ERR' ? err.message : `connect: ${err.message}`;
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return new RuntimeError('PortForwardError', `error forwarding port ${port} to pod ${podName}: dial tcp ${address}: ${why}`);
}
