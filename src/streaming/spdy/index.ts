// SPDY/3.1 (as kubectl before 1.30 and kube-apiserver speak it): remote command and port-forward,
// also tunnelled inside a WebSocket (`SPDY/3.1+portforward.k8s.io`, kubectl 1.30+ port-forward).
// STUB: to be replaced by the spdy work.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { PortForwardSession, RemoteCommandRequest, RemoteCommandSession } from '../types.js';

function refuse(socket: Duplex, what: string): undefined {
  socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${what} over SPDY is not implemented yet\n`);
  return undefined;
}

export async function acceptRemoteCommand(_req: IncomingMessage, socket: Duplex, _head: Buffer, _request: RemoteCommandRequest): Promise<RemoteCommandSession | undefined> {
  return refuse(socket, 'exec/attach');
}

export async function acceptPortForward(_req: IncomingMessage, socket: Duplex, _head: Buffer, _ports: number[]): Promise<PortForwardSession | undefined> {
  return refuse(socket, 'port-forward');
}

/** Whether a WebSocket upgrade offers the SPDY tunnel subprotocol. */
export function offersTunnel(req: IncomingMessage): boolean {
  return (req.headers['sec-websocket-protocol'] ?? '').split(',').some((p) => p.trim() === 'SPDY/3.1+portforward.k8s.io');
}

export async function acceptTunnelledPortForward(_req: IncomingMessage, socket: Duplex, _head: Buffer, _ports: number[]): Promise<PortForwardSession | undefined> {
  return refuse(socket, 'port-forward tunnelled');
}
