// streaming/: the kubelet's streaming protocols (exec, attach, port-forward) over WebSocket
// (v1..v5.channel.k8s.io, portforward.k8s.io, SPDY tunnelled in WebSocket) and SPDY/3.1, picked
// from what the client offers in the upgrade request.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import * as spdy from './spdy/index.js';
import * as websocket from './websocket/index.js';
import type { PortForwardSession, RemoteCommandRequest, RemoteCommandSession } from './types.js';

export type { PortForwardSession, PortForwardStream, RemoteCommandOutcome, RemoteCommandRequest, RemoteCommandSession } from './types.js';

/** True when the request asks to upgrade to a WebSocket (else it is SPDY, or no upgrade at all). */
function isWebSocket(req: IncomingMessage): boolean {
  return (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
}

export function acceptRemoteCommand(req: IncomingMessage, socket: Duplex, head: Buffer, request: RemoteCommandRequest): Promise<RemoteCommandSession | undefined> {
  return isWebSocket(req) ? websocket.acceptRemoteCommand(req, socket, head, request) : spdy.acceptRemoteCommand(req, socket, head, request);
}

export function acceptPortForward(req: IncomingMessage, socket: Duplex, head: Buffer, ports: number[]): Promise<PortForwardSession | undefined> {
  if (!isWebSocket(req)) return spdy.acceptPortForward(req, socket, head, ports);
  // kubectl 1.30+ tunnels SPDY inside a WebSocket; older WebSocket clients speak portforward.k8s.io.
  return spdy.offersTunnel(req) ? spdy.acceptTunnelledPortForward(req, socket, head, ports) : websocket.acceptPortForward(req, socket, head, ports);
}
