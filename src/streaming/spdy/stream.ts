// One SPDY stream as a Node Duplex: what the peer sends arrives on the readable side (its FIN ends
// it), what we write leaves as DATA frames (ending it sends FIN), destroying it resets it. Flow
// control and framing are the session's; the stream only tracks its own windows.
import { Duplex } from 'node:stream';
import type { SpdyHeaders } from './header-compression.js';

/** What a stream needs from its session. */
export interface StreamOwner {
  /** Sends `data` as DATA frames within the windows; resolves when the socket has taken it. */
  sendData(stream: SpdyStream, data: Buffer, fin: boolean): Promise<void>;
  /** The consumer read what was pushed: the session may pay back the window and resume reading. */
  consumed(stream: SpdyStream): void;
  /** The stream is gone (both sides closed, or reset): forget it; `reset` says whether to tell the peer. */
  released(stream: SpdyStream, sendReset: boolean): void;
}

export class SpdyStream extends Duplex {
  /** Bytes we may still send before the peer's next WINDOW_UPDATE (when it does flow control). */
  sendWindow: number;
  /** Bytes pushed to the consumer that the peer has not been given back in a WINDOW_UPDATE. */
  unacknowledged = 0;
  /** The peer sent FIN: no more data comes. */
  remoteEnded = false;
  /** We sent FIN. */
  localEnded = false;
  /** Set when the peer reset the stream (RST_STREAM status). */
  resetByPeer: number | undefined;
  /** Wakes a writer waiting for window. */
  windowWaiter: (() => void) | undefined;

  constructor(
    readonly id: number,
    /** The SYN_STREAM's headers (on the server: what the client asked for). */
    readonly headers: SpdyHeaders,
    private readonly owner: StreamOwner,
    sendWindow: number,
    highWaterMark: number,
  ) {
    super({ allowHalfOpen: true, readableHighWaterMark: highWaterMark, writableHighWaterMark: highWaterMark });
    this.sendWindow = sendWindow;
  }

  /** The value of one header the peer sent (names are lowercase on the wire). */
  header(name: string): string | undefined {
    return this.headers[name.toLowerCase()];
  }

  override _read(): void {
    this.owner.consumed(this);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.owner.sendData(this, chunk, false).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.resetByPeer !== undefined) return callback();
    this.owner.sendData(this, Buffer.alloc(0), true).then(() => {
      this.localEnded = true;
      if (this.remoteEnded) this.owner.released(this, false);
      callback();
    }, callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const clean = this.localEnded && this.remoteEnded;
    this.owner.released(this, !clean && this.resetByPeer === undefined);
    if (this.windowWaiter) this.windowWaiter();
    callback(error);
  }

  /** Delivers the peer's data; false means the consumer is behind. */
  deliver(data: Buffer): boolean {
    this.unacknowledged += data.length;
    return this.push(data);
  }

  /** The peer's FIN. */
  deliverEnd(): void {
    if (this.remoteEnded) return;
    this.remoteEnded = true;
    this.push(null);
    if (this.localEnded) this.owner.released(this, false);
  }
}
