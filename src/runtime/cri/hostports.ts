// Host ports are checked before a sandbox is created. containerd's CNI portmap plugin only writes
// DNAT rules and never binds the port, so a port already taken by a node process is not reported:
// the pod runs and quietly takes the port's traffic. The kubelet's old hostport manager held the
// ports open for that reason; berth tries to bind each one once and reports a taken port clearly.
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import type { Pod } from 'kubernetes-types/core/v1';
import { RuntimeError } from '../types.js';
import type { PortMapping } from './types.js';

/** Throws CreatePodSandboxError naming the first host port that cannot be bound on this node. */
export async function checkHostPorts(pod: Pod, mappings: PortMapping[]): Promise<void> {
  for (const mapping of mappings) {
    if (mapping.protocol === 'SCTP' || !mapping.hostPort) continue;
    const host = mapping.hostIp || '0.0.0.0';
    const problem = await bindOnce(mapping.protocol, host, mapping.hostPort);
    if (!problem) continue;
    const where = fieldPath(pod, mapping);
    throw new RuntimeError(
      'CreatePodSandboxError',
      `pod "${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? ''}": host port ${mapping.hostPort}/${mapping.protocol}` +
        `${where ? ` (${where})` : ''} is already in use on this node (${host}:${mapping.hostPort}: ${problem}); ` +
        'stop what listens there or choose another hostPort',
    );
  }
}

/** undefined when the port could be bound (and was released at once), else the error code. */
function bindOnce(protocol: 'TCP' | 'UDP', host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    if (protocol === 'UDP') {
      const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
      socket.once('error', (err: NodeJS.ErrnoException) => {
        socket.close();
        resolve(err.code ?? err.message);
      });
      socket.bind({ address: host, port, exclusive: true }, () => socket.close(() => resolve(undefined)));
      return;
    }
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

function fieldPath(pod: Pod, mapping: PortMapping): string | undefined {
  const containers = pod.spec?.containers ?? [];
  for (let i = 0; i < containers.length; i++) {
    const ports = containers[i]!.ports ?? [];
    for (let j = 0; j < ports.length; j++) {
      if (ports[j]!.hostPort === mapping.hostPort && (ports[j]!.protocol ?? 'TCP') === mapping.protocol) {
        return `spec.containers[${i}].ports[${j}].hostPort`;
      }
    }
  }
  return undefined;
}
