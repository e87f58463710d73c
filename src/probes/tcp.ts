// tcpSocket probes and hooks: healthy when a TCP connection opens within the timeout (the
// connection is closed at once; nothing is sent), as pkg/probe/tcp does.
import { connect } from 'node:net';
import type { TCPSocketAction } from 'kubernetes-types/core/v1';
import { goDialError } from './http.js';
import { hostPort, resolvePort } from './port.js';
import type { ProbeOutcome, ProbeTarget } from './types.js';

export async function probeTcp(action: TCPSocketAction, target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  let port: number;
  try {
    port = resolvePort(action.port, target.container);
  } catch (err) {
    return { result: 'unknown', output: (err as Error).message };
  }
  const host = action.host || target.podIP;
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const finish = (o: ProbeOutcome) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(o);
    };
    const timer = setTimeout(() => finish({ result: 'failure', output: `dial tcp ${hostPort(host, port)}: i/o timeout` }), Math.max(1, timeoutMs));
    socket.once('connect', () => finish({ result: 'success', output: '' }));
    socket.once('error', (err: NodeJS.ErrnoException) => finish({ result: 'failure', output: goDialError(err, new URL(`tcp://${hostPort(host, port)}`)) }));
  });
}
