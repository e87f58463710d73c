// SPDY/3 frames: encoding what we send and cutting what we receive into frames. Header blocks stay
// compressed here (header-compression.ts owns the zlib contexts); the session gives them meaning.
import { SpdyProtocolError } from './errors.js';

export const SPDY_VERSION = 3;

export const FrameType = {
  SYN_STREAM: 1,
  SYN_REPLY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  HEADERS: 8,
  WINDOW_UPDATE: 9,
} as const;

export const FLAG_FIN = 0x01;
/** SETTINGS id 7: the receive window each new stream starts with. */
export const SETTINGS_INITIAL_WINDOW_SIZE = 7;

export type Frame =
  | { type: 'data'; streamId: number; flags: number; data: Buffer }
  | { type: 'syn_stream'; streamId: number; associatedId: number; priority: number; flags: number; headerBlock: Buffer }
  | { type: 'syn_reply'; streamId: number; flags: number; headerBlock: Buffer }
  | { type: 'headers'; streamId: number; flags: number; headerBlock: Buffer }
  | { type: 'rst_stream'; streamId: number; status: number }
  | { type: 'settings'; settings: Map<number, number> }
  | { type: 'ping'; id: number }
  | { type: 'goaway'; lastGoodStreamId: number; status: number }
  | { type: 'window_update'; streamId: number; delta: number }
  /** A control frame type this version does not define: ignored, as the draft asks. */
  | { type: 'unknown'; frameType: number };

const STREAM_ID_MASK = 0x7fffffff;

function controlHeader(type: number, flags: number, length: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  b.writeUInt16BE(type, 2);
  b.writeUInt32BE(((flags & 0xff) << 24) | length, 4);
  return b;
}

/** The 8-byte header of a DATA frame; the payload follows it as its own buffer (no copy). */
export function dataFrameHeader(streamId: number, flags: number, length: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeUInt32BE(streamId & STREAM_ID_MASK, 0);
  b.writeUInt32BE(((flags & 0xff) << 24) | length, 4);
  return b;
}

export function encodeSynStream(streamId: number, flags: number, headerBlock: Buffer, priority = 0): Buffer {
  const body = Buffer.allocUnsafe(10);
  body.writeUInt32BE(streamId & STREAM_ID_MASK, 0);
  body.writeUInt32BE(0, 4);
  body.writeUInt8((priority & 0x7) << 5, 8);
  body.writeUInt8(0, 9);
  return Buffer.concat([controlHeader(FrameType.SYN_STREAM, flags, 10 + headerBlock.length), body, headerBlock]);
}

export function encodeSynReply(streamId: number, flags: number, headerBlock: Buffer): Buffer {
  const id = Buffer.allocUnsafe(4);
  id.writeUInt32BE(streamId & STREAM_ID_MASK, 0);
  return Buffer.concat([controlHeader(FrameType.SYN_REPLY, flags, 4 + headerBlock.length), id, headerBlock]);
}

export function encodeHeaders(streamId: number, flags: number, headerBlock: Buffer): Buffer {
  const id = Buffer.allocUnsafe(4);
  id.writeUInt32BE(streamId & STREAM_ID_MASK, 0);
  return Buffer.concat([controlHeader(FrameType.HEADERS, flags, 4 + headerBlock.length), id, headerBlock]);
}

export function encodeRstStream(streamId: number, status: number): Buffer {
  const b = controlHeader(FrameType.RST_STREAM, 0, 8);
  const body = Buffer.allocUnsafe(8);
  body.writeUInt32BE(streamId & STREAM_ID_MASK, 0);
  body.writeUInt32BE(status, 4);
  return Buffer.concat([b, body]);
}

export function encodeSettings(settings: Map<number, number>): Buffer {
  const body = Buffer.allocUnsafe(4 + 8 * settings.size);
  body.writeUInt32BE(settings.size, 0);
  let at = 4;
  for (const [id, value] of settings) {
    body.writeUInt32BE(id & 0xffffff, at); // flags byte 0: a plain value, not persisted
    body.writeUInt32BE(value >>> 0, at + 4);
    at += 8;
  }
  return Buffer.concat([controlHeader(FrameType.SETTINGS, 0, body.length), body]);
}

export function encodePing(id: number): Buffer {
  const body = Buffer.allocUnsafe(4);
  body.writeUInt32BE(id >>> 0, 0);
  return Buffer.concat([controlHeader(FrameType.PING, 0, 4), body]);
}

export function encodeGoAway(lastGoodStreamId: number, status: number): Buffer {
  const body = Buffer.allocUnsafe(8);
  body.writeUInt32BE(lastGoodStreamId & STREAM_ID_MASK, 0);
  body.writeUInt32BE(status, 4);
  return Buffer.concat([controlHeader(FrameType.GOAWAY, 0, 8), body]);
}

export function encodeWindowUpdate(streamId: number, delta: number): Buffer {
  const body = Buffer.allocUnsafe(8);
  body.writeUInt32BE(streamId & STREAM_ID_MASK, 0);
  body.writeUInt32BE(delta & STREAM_ID_MASK, 4);
  return Buffer.concat([controlHeader(FrameType.WINDOW_UPDATE, 0, 8), body]);
}

export interface FrameReaderLimits {
  /** Largest control frame payload accepted (header blocks are control frames). */
  maxControlPayload: number;
  /** Largest DATA payload accepted. */
  maxDataPayload: number;
}

