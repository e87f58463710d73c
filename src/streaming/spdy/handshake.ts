// The HTTP side of a SPDY upgrade, as the kubelet answers it: check the upgrade headers, pick a
// subprotocol from X-Stream-Protocol-Version, answer 101 (or 400/403 with the reason) on the socket.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

export const SPDY_UPGRADE_TOKEN = 'SPDY/3.1';
const PROTOCOL_HEADER = 'X-Stream-Protocol-Version';

/** Every value of a header Node may have joined with commas. */
function headerValues(req: IncomingMessage, name: string): string[] {
  const raw = req.headers[name.toLowerCase()];
  const joined = Array.isArray(raw) ? raw.join(',') : (raw ?? '');
  return joined
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
}

/** Writes a plain-text HTTP error on a socket that has not been upgraded, then closes it. */
export function refuseUpgrade(socket: Duplex, code: 400 | 403, message: string, extraHeaders: Array<[string, string]> = []): void {
  const reason = code === 400 ? 'Bad Request' : 'Forbidden';
  const body = `${message}\n`;
  const headers = [['Content-Type', 'text/plain; charset=utf-8'], ['X-Content-Type-Options', 'nosniff'], ['Content-Length', String(Buffer.byteLength(body))], ['Connection', 'close'], ...extraHeaders];
  socket.end(`HTTP/1.1 ${code} ${reason}\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n${body}`);
}

/** Go's %v of a string slice, so the message reads as the kubelet's does. */
function goList(values: string[]): string {
  return `[${values.join(' ')}]`;
}

/**
 * Answers a SPDY upgrade offering one of `supported` (our preference first). Returns the chosen
 * subprotocol with the socket switched to SPDY (any bytes read past the request pushed back), or
 * undefined after refusing it with the reason.
 */
export function upgradeToSpdy(req: IncomingMessage, socket: Duplex, head: Buffer, supported: readonly string[]): string | undefined {
  const connection = headerValues(req, 'connection').map((v) => v.toLowerCase());
  const upgrade = (req.headers.upgrade ?? '').trim();
  if (!connection.includes('upgrade') || upgrade.toLowerCase() !== SPDY_UPGRADE_TOKEN.toLowerCase()) {
    refuseUpgrade(socket, 400, `unable to upgrade: missing upgrade headers in request: Connection=${JSON.stringify(req.headers.connection ?? '')} Upgrade=${JSON.stringify(upgrade)}; a SPDY client sends "Connection: Upgrade" and "Upgrade: ${SPDY_UPGRADE_TOKEN}"`);
    return undefined;
  }
  const offered = headerValues(req, PROTOCOL_HEADER);
  if (offered.length === 0) {
    refuseUpgrade(socket, 400, `unable to upgrade: ${PROTOCOL_HEADER} is required (offer one of ${supported.join(', ')})`);
    return undefined;
  }
  const chosen = supported.find((p) => offered.includes(p));
  if (!chosen) {
    refuseUpgrade(
      socket,
      403,
      `unable to upgrade: unable to negotiate protocol: client supports ${goList(offered)}, server accepts ${goList([...supported])}`,
      supported.map((p) => ['X-Accepted-Stream-Protocol-Versions', p]),
    );
    return undefined;
  }
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${SPDY_UPGRADE_TOKEN}\r\n${PROTOCOL_HEADER}: ${chosen}\r\n\r\n`);
  if (head.length > 0) socket.unshift(head);
  return chosen;
}
