// A small SPDY/3.1 client: just enough to talk to a CRI runtime's streaming server (containerd's,
// built on the kubelet's cri/streaming package) as the kubelet does. SPDY, not WebSocket, because
// containerd 1.6 serves remote commands over WebSocket only up to v4.channel.k8s.io, which has no
// way to tell the server that stdin ended (`echo hi | kubectl exec -i POD -- cat` would never
// finish); a SPDY stream is half-closed with a FIN.
//
// What it does: the HTTP upgrade, SYN_STREAM with a zlib-compressed header block (one compression
// context per connection, as the protocol requires), DATA frames both ways, FIN, RST_STREAM, PING
// answers, GOAWAY. What it leaves out: server-initiated streams (the streaming server opens none),
// reading the servers' header blocks (nothing in them is needed), flow control windows (the
// kubelet's SPDY stack does not enforce them).
import { request as httpRequest } from 'node:http';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { constants as zlibConstants, createDeflate, type Deflate } from 'node:zlib';

const VERSION = 3;
const TYPE_SYN_STREAM = 1;
const TYPE_SYN_REPLY = 2;
const TYPE_RST_STREAM = 3;
const TYPE_PING = 6;
const TYPE_GOAWAY = 7;
const FLAG_FIN = 0x01;
/** RST_STREAM status CANCEL. */
const RST_CANCEL = 5;
/** Largest DATA payload sent in one frame (the format allows 16 MB; small frames keep latency low). */
const MAX_DATA_FRAME = 32 * 1024;

/** The header compression dictionary of SPDY/3 (draft-mbelshe-httpbis-spdy-00, section 2.6.10.1). */
export const HEADER_DICTIONARY: Buffer = (() => {
  const words = [
    'options', 'head', 'post', 'put', 'delete', 'trace', 'accept', 'accept-charset', 'accept-encoding', 'accept-language',
    'accept-ranges', 'age', 'allow', 'authorization', 'cache-control', 'connection', 'content-base', 'content-encoding',
    'content-language', 'content-length', 'content-location', 'content-md5', 'content-range', 'content-type', 'date', 'etag',
    'expect', 'expires', 'from', 'host', 'if-match', 'if-modified-since', 'if-none-match', 'if-range', 'if-unmodified-since',
    'last-modified', 'location', 'max-forwards', 'pragma', 'proxy-authenticate', 'proxy-authorization', 'range', 'referer',
    'retry-after', 'server', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'user-agent', 'vary', 'via', 'warning',
    'www-authenticate', 'method', 'get', 'status', '200 OK', 'version', 'HTTP/1.1', 'url', 'public', 'set-cookie', 'keep-alive', 'origin',
  ];
  const tail =
    '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505' +
    '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized' +
    '403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable' +
    'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT' +
    'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,' +
    'text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.';
  const parts: Buffer[] = [];
  for (const word of words) {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(word.length);
    parts.push(length, Buffer.from(word, 'latin1'));
  }
  parts.push(Buffer.from(tail, 'latin1'));
  return Buffer.concat(parts);
})();

/** The upgrade failed: the server's status and its own words. */
export class SpdyUpgradeError extends Error {
  constructor(
    readonly url: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`the streaming server at ${url} refused the SPDY/3.1 upgrade: HTTP ${status} ${body.trim()}`);
    this.name = 'SpdyUpgradeError';
  }
}

/** One SPDY stream: writing sends DATA frames, end() sends FIN; reading yields the peer's DATA. */
export class SpdyStream extends Duplex {
  /** The peer sent its FIN (or reset the stream). */
  remoteClosed = false;

  constructor(
    private readonly connection: SpdyConnection,
    readonly id: number,
  ) {
    super({ allowHalfOpen: true });
    // A connection that dies destroys its streams with the cause; a stream nobody reads errors from
    // (a resize stream, an error stream already read) must not take the agent down with it.
    this.on('error', () => undefined);
  }

