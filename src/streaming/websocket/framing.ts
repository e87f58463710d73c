// One channel message on the wire. Binary protocols: [channel byte][payload]. base64 protocols:
// the character '0' + channel (a digit for channels 0-9), then the payload base64-encoded (a text
// frame). v5 adds the
// stream-close message [255][channel]. Pure functions so that bad input is easy to test.
import type { Codec } from './protocols.js';

/** v5's "this stream is closed" signal, followed by the one channel it closes. */
export const STREAM_CLOSE = 255;

export type InboundMessage =
  | { kind: 'data'; channel: number; payload: Buffer }
  | { kind: 'close'; channel: number }
  /** Empty messages carry nothing (clients send them as keep-alives). */
  | { kind: 'empty' }
  /** Dropped, as upstream drops it: the connection goes on. */
  | { kind: 'dropped'; reason: string }
  /** The connection cannot go on (upstream ends it too). */
  | { kind: 'fatal'; reason: string };

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Reads one message the client sent (text or binary frame alike, as upstream). */
export function decodeMessage(message: Buffer, codec: Codec, streamClose: boolean): InboundMessage {
  if (message.length === 0) return { kind: 'empty' };
  const first = message[0]!;
  if (streamClose && codec === 'binary' && first === STREAM_CLOSE) {
    if (message.length !== 2) return { kind: 'fatal', reason: `a stream close message must name exactly one channel, got ${message.length - 1} bytes` };
    return { kind: 'close', channel: message[1]! };
  }
  if (codec === 'binary') return { kind: 'data', channel: first, payload: message.subarray(1) };
  const channel = first - 0x30;
  if (channel < 0) return { kind: 'dropped', reason: `base64 message starts with ${JSON.stringify(String.fromCharCode(first))}, not a channel character ('0' or above)` };
  const text = message.subarray(1).toString('latin1');
  if (!BASE64.test(text)) return { kind: 'dropped', reason: `channel ${channel}: payload is not valid padded base64` };
  return { kind: 'data', channel, payload: Buffer.from(text, 'base64') };
}

/** One message for the client: a Buffer goes as a binary frame, a string as a text frame. */
export function encodeMessage(channel: number, payload: Uint8Array, codec: Codec): Buffer | string {
  if (codec === 'base64') return String.fromCharCode(0x30 + channel) + Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('base64');
  const frame = Buffer.allocUnsafe(payload.byteLength + 1);
  frame[0] = channel;
  frame.set(payload, 1);
  return frame;
}
