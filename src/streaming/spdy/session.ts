// A SPDY/3.1 session over any Duplex (a TCP socket after the HTTP upgrade, or a WebSocket carrying
// SPDY bytes): streams, header compression, flow control, PING, GOAWAY. Server role for the node's
// endpoints; client role for tests and tools.
//
// Flow control: we always announce our windows and pay them back with WINDOW_UPDATE as the
// consumer reads. Go's spdystream (kubectl, kube-apiserver) neither sends nor honours
// WINDOW_UPDATE, so our send windows are enforced only once the peer shows it does flow control
// (it sent SETTINGS or WINDOW_UPDATE); otherwise TCP backpressure alone bounds what we buffer.
// Either way a slow consumer pauses reading from the socket, as spdystream's own reader blocks.
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { GoAwayStatus, RstStatus, SpdyProtocolError } from './errors.js';
import {
  DEFAULT_FRAME_LIMITS,
  FLAG_FIN,
  FrameReader,
  SETTINGS_INITIAL_WINDOW_SIZE,
  dataFrameHeader,
  encodeGoAway,
  encodePing,
  encodeRstStream,
  encodeSettings,
  encodeSynReply,
  encodeSynStream,
  encodeWindowUpdate,
  type Frame,
} from './frames.js';
import { HeaderCompressor, HeaderDecompressor, type SpdyHeaders } from './header-compression.js';
import { SpdyStream, type StreamOwner } from './stream.js';

/** The initial window of SPDY/3.1, for each stream and for the session. */
export const DEFAULT_WINDOW = 64 * 1024;
/** Largest DATA frame we send: small enough to interleave streams, large enough to be cheap. */
const MAX_SEND_FRAME = 32 * 1024;
/** Frames waiting for an earlier header block to decompress before reading pauses. */
const MAX_INBOX = 64;
/** How long close() waits for the peer to hang up before dropping the connection. */
const CLOSE_GRACE_MS = 10_000;

export interface SpdySessionOptions {
  role: 'server' | 'client';
  /** Our receive window per stream (sent in SETTINGS). */
  initialWindow?: number;
}

export interface SpdySessionEvents {
  /** The peer opened a stream (server role: already answered with SYN_REPLY). */
  stream: [SpdyStream];
  /** The peer sent GOAWAY: it opens no more streams. */
  goaway: [status: number];
  /** The peer broke the protocol; the session is ending (GOAWAY PROTOCOL_ERROR sent). */
  protocolError: [SpdyProtocolError];
  /** The connection is gone; every stream has been destroyed. */
  close: [];
}

export class SpdySession extends EventEmitter<SpdySessionEvents> implements StreamOwner {
  readonly role: 'server' | 'client';
  private readonly reader = new FrameReader(DEFAULT_FRAME_LIMITS);
  private readonly compressor = new HeaderCompressor();
  private readonly decompressor = new HeaderDecompressor();
  private readonly streams = new Map<number, SpdyStream>();
  private readonly receiveWindow: number;
  private peerInitialWindow = DEFAULT_WINDOW;
  private sessionSendWindow = DEFAULT_WINDOW;
  private sessionUnacknowledged = 0;
  /** True once the peer has shown it does flow control. */
  private peerFlowControl = false;
  private nextStreamId: number;
  private lastRemoteStreamId = 0;
  private nextPingId: number;
  private readonly pings = new Map<number, () => void>();
  private readonly inbox: Frame[] = [];
  private pumping = false;
  /** What currently holds reading from the socket paused (slow streams, the inbox). */
  private readonly pausers = new Set<object>();
  private readonly drainWaiters: Array<() => void> = [];
  private goneAway = false;
  private connectionEnded = false;
  private closed = false;