  override _read(): void {
    this.connection.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.connection.sendData(this.id, chunk, false, callback);
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.connection.sendData(this.id, Buffer.alloc(0), true, callback);
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    if (!this.remoteClosed || !this.writableFinished) this.connection.reset(this.id);
    callback(err);
  }

  /** Data from the peer; false when the reader wants no more for now (the socket pauses). */
  deliver(data: Buffer): boolean {
    return this.push(data);
  }

  remoteEnd(): void {
    if (this.remoteClosed) return;
    this.remoteClosed = true;
    this.push(null);
  }
}

/** One client connection to a SPDY/3.1 server, after the HTTP upgrade. */
export class SpdyConnection {
  /** The protocol the server chose from those offered (X-Stream-Protocol-Version). */
  readonly protocol: string;
  private readonly streams = new Map<number, SpdyStream>();
  private readonly replies = new Map<number, () => void>();
  private readonly deflate: Deflate;
  /** SYN_STREAMs go out one at a time: they share one compression context, in order. */
  private synQueue: Promise<unknown> = Promise.resolve();
  private nextId = 1;
  private pending: Buffer = Buffer.alloc(0);
  private closed = false;

  private constructor(
    private readonly socket: Socket,
    protocol: string,
    head: Buffer,
  ) {
    this.protocol = protocol;
    this.deflate = createDeflate({ dictionary: HEADER_DICTIONARY });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('close', () => this.shutdown(new Error('the streaming server closed the connection')));
    socket.on('error', (err) => this.shutdown(err));
    if (head.length > 0) this.receive(head);
  }

