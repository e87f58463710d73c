// kubectl 1.30+ port-forward (PortForwardWebsockets): a WebSocket whose subprotocol is
// `SPDY/3.1+portforward.k8s.io`, each binary message carrying SPDY bytes. Once the WebSocket is up
// the client speaks SPDY straight away (no inner HTTP upgrade), so the same port-forward session
// runs on the WebSocket as a byte stream.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { PortForwardSession } from '../types.js';
import { refuseUpgrade } from './handshake.js';
import { PORT_FORWARD_PROTOCOL, servePortForward, type PortForwardOptions } from './port-forward.js';
import { pathOf } from './log.js';
import { SpdySession } from './session.js';
import { webSocketBytes } from './websocket-bytes.js';

export const TUNNEL_SUBPROTOCOL = `SPDY/3.1+${PORT_FORWARD_PROTOCOL}`;

function offeredSubprotocols(req: IncomingMessage): string[] {
  return (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim()).filter((p) => p.length > 0);
}

/** Whether a WebSocket upgrade offers the SPDY tunnel subprotocol. */
export function offersTunnel(req: IncomingMessage): boolean {
  return offeredSubprotocols(req).includes(TUNNEL_SUBPROTOCOL);
}

// One server for every tunnel: noServer, so it only runs the handshake on sockets we hand it.
// `ws` refuses the subprotocol itself ('/' is not a token character), so the offer is checked here,
// removed from the request before ws parses it, and the answer added to ws's 101 headers.
const tunnelServer = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 16 * 1024 * 1024 });
tunnelServer.on('headers', (headers) => headers.push(`Sec-WebSocket-Protocol: ${TUNNEL_SUBPROTOCOL}`));

export function acceptTunnelledPortForward(req: IncomingMessage, socket: Duplex, head: Buffer, _ports: number[], options: PortForwardOptions = {}): Promise<PortForwardSession | undefined> {
  if (!offersTunnel(req)) {
    refuseUpgrade(socket, 400, `unable to upgrade: the WebSocket subprotocol ${TUNNEL_SUBPROTOCOL} is required for a tunnelled port-forward (offered: ${offeredSubprotocols(req).join(', ') || 'none'})`);
    return Promise.resolve(undefined);
  }
  return new Promise((resolve) => {
    // ws answers a bad handshake (no key, wrong version) with 400 itself and never calls back.
    socket.once('close', () => resolve(undefined));
    const { 'sec-websocket-protocol': _checkedAbove, ...headers } = req.headers;
    const withoutOffer = Object.assign(Object.create(req) as IncomingMessage, { headers });
    tunnelServer.handleUpgrade(withoutOffer, socket, head, (ws) => {
      const bytes = webSocketBytes(ws);
      bytes.on('error', () => {});
      resolve(servePortForward(new SpdySession(bytes, { role: 'server' }), 'websocket-spdy', pathOf(req), options));
    });
  });
}
