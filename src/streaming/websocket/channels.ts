// Many byte streams multiplexed over one WebSocket, one channel number each, with backpressure
// both ways: output waits while the socket's queue is long, and input pauses the socket while a
// consumer is slow. Nothing is buffered without bound.
import { Readable, Writable } from 'node:stream';
import type { RawData, WebSocket } from 'ws';
import { decodeMessage, encodeMessage, type InboundMessage } from './framing.js';
import type { ChannelProtocol } from './protocols.js';

/**
 * Output waits while more than this is queued on the socket (ws's queue plus the kernel's buffer
 * as Node reports it), and input from the client pauses the socket once this much waits for a
 * slow consumer: enough to ride out a short stall, small enough to hold per connection.
 */
const MAX_QUEUED_BYTES = 1024 * 1024;

/**
 * While input is paused the socket is not read, so a client that goes away is not seen; a ping
 * this often makes the write fail once the client's side is gone, which closes the connection.
 */
const PAUSED_PROBE_MS = 5000;

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

export class ChannelConnection {
  readonly protocol: ChannelProtocol;
  private readonly ws: WebSocket;
  /** Channels 0..count-1 exist; a close signal for another one is a protocol error (as upstream). */
  private readonly channelCount: number;
  private readonly closed = new AbortController();
  private readonly readers = new Map<number, Readable>();
  private readonly handlers = new Map<number, (payload: Buffer) => void>();
  /** Readers whose consumer is behind: the socket stays paused while there is one. */
  private readonly behind = new Set<Readable>();
  private probe: NodeJS.Timeout | undefined;
  /** Messages (and a close) waiting for holdOutputUntil's promise; undefined when nothing is held. */
  private held: Array<() => void> | undefined;

  constructor(ws: WebSocket, protocol: ChannelProtocol, channelCount: number) {
    this.ws = ws;
    this.protocol = protocol;
    this.channelCount = channelCount;
    ws.on('message', (data) => this.receive(decodeMessage(toBuffer(data), protocol.codec, protocol.streamClose)));
    // Errors (a message over the size limit, a broken socket) close the connection; 'close' follows.
    ws.on('error', () => {});
    ws.on('close', () => {
      clearInterval(this.probe);
      this.closed.abort(new Error('the WebSocket connection closed'));
      for (const channel of [...this.readers.keys()]) this.endInput(channel);
    });
  }

  /** Aborted once the connection is closed, whoever closed it. */
  get signal(): AbortSignal {
    return this.closed.signal;
  }

  get isOpen(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  /** A stream of what the client sends on `channel`; it ends on the client's close of it or of the connection. */
  input(channel: number): Readable {
    const reader = new Readable({
      highWaterMark: MAX_QUEUED_BYTES,
      read: () => this.caughtUp(reader),
    });
    reader.on('close', () => this.caughtUp(reader));
    this.readers.set(channel, reader);
    return reader;
  }

  /** Whole messages the client sends on `channel` (terminal sizes are one JSON document each). */
  onMessage(channel: number, handler: (payload: Buffer) => void): void {
    this.handlers.set(channel, handler);
  }

  /** Ends the input stream of `channel` now: what the client still sends there is discarded. */
  endInput(channel: number): void {
    const reader = this.readers.get(channel);
    if (!reader) return;
    this.readers.delete(channel);
    this.caughtUp(reader);
    if (!reader.destroyed) reader.push(null);
  }

  /** A stream whose writes go to the client on `channel`; writes after the connection closed are dropped. */
  output(channel: number): Writable {
    return new Writable({
      write: (chunk: Buffer, _encoding, callback) => this.send(channel, chunk, callback),
    });
  }

  /**
   * Queues every message and the close until `ready` settles, then sends them in order. For a
   * client that cannot take data at once (see remote-command.ts); bounded by the session's
   * backpressure, as a held write's callback waits too.
   */
  holdOutputUntil(ready: Promise<unknown>): void {
    const held: Array<() => void> = [];
    this.held = held;
    const release = (): void => {
      if (this.held === held) this.held = undefined;
      for (const run of held) run();
    };
    ready.then(release, release);
  }

  /** Resolves when the client answers a ping (every WebSocket client must), or after `timeoutMs`. */
  pingAnswered(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.ws.off('pong', done);
        this.ws.off('close', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      timer.unref();
      this.ws.once('pong', done);
      this.ws.once('close', done);
      if (this.isOpen) this.ws.ping();
      else done();
    });
  }

  /** Sends one message; `done` runs once the socket's queue is short enough for the next one. */
  send(channel: number, payload: Uint8Array, done: () => void = () => {}): void {
    if (this.held) {
      this.held.push(() => this.send(channel, payload, done));
      return;
    }
    if (!this.isOpen) {
      done();
      return;
    }
    const frame = encodeMessage(channel, payload, this.protocol.codec);
    const queuedBefore = this.ws.bufferedAmount;
    this.ws.send(frame, { binary: typeof frame !== 'string' }, queuedBefore < MAX_QUEUED_BYTES ? undefined : () => done());
    if (queuedBefore < MAX_QUEUED_BYTES) done();
  }

  /** Closes after everything already sent (a WebSocket close frame, then the client's reply). */
  close(code: number, reason = ''): void {
    if (this.held) {
      this.held.push(() => this.close(code, reason));
      return;
    }
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(code, reason);
  }

  private receive(message: InboundMessage): void {
    switch (message.kind) {
      case 'data': {
        const handler = this.handlers.get(message.channel);
        if (handler) return handler(message.payload);
        const reader = this.readers.get(message.channel);
        // Channels the session does not read (stdout, the error channel, unknown numbers) are
        // ignored, as upstream ignores them.
        if (!reader || reader.destroyed || message.payload.length === 0) return;
        if (!reader.push(message.payload)) this.fallBehind(reader);
        return;
      }
      case 'close':
        if (message.channel >= this.channelCount) return this.close(1002, `stream close signal for channel ${message.channel}, which does not exist`);
        return this.endInput(message.channel);
      case 'fatal':
        this.held = undefined;
        return this.close(1002, message.reason.slice(0, 120));
      case 'empty':
      case 'dropped':
        return;
    }
  }

  private fallBehind(reader: Readable): void {
    this.behind.add(reader);
    if (this.probe || !this.isOpen) return;
    this.ws.pause();
    this.probe = setInterval(() => this.ws.ping(), PAUSED_PROBE_MS);
    this.probe.unref();
  }

  private caughtUp(reader: Readable): void {
    if (!this.behind.delete(reader) || this.behind.size > 0) return;
    clearInterval(this.probe);
    this.probe = undefined;
    this.ws.resume();
  }
}
