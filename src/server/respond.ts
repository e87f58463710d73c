// Plain-text answers, on a response or (before an upgrade) straight on the socket.
import type { ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

export function send(res: ServerResponse, code: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(code, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

export function sendText(res: ServerResponse, code: number, text: string, headers: Record<string, string> = {}): void {
  send(res, code, 'text/plain; charset=utf-8', text.endsWith('\n') ? text : text + '\n', headers);
}

/** An HTTP error written on a socket whose request asked for an upgrade; the socket is then closed. */
export function refuseUpgrade(socket: Duplex, code: number, text: string, headers: Record<string, string> = {}): void {
  const body = text.endsWith('\n') ? text : text + '\n';
  const lines = [
    `HTTP/1.1 ${code} ${STATUS_CODES[code] ?? 'Error'}`,
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  if (socket.writable) socket.end(lines.join('\r\n') + '\r\n\r\n' + body);
  else socket.destroy();
}
