// kubectl 1.30+ port-forward (PortForwardWebsockets): a WebSocket whose subprotocol is
// `SPDY/3.1+portforward.k8s.io`, each binary message carrying SPDY bytes. Once the WebSocket is up
// the client speaks SPDY straight away (no inner HTTP upgrade), so the same port-forward session
// runs on the WebSocket as a byte stream.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { createWebSocketStream, WebSocketServer } from 'ws';
import type { PortForwardSession } from '../types.js';
import { refuseUpgrade } from './handshake.js';
import { PORT_FORWARD_PROTOCOL, servePortForward, type PortForwardOptions } from './port-forward.js';
import { SpdySession } from './session.js';

export const TUNNEL_SUBPROTOCOL = `SPDY/3.1+${PORT_FORWARD_PROTOCOL}`;

function offeredSubprotocols(req: IncomingMessage): string[] {
  return (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim()).filter((p) => p.length > 0);
}

/** Whether a WebSocket upgrade offers the SPDY tunnel subprotocol. */
export function offersTunnel(req: IncomingMessage): boolean {
  return offeredSubprotocols(req).includes(TUNNEL_SUBPROTOCOL);
}

// One server for every tunnel: noServer, so it only runs the handshake on sockets we hand it.
const tunnelServer = new WebSocketServer({
  noServer: true,
  perMessageDeflate: false,
  maxPayload: 16 * 1024 * 1024,
  handleProtocols: (protocols) => (protocols.has(TUNNEL_SUBPROTOCOL) ? TUNNEL_SUBPROTOCOL : false),
});

export function acceptTunnelledPortForward(req: IncomingMessage, socket: Duplex, head: Buffer, _ports: number[], options: PortForwardOptions = {}): Promise<PortForwardSession | undefined> {
  if (!offersTunnel(req)) {
    refuseUpgrade(socket, 400, `unable to upgrade: the WebSocket subprotocol ${TUNNEL_SUBPROTOCOL} is required for a tunnelled port-forward (offered: ${offeredSubprotocols(req).join(', ') || 'none'})`);
    return Promise.resolve(undefined);
  }
  return new Promise((resolve) => {
    // ws answers a bad handshake (no key, wrong version) with 400 itself and never calls back.
    socket.once('close', () => resolve(undefined));
    tunnelServer.handleUpgrade(req, socket, head, (ws) => {
      const bytes = createWebSocketStream(ws, { allowHalfOpen: false });
      bytes.on('error', () => {});
      resolve(servePortForward(new SpdySession(bytes, { role: 'server' }), 'websocket-spdy', req.url ?? '', options));
    });
  });
}