  /** POSTs the upgrade to `url` offering `protocols`; resolves once the server switched to SPDY. */
  static connect(url: string, protocols: string[], signal?: AbortSignal): Promise<SpdyConnection> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(url, {
        method: 'POST',
        headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': protocols, 'Content-Length': 0 },
        signal,
      });
      req.once('upgrade', (res, socket, head) => {
        const chosen = res.headers['x-stream-protocol-version'];
        resolve(new SpdyConnection(socket, (Array.isArray(chosen) ? chosen[0] : chosen) ?? '', head));
      });
      req.once('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.once('end', () => reject(new SpdyUpgradeError(url, res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'))));
      });
      req.once('error', (err) => reject(new Error(`cannot reach the streaming server at ${url}: ${err.message}`)));
      req.end();
    });
  }

  /** Opens a stream with these headers and waits for the server's SYN_REPLY. */
  openStream(headers: Record<string, string>): Promise<SpdyStream> {
    const run = this.synQueue.then(async () => {
      if (this.closed) throw new Error('the SPDY connection is closed');
      const id = this.nextId;
      this.nextId += 2;
      const stream = new SpdyStream(this, id);
      this.streams.set(id, stream);
      const replied = new Promise<void>((resolveReply) => this.replies.set(id, resolveReply));
      const block = await this.compress(headers);
      const body = Buffer.alloc(10);
      body.writeUInt32BE(id & 0x7fffffff, 0);
      body.writeUInt32BE(0, 4);
      body.writeUInt16BE(0, 8);
      this.socket.write(controlFrame(TYPE_SYN_STREAM, 0, Buffer.concat([body, block])));
      return { stream, replied };
    });
    this.synQueue = run.catch(() => undefined);
    return run.then(async ({ stream, replied }) => {
      await replied;
      if (this.closed) throw new Error('the SPDY connection closed before the server accepted the stream');
      return stream;
    });
  }

  sendData(id: number, data: Buffer, fin: boolean, callback: (err?: Error | null) => void): void {
    if (this.closed) return callback(new Error('the SPDY connection is closed'));
    let offset = 0;
    let flushed = true;
    do {
      const part = data.subarray(offset, offset + MAX_DATA_FRAME);
      offset += part.length;
      const last = offset >= data.length;
      const header = Buffer.alloc(8);
      header.writeUInt32BE(id & 0x7fffffff, 0);
      header.writeUInt32BE(((last && fin ? FLAG_FIN : 0) << 24) | part.length, 4);
      flushed = this.socket.write(Buffer.concat([header, part]));
    } while (offset < data.length);
    if (flushed) callback();
    else this.socket.once('drain', () => callback());
  }

  reset(id: number): void {
    this.streams.delete(id);
    if (this.closed) return;
    const body = Buffer.alloc(8);
    body.writeUInt32BE(id & 0x7fffffff, 0);
    body.writeUInt32BE(RST_CANCEL, 4);
    this.socket.write(controlFrame(TYPE_RST_STREAM, 0, body));
  }

  resume(): void {
    if (this.socket.isPaused()) this.socket.resume();
  }

  /** Ends every stream and the connection. */
  close(): void {
    this.shutdown(undefined);
    this.socket.destroy();
  }

  private shutdown(err: Error | undefined): void {
    if (this.closed) return;
    this.closed = true;
    for (const resolveReply of this.replies.values()) resolveReply();
    this.replies.clear();
    for (const stream of this.streams.values()) {
      if (err && !stream.remoteClosed) stream.destroy(err);
      else stream.remoteEnd();
    }
    this.streams.clear();
    this.deflate.close();
  }

  private compress(headers: Record<string, string>): Promise<Buffer> {
    const entries = Object.entries(headers);
    const parts: Buffer[] = [u32(entries.length)];
    for (const [name, value] of entries) {
      const n = Buffer.from(name.toLowerCase());
      const v = Buffer.from(value);
      parts.push(u32(n.length), n, u32(v.length), v);
    }
    return new Promise((resolve, reject) => {
      const out: Buffer[] = [];
      const collect = (chunk: Buffer): void => {
        out.push(chunk);
      };
      this.deflate.on('data', collect);
      this.deflate.write(Buffer.concat(parts));
      this.deflate.flush(zlibConstants.Z_SYNC_FLUSH, () => {
        this.deflate.off('data', collect);
        if (out.length === 0) reject(new Error('SPDY header compression produced nothing'));
        else resolve(Buffer.concat(out));
      });
    });
  }

  private receive(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= 8) {
      const length = this.pending.readUInt32BE(4) & 0xffffff;
      if (this.pending.length < 8 + length) break;
      const frame = this.pending.subarray(0, 8 + length);
      this.pending = this.pending.subarray(8 + length);
      this.frame(frame);
    }
  }

  private frame(frame: Buffer): void {
    const flags = frame[4]!;
    const body = frame.subarray(8);
    if ((frame[0]! & 0x80) === 0) {
      const stream = this.streams.get(frame.readUInt32BE(0) & 0x7fffffff);
      if (!stream) return;
      // A reader that is behind pauses the whole connection (no flow-control windows to do better).
      if (body.length > 0 && !stream.deliver(Buffer.from(body))) this.socket.pause();
      if (flags & FLAG_FIN) this.finishRemote(stream);
      return;
    }
    const type = frame.readUInt16BE(2);
    if (type === TYPE_SYN_REPLY || type === TYPE_RST_STREAM) {
      const id = body.readUInt32BE(0) & 0x7fffffff;
      this.replies.get(id)?.();
      this.replies.delete(id);
      const stream = this.streams.get(id);
      if (stream && (type === TYPE_RST_STREAM || flags & FLAG_FIN)) {
        if (type === TYPE_RST_STREAM) this.streams.delete(id);
        this.finishRemote(stream);
      }
    } else if (type === TYPE_PING) {
      this.socket.write(controlFrame(TYPE_PING, 0, body));
    } else if (type === TYPE_GOAWAY) {
      this.close();
    }
  }

  private finishRemote(stream: SpdyStream): void {
    stream.remoteEnd();
    if (stream.writableFinished) this.streams.delete(stream.id);
  }
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function controlFrame(type: number, flags: number, body: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt16BE(0x8000 | VERSION, 0);
  header.writeUInt16BE(type, 2);
  header.writeUInt32BE((flags << 24) | body.length, 4);
  return Buffer.concat([header, body]);
}
