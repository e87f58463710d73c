// kubectl port-forward on the Docker runtime: a TCP connection to the port in the pod's network.
// A host-network pod listens on the node itself (127.0.0.1); any other pod's network is its
// sandbox container's, whose bridge address the node reaches directly (docker0 / podman's cni0
// are local interfaces), so no network namespace needs entering.
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { RuntimeError } from '../types.js';

/** How long a connection may take to be made before it counts as unreachable. */
const CONNECT_TIMEOUT_MS = 10_000;

/** Connects to `host:port` for the pod `pod`; rejects with a RuntimeError saying why it cannot. */
export function connectToPod(pod: string, host: string, port: number, signal: AbortSignal): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ host, port, timeout: CONNECT_TIMEOUT_MS });
    const onAbort = (): void => {
      socket.destroy();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('close', () => signal.removeEventListener('abort', onAbort));
    socket.once('connect', () => {
      socket.setTimeout(0);
      resolve(socket);
    });
    socket.once('timeout', () => socket.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    socket.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') {
        reject(new RuntimeError('PortForwardError', `port-forward: nothing listens on port ${port} in pod "${pod}" (${host}:${port} refused the connection)`));
      } else {
        reject(new RuntimeError('PortForwardError', `port-forward: cannot reach port ${port} of pod "${pod}" at ${host}:${port} (${err.code ?? err.message}); is the pod's network reachable from the node?`));
      }
    });
    if (signal.aborted) onAbort();
  });
}
