// Answers the WebSocket upgrade with the `ws` package once the subprotocol is settled, or refuses
// it with an HTTP error that says what was wrong. Never throws for a bad client.
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { negotiate, offeredProtocols, protocolNames, type ChannelProtocol } from './protocols.js';

/**
 * The largest message a client may send (upstream's WebSocket library allows 32 MiB too). Clients
 * send far less (kubectl 32 KiB of stdin at a time, the Python client 1 MiB of port-forward data);
 * a larger message ends the connection with close code 1009.
 */
export const MAX_MESSAGE_BYTES = 32 * 1024 * 1024;

export interface Upgraded<P extends ChannelProtocol> {
  ws: WebSocket;
  protocol: P;
}

/** Writes an HTTP error with a one-line reason on a socket that was never upgraded, and closes it. */
export function refuse(socket: Duplex, code: number, reason: string): undefined {
  const body = `${reason}\n`;
  if (socket.writable) {
    socket.end(
      `HTTP/1.1 ${code} ${STATUS_CODES[code] ?? 'Error'}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  } else {
    socket.destroy();
  }
  return undefined;
}

/**
 * Upgrades to a WebSocket speaking one of `supported`. A client offering none of them gets 403
 * (as upstream's handshake answers) naming what it offered and what would work; a malformed
 * handshake gets ws's own answer (400, or 405 for a method other than GET, with the reason).
 * A closing connection waits ws's 30 s for the client's close frame: queued output goes first and
 * the queue is bounded (channels.ts), so only a client that neither reads nor closes is cut off.
 */
export function upgrade<P extends ChannelProtocol>(req: IncomingMessage, socket: Duplex, head: Buffer, supported: readonly P[], what: string): Promise<Upgraded<P> | undefined> {
  const offered = offeredProtocols(req.headers['sec-websocket-protocol']);
  const protocol = negotiate(offered, supported);
  if (!protocol) {
    return Promise.resolve(
      refuse(socket, 403, `${what}: none of the offered WebSocket subprotocols (${offered.join(', ')}) is supported; offer one of: ${protocolNames(supported)}`),
    );
  }
  if (socket.destroyed) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    let settled = false;
    const settle = (value: Upgraded<P> | undefined): void => {
      if (settled) return;
      settled = true;
      socket.off('close', onSocketClose);
      resolve(value);
    };
    // A refused handshake (ws answers it) and a socket gone mid-handshake both end here.
    const onSocketClose = (): void => settle(undefined);
    socket.once('close', onSocketClose);
    const server = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: MAX_MESSAGE_BYTES,
      handleProtocols: () => protocol.name,
    });
    server.handleUpgrade(req, socket, head, (ws) => {
      if (settled) {
        ws.terminate();
        return;
      }
      settle({ ws, protocol });
    });
  });
}