  constructor(
    private readonly socket: Duplex,
    options: SpdySessionOptions,
  ) {
    super();
    this.role = options.role;
    this.receiveWindow = options.initialWindow ?? DEFAULT_WINDOW;
    this.nextStreamId = this.role === 'client' ? 1 : 2;
    this.nextPingId = this.role === 'client' ? 1 : 2;
    socket.on('data', (chunk: Buffer) => this.onBytes(chunk));
    socket.on('drain', () => this.drainWaiters.splice(0).forEach((wake) => wake()));
    socket.on('close', () => this.connectionGone());
    socket.on('end', () => this.connectionGone());
    socket.on('error', () => this.connectionGone());
    this.writeFrame(encodeSettings(new Map([[SETTINGS_INITIAL_WINDOW_SIZE, this.receiveWindow]])));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Opens a stream (client role, or server push); `fin` sends no data from our side. */
  openStream(headers: SpdyHeaders, options: { fin?: boolean } = {}): SpdyStream {
    if (this.closed) throw new Error('SPDY session is closed; open a new connection');
    const id = this.nextStreamId;
    this.nextStreamId += 2;
    const stream = this.track(id, headers);
    this.writeFrame(encodeSynStream(id, options.fin ? FLAG_FIN : 0, this.compressor.compress(headers)));
    if (options.fin) {
      stream.localEnded = true;
      stream.end();
    }
    return stream;
  }

  /** Resolves when the peer answers a PING. */
  ping(): Promise<void> {
    const id = this.nextPingId;
    this.nextPingId = (this.nextPingId + 2) % 0x100000000;
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new Error('SPDY session is closed'));
      this.pings.set(id, resolve);
      this.writeFrame(encodePing(id));
    });
  }

  /** Sends GOAWAY, ends the connection once written, and drops it if the peer lingers. */
  close(): void {
    if (this.closed) return;
    if (!this.goneAway) this.writeFrame(encodeGoAway(this.lastRemoteStreamId, GoAwayStatus.OK));
    this.goneAway = true;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  /** Drops the connection now. */
  destroy(): void {
    this.socket.destroy();
    this.shutdown();
  }

  // --- StreamOwner ---

  async sendData(stream: SpdyStream, data: Buffer, fin: boolean): Promise<void> {
    let offset = 0;
    do {
      if (stream.destroyed || this.closed) throw new Error(`SPDY stream ${stream.id} is closed`);
      let allowed = Math.min(MAX_SEND_FRAME, data.length - offset);
      if (this.peerFlowControl && allowed > 0) {
        allowed = Math.min(allowed, stream.sendWindow, this.sessionSendWindow);
        if (allowed <= 0) {
          await new Promise<void>((wake) => (stream.windowWaiter = wake));
          stream.windowWaiter = undefined;
          continue;
        }
      }
      const last = offset + allowed >= data.length;
      const flags = fin && last ? FLAG_FIN : 0;
      const ok = this.writeFrame(dataFrameHeader(stream.id, flags, allowed), data.subarray(offset, offset + allowed));
      stream.sendWindow -= allowed;
      this.sessionSendWindow -= allowed;
      offset += allowed;
      if (!ok) await new Promise<void>((wake) => this.drainWaiters.push(wake));
    } while (offset < data.length);
  }

  consumed(stream: SpdyStream): void {
    if (this.pausers.delete(stream)) this.updatePause();
    if (this.closed) return;
    const half = this.receiveWindow / 2;
    if (stream.unacknowledged > 0 && !stream.remoteEnded && (stream.unacknowledged >= half || stream.readableLength === 0)) {
      this.writeFrame(encodeWindowUpdate(stream.id, stream.unacknowledged));
      stream.unacknowledged = 0;
    }
    if (this.sessionUnacknowledged >= DEFAULT_WINDOW / 2) {
      this.writeFrame(encodeWindowUpdate(0, this.sessionUnacknowledged));
      this.sessionUnacknowledged = 0;
    }
  }

  released(stream: SpdyStream, sendReset: boolean): void {
    if (this.streams.get(stream.id) !== stream) return;
    this.streams.delete(stream.id);
    if (this.pausers.delete(stream)) this.updatePause();
    if (sendReset && !this.closed) this.writeFrame(encodeRstStream(stream.id, RstStatus.CANCEL));
  }

  // --- reading ---

  private onBytes(chunk: Buffer): void {
    if (this.closed) return;
    let frames: Frame[];
    try {
      frames = this.reader.push(chunk);
    } catch (err) {
      return this.protocolFailure(err);
    }
    for (const f of frames) this.inbox.push(f);
    if (this.inbox.length > MAX_INBOX) {
      this.pausers.add(this.inbox);
      this.updatePause();
    }
    if (!this.pumping) void this.pump();
  }

  /** Handles frames strictly in order; only header blocks make it wait (their zlib context is shared). */
  private async pump(): Promise<void> {
    this.pumping = true;
    while (this.inbox.length > 0 && !this.closed) {
      const frame = this.inbox.shift()!;
      try {
        const pending = this.handle(frame);
        if (pending) await pending;
      } catch (err) {
        this.protocolFailure(err);
        break;
      }
    }
    this.pumping = false;
    if (this.pausers.delete(this.inbox)) this.updatePause();
    if (this.connectionEnded) this.shutdown();
  }

  /** The socket ended or failed: frames already read (often in the same segment as the FIN) are still handled first. */
  private connectionGone(): void {
    this.connectionEnded = true;
    if (!this.pumping) this.shutdown();
  }

  private handle(frame: Frame): Promise<void> | void {
    switch (frame.type) {
      case 'data':
        return this.onDataFrame(frame.streamId, frame.flags, frame.data);
      case 'syn_stream':
        return this.decompressor.decompress(frame.headerBlock).then((headers) => this.onSynStream(frame.streamId, frame.flags, headers));
      case 'syn_reply':
      case 'headers':
        // Their headers mean nothing to Kubernetes' protocols, but the block must still go through
        // the shared zlib context; FIN on them half-closes as on DATA.
        return this.decompressor.decompress(frame.headerBlock).then(() => {
          if (frame.flags & FLAG_FIN) this.streams.get(frame.streamId)?.deliverEnd();
        });
      case 'rst_stream': {
        const stream = this.streams.get(frame.streamId);
        if (stream) {
          stream.resetByPeer = frame.status;
          stream.emit('reset', frame.status);
          stream.destroy();
        }
        return;
      }
      case 'settings': {
        this.peerFlowControl = true;
        const window = frame.settings.get(SETTINGS_INITIAL_WINDOW_SIZE);
        if (window !== undefined) {
          const delta = window - this.peerInitialWindow;
          this.peerInitialWindow = window;
          for (const s of this.streams.values()) {
            s.sendWindow += delta;
            s.windowWaiter?.();
          }
        }
        return;
      }
      case 'window_update': {
        this.peerFlowControl = true;
        if (frame.streamId === 0) {
          this.sessionSendWindow += frame.delta;
          for (const s of this.streams.values()) s.windowWaiter?.();
        } else {
          const stream = this.streams.get(frame.streamId);
          if (stream) {
            stream.sendWindow += frame.delta;
            stream.windowWaiter?.();
          }
        }
        return;
      }
      case 'ping': {
        const ours = frame.id % 2 === this.nextPingId % 2;
        if (!ours) this.writeFrame(encodePing(frame.id));
        else {
          this.pings.get(frame.id)?.();
          this.pings.delete(frame.id);
        }
        return;
      }
      case 'goaway':
        this.goneAway = true;
        this.emit('goaway', frame.status);
        return;
      case 'unknown':
        return;
    }
  }

  private onSynStream(id: number, flags: number, headers: SpdyHeaders): void {
    const peerParity = this.role === 'server' ? 1 : 0;
    if (id === 0 || id % 2 !== peerParity || id <= this.lastRemoteStreamId) {
      this.writeFrame(encodeRstStream(id, RstStatus.PROTOCOL_ERROR));
      return;
    }
    this.lastRemoteStreamId = id;
    if (this.goneAway) {
      this.writeFrame(encodeRstStream(id, RstStatus.REFUSED_STREAM));
      return;
    }
    const stream = this.track(id, headers);
    this.writeFrame(encodeSynReply(id, 0, this.compressor.compress({})));
    if (flags & FLAG_FIN) stream.deliverEnd();
    this.emit('stream', stream);
  }

  private onDataFrame(id: number, flags: number, data: Buffer): void {
    const stream = this.streams.get(id);
    this.sessionUnacknowledged += data.length;
    if (!stream) {
      // Data racing our reset or close of the stream is normal; data for a stream never opened is not.
      if (id > Math.max(this.lastRemoteStreamId, this.nextStreamId - 2)) this.writeFrame(encodeRstStream(id, RstStatus.INVALID_STREAM));
      return;
    }
    if (stream.remoteEnded) {
      this.writeFrame(encodeRstStream(id, RstStatus.STREAM_ALREADY_CLOSED));
      stream.destroy();
      return;
    }
    if (data.length > 0 && !stream.deliver(data)) {
      this.pausers.add(stream);
      this.updatePause();
    }
    if (flags & FLAG_FIN) stream.deliverEnd();
  }

  // --- plumbing ---

  private track(id: number, headers: SpdyHeaders): SpdyStream {
    const stream = new SpdyStream(id, headers, this, this.peerInitialWindow, this.receiveWindow);
    this.streams.set(id, stream);
    return stream;
  }

  private writeFrame(head: Buffer, payload?: Buffer): boolean {
    if (this.closed || this.socket.destroyed || this.socket.writableEnded) return true;
    if (!payload || payload.length === 0) return this.socket.write(head);
    this.socket.cork();
    this.socket.write(head);
    const ok = this.socket.write(payload);
    this.socket.uncork();
    return ok;
  }

  private updatePause(): void {
    if (this.pausers.size > 0) this.socket.pause();
    else if (!this.closed) this.socket.resume();
  }

  private protocolFailure(err: unknown): void {
    const error = err instanceof SpdyProtocolError ? err : new SpdyProtocolError(String((err as Error)?.message ?? err));
    if (this.closed) return;
    this.writeFrame(encodeGoAway(this.lastRemoteStreamId, GoAwayStatus.PROTOCOL_ERROR));
    this.emit('protocolError', error);
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
    this.shutdown();
  }

  private shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    this.decompressor.close();
    for (const s of [...this.streams.values()]) {
      // A stream the peer had finished keeps what it sent until its reader has taken it all;
      // one cut short is destroyed, so its reader sees it end without 'end'.
      if (s.remoteEnded && !s.readableEnded) s.once('end', () => s.destroy());
      else s.destroy();
    }
    this.streams.clear();
    this.drainWaiters.splice(0).forEach((wake) => wake());
    this.emit('close');
  }
}
