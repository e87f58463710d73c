// WebSocket streaming: v1..v5.channel.k8s.io (and base64 variants) for exec/attach, and
// portforward.k8s.io for port-forward. STUB: to be replaced by the websocket work.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { PortForwardSession, RemoteCommandRequest, RemoteCommandSession } from '../types.js';

function refuse(socket: Duplex, what: string): undefined {
  socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${what} over WebSocket is not implemented yet\n`);
  return undefined;
}

export async function acceptRemoteCommand(_req: IncomingMessage, socket: Duplex, _head: Buffer, _request: RemoteCommandRequest): Promise<RemoteCommandSession | undefined> {
  return refuse(socket, 'exec/attach');
}

export async function acceptPortForward(_req: IncomingMessage, socket: Duplex, _head: Buffer, _ports: number[]): Promise<PortForwardSession | undefined> {
  return refuse(socket, 'port-forward');
}
