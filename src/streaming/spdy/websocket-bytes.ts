// kubectl's tunnelled port-forward runs SPDY on a WebSocket as on a byte stream (tunnel.ts).
import type { Duplex } from 'node:stream';
import { createWebSocketStream, type WebSocket } from 'ws';

/**
 * Bytes queued on the WebSocket (ws's queue and the socket's buffer) below which a write is done at
 * once. ws's own stream calls each write back only once the socket has taken it, one message at a
 * time: a forwarded port then moved about half the bytes per second of the v4 channel protocol.
 */
const MAX_QUEUED_BYTES = 1024 * 1024;

/**
 * The WebSocket as the byte stream the SPDY session runs on. ws's stream, with two changes: a
 * write is done while little is queued (back-pressure above `maxQueuedBytes`), and the writes the
 * session corks together (a frame's header and its payload) go out as one message, not two.
 */
export function webSocketBytes(ws: WebSocket, maxQueuedBytes = MAX_QUEUED_BYTES): Duplex {
  const bytes = createWebSocketStream(ws, { allowHalfOpen: false });
  const send = (data: Buffer, callback: (err?: Error | null) => void): void => {
    if (ws.readyState !== ws.OPEN) return callback(new Error('the WebSocket connection is closed'));
    if (ws.bufferedAmount >= maxQueuedBytes) return ws.send(data, callback);
    ws.send(data);
    callback();
  };
  bytes._write = (chunk: Buffer, _encoding, callback) => send(chunk, callback);
  bytes._writev = (chunks, callback) => send(Buffer.concat(chunks.map((c) => c.chunk as Buffer)), callback);
  return bytes;
}