export const DEFAULT_FRAME_LIMITS: FrameReaderLimits = { maxControlPayload: 64 * 1024, maxDataPayload: 1024 * 1024 };

function need(length: number, wanted: number, what: string): void {
  if (length < wanted) throw new SpdyProtocolError(`${what} frame is ${length} bytes long, at least ${wanted} expected`);
}

function exactly(length: number, wanted: number, what: string): void {
  if (length !== wanted) throw new SpdyProtocolError(`${what} frame is ${length} bytes long, ${wanted} expected`);
}

function decodeControl(type: number, flags: number, p: Buffer): Frame {
  switch (type) {
    case FrameType.SYN_STREAM:
      need(p.length, 10, 'SYN_STREAM');
      return { type: 'syn_stream', streamId: p.readUInt32BE(0) & STREAM_ID_MASK, associatedId: p.readUInt32BE(4) & STREAM_ID_MASK, priority: p.readUInt8(8) >> 5, flags, headerBlock: p.subarray(10) };
    case FrameType.SYN_REPLY:
      need(p.length, 4, 'SYN_REPLY');
      return { type: 'syn_reply', streamId: p.readUInt32BE(0) & STREAM_ID_MASK, flags, headerBlock: p.subarray(4) };
    case FrameType.HEADERS:
      need(p.length, 4, 'HEADERS');
      return { type: 'headers', streamId: p.readUInt32BE(0) & STREAM_ID_MASK, flags, headerBlock: p.subarray(4) };
    case FrameType.RST_STREAM:
      exactly(p.length, 8, 'RST_STREAM');
      return { type: 'rst_stream', streamId: p.readUInt32BE(0) & STREAM_ID_MASK, status: p.readUInt32BE(4) };
    case FrameType.SETTINGS: {
      need(p.length, 4, 'SETTINGS');
      const count = p.readUInt32BE(0);
      if (p.length !== 4 + 8 * count) throw new SpdyProtocolError(`SETTINGS frame announces ${count} entries but is ${p.length} bytes long`);
      const settings = new Map<number, number>();
      for (let i = 0; i < count; i++) settings.set(p.readUInt32BE(4 + 8 * i) & 0xffffff, p.readUInt32BE(8 + 8 * i));
      return { type: 'settings', settings };
    }
    case FrameType.PING:
      exactly(p.length, 4, 'PING');
      return { type: 'ping', id: p.readUInt32BE(0) };
    case FrameType.GOAWAY:
      exactly(p.length, 8, 'GOAWAY');
      return { type: 'goaway', lastGoodStreamId: p.readUInt32BE(0) & STREAM_ID_MASK, status: p.readUInt32BE(4) };
    case FrameType.WINDOW_UPDATE: {
      exactly(p.length, 8, 'WINDOW_UPDATE');
      const delta = p.readUInt32BE(4) & STREAM_ID_MASK;
      if (delta === 0) throw new SpdyProtocolError('WINDOW_UPDATE with a delta of 0');
      return { type: 'window_update', streamId: p.readUInt32BE(0) & STREAM_ID_MASK, delta };
    }
    default:
      return { type: 'unknown', frameType: type };
  }
}

/**
 * Cuts a byte stream into frames. Holds at most one partial frame (bounded by the limits), so a
 * peer cannot make it buffer without end. Throws SpdyProtocolError on bytes that cannot be SPDY/3.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly limits: FrameReaderLimits = DEFAULT_FRAME_LIMITS) {}

  /** Adds received bytes and returns the frames they complete. */
  push(chunk: Buffer): Frame[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const frames: Frame[] = [];
    for (;;) {
      if (this.buffered < 8) break;
      const head = this.peek(8);
      const word = head.readUInt32BE(0);
      const flags = head.readUInt8(4);
      const length = head.readUInt32BE(4) & 0xffffff;
      const control = (word & 0x80000000) !== 0;
      if (control) {
        const version = (word >>> 16) & 0x7fff;
        if (version !== SPDY_VERSION) throw new SpdyProtocolError(`control frame of SPDY version ${version}, only version ${SPDY_VERSION} is spoken here`);
        if (length > this.limits.maxControlPayload) throw new SpdyProtocolError(`control frame of ${length} bytes is larger than the ${this.limits.maxControlPayload} accepted`);
      } else if (length > this.limits.maxDataPayload) {
        throw new SpdyProtocolError(`DATA frame of ${length} bytes is larger than the ${this.limits.maxDataPayload} accepted`);
      }
      if (this.buffered < 8 + length) break;
      this.take(8);
      const payload = this.take(length);
      frames.push(control ? decodeControl(word & 0xffff, flags, payload) : { type: 'data', streamId: word & STREAM_ID_MASK, flags, data: payload });
    }
    return frames;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0]!.length >= n) return this.chunks[0]!.subarray(0, n);
    const all = Buffer.concat(this.chunks);
    this.chunks = [all];
    return all.subarray(0, n);
  }

  private take(n: number): Buffer {
    this.buffered -= n;
    if (n === 0) return Buffer.alloc(0);
    const first = this.chunks[0]!;
    if (first.length === n) {
      this.chunks.shift();
      return first;
    }
    if (first.length > n) {
      this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) {
      const c = this.chunks[0]!;
      const used = Math.min(c.length, n - at);
      c.copy(out, at, 0, used);
      at += used;
      if (used === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(used);
    }
    return out;
  }
}
