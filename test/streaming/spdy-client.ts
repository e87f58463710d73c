// The client side of a SPDY upgrade for tests: a real TCP connection, the HTTP upgrade request
// kubectl sends, then a client-role SpdySession on the socket.
import { connect, type Socket } from 'node:net';
import { SpdySession } from '../../src/streaming/spdy/index.js';

export interface SpdyDial {
  status: number;
  /** The response head (status line and headers), lowercased header names. */
  headers: Record<string, string>;
  /** The body of a refused upgrade. */
  body: string;
  session?: SpdySession;
  socket: Socket;
}

/** Sends the upgrade request for `path` offering `protocols`, and reads the answer. */
export function dialSpdy(baseUrl: string, path: string, protocols: string[], extraHeaders: Record<string, string> = {}): Promise<SpdyDial> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    socket.on('error', reject);
    socket.on('connect', () => {
      const lines = [`POST ${path} HTTP/1.1`, `Host: ${url.host}`, 'Connection: Upgrade', 'Upgrade: SPDY/3.1', ...protocols.map((p) => `X-Stream-Protocol-Version: ${p}`)];
      for (const [k, v] of Object.entries(extraHeaders)) lines.push(`${k}: ${v}`);
      socket.write(lines.join('\r\n') + '\r\n\r\n');
    });
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      const [statusLine = '', ...rest] = buffered.subarray(0, end).toString('latin1').split('\r\n');
      const status = Number(statusLine.split(' ')[1]);
      const headers: Record<string, string> = {};
      for (const line of rest) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim().toLowerCase();
        headers[name] = headers[name] ? `${headers[name]}, ${line.slice(colon + 1).trim()}` : line.slice(colon + 1).trim();
      }
      const after = buffered.subarray(end + 4);
      if (status !== 101) {
        let body = after.toString('utf8');
        socket.on('data', (c: Buffer) => (body += c.toString('utf8')));
        socket.on('end', () => resolve({ status, headers, body, socket }));
        return;
      }
      socket.pause();
      if (after.length > 0) socket.unshift(after);
      const session = new SpdySession(socket, { role: 'client' });
      socket.resume();
      resolve({ status, headers, body: '', session, socket });
    };
    socket.on('data', onData);
  });
}
