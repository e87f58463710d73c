// port-forward over WebSocket as the kubelet serves it: the ports come from the query, each gets a
// data channel (2i) and an error channel (2i+1) in query order, and both channels open with the
// port as two bytes little-endian. One connection per port; the WebSocket closes when all are done.
import type { IncomingMessage } from 'node:http';
import { Duplex } from 'node:stream';
import type { PortForwardSession, PortForwardStream } from '../types.js';
import { ChannelConnection } from './channels.js';
import { refuse, upgrade } from './handshake.js';
import { PORT_FORWARD_PROTOCOLS } from './protocols.js';

/**
 * Two channels per port, and a channel number is one byte: '0' + n in the base64 protocol, so at
 * most 207 channels there (255 is reserved in the binary one).
 */
const MAX_PORTS = 103;

/** Why these ports cannot be forwarded, or undefined when they can. */
export function portsProblem(ports: readonly number[]): string | undefined {
  // The API server's pods/portforward takes "ports"; the kubelet's node API, which it proxies to, "port".
  if (ports.length === 0) return 'port-forward: no port to forward: give ?ports=8080 (pods/portforward) or ?port=8080 (the node API /portForward)';
  const bad = ports.find((p) => !Number.isInteger(p) || p < 1 || p > 65535);
  if (bad !== undefined) {
    const what = Number.isNaN(bad) ? 'a value that is not a number' : JSON.stringify(String(bad));
    return `port-forward: the ports asked for include ${what}; give port numbers from 1 to 65535 (e.g. ?ports=8080,9090)`;
  }
  if (ports.length > MAX_PORTS) return `port-forward: ${ports.length} ports asked for over one WebSocket; at most ${MAX_PORTS} fit (open another connection for the rest)`;
  return undefined;
}

function portBytes(port: number): Buffer {
  const bytes = Buffer.alloc(2);
  bytes.writeUInt16LE(port);
  return bytes;
}

class WebSocketPortForward implements PortForwardSession {
  readonly transport = 'websocket' as const;
  readonly protocol: string;
  private readonly conn: ChannelConnection;
  private readonly streams: PortForwardStream[];
  private readonly open = new Set<number>();
  private delivered = false;

  constructor(conn: ChannelConnection, ports: readonly number[]) {
    this.conn = conn;
    this.protocol = conn.protocol.name;
    this.streams = ports.map((port, index) => this.portStream(port, index));
  }

  get signal(): AbortSignal {
    return this.conn.signal;
  }

  onStream(listener: (stream: PortForwardStream) => void): void {
    // Every stream exists from the start; a second listener would get none (there is one consumer).
    if (this.delivered) return;
    this.delivered = true;
    for (const stream of this.streams) listener(stream);
  }

  close(): void {
    this.conn.close(1000);
  }

  private portStream(port: number, index: number): PortForwardStream {
    const dataChannel = index * 2;
    const errorChannel = dataChannel + 1;
    const conn = this.conn;
    const fromClient = conn.input(dataChannel);
    this.open.add(index);
    const done = (): void => {
      if (this.open.delete(index) && this.open.size === 0) this.close();
    };
    // The protocol cannot half-close one port toward the client, so the port is done when
    // either side ends; the WebSocket's close ends the client's side of every port.
    const data = new Duplex({
      allowHalfOpen: false,
      read: () => {
        fromClient.resume();
      },
      write: (chunk: Buffer, _encoding, callback) => conn.send(dataChannel, chunk, callback),
      final: (callback) => {
        done();
        callback();
      },
      destroy: (err, callback) => {
        fromClient.destroy();
        done();
        callback(err);
      },
    });
    fromClient.on('data', (chunk: Buffer) => {
      if (!data.push(chunk)) fromClient.pause();
    });
    fromClient.on('end', () => data.push(null));
    conn.send(dataChannel, portBytes(port));
    conn.send(errorChannel, portBytes(port));
    return {
      port,
      data,
      fail: (message: string) => {
        conn.send(errorChannel, Buffer.from(message, 'utf8'));
        data.destroy();
      },
    };
  }
}

/** Upgrades a port-forward request to a WebSocket session; undefined when it was refused. */
export async function acceptPortForward(req: IncomingMessage, socket: Duplex, head: Buffer, ports: number[]): Promise<PortForwardSession | undefined> {
  const problem = portsProblem(ports);
  if (problem) return refuse(socket, 400, problem);
  const upgraded = await upgrade(req, socket, head, PORT_FORWARD_PROTOCOLS, 'port-forward');
  if (!upgraded) return undefined;
  return new WebSocketPortForward(new ChannelConnection(upgraded.ws, upgraded.protocol, ports.length * 2), ports);
}
