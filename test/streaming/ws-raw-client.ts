// A WebSocket client that speaks the channel protocols by hand, so tests can send what no real
// client sends (bad frames, unknown channels, oversized messages) and see every frame that comes back.
import { WebSocket } from 'ws';

export interface Frame {
  data: Buffer;
  /** true for a text frame (the base64 protocols), false for a binary one. */
  text: boolean;
}

export interface RawSession {
  ws: WebSocket;
  frames: Frame[];
  /** The close code and reason the server sent (1006 when the connection just dropped). */
  closed: Promise<{ code: number; reason: string }>;
}

/** What a refused handshake answered. */
export interface Refusal {
  status: number;
  body: string;
}

/** The exec path of the fixture's pod for `command`, with the streams asked for. */
export function execPath(command: string[], streams: { stdin?: boolean; stdout?: boolean; stderr?: boolean; tty?: boolean }): string {
  const q = new URLSearchParams();
  for (const c of command) q.append('command', c);
  q.set('container', 'c1');
  for (const [name, on] of Object.entries(streams)) if (on) q.set(name, 'true');
  return `/api/v1/namespaces/default/pods/web/exec?${q}`;
}

/** Opens a WebSocket to the fixture; rejects with the Refusal when the server does not upgrade. */
export function connectRaw(baseUrl: string, path: string, protocols: string[]): Promise<RawSession> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(baseUrl.replace(/^http/, 'ws') + path, protocols, { maxPayload: 512 * 1024 * 1024 });
    const frames: Frame[] = [];
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
    ws.on('message', (data, isBinary) => frames.push({ data: data as Buffer, text: !isBinary }));
    ws.on('error', (err) => reject(err));
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => reject({ status: res.statusCode ?? 0, body } satisfies Refusal));
    });
    ws.on('open', () => resolve({ ws, frames, closed }));
  });
}

/** The bytes received on `channel` (binary protocols), in order. */
export function channelBytes(frames: readonly Frame[], channel: number): Buffer {
  return Buffer.concat(frames.filter((f) => !f.text && f.data[0] === channel).map((f) => f.data.subarray(1)));
}

/** The same for the base64 protocols: text frames '<digit><base64>'. */
export function base64ChannelBytes(frames: readonly Frame[], channel: number): Buffer {
  return Buffer.concat(frames.filter((f) => f.text && f.data[0] === 0x30 + channel).map((f) => Buffer.from(f.data.subarray(1).toString(), 'base64')));
}

export async function waitFor(what: string, check: () => boolean, detail?: () => string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${detail ? `\n${detail()}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
