// SPDY/3 header blocks: a count, then length-prefixed lowercase names and values (several values
// joined by NUL), in ONE zlib stream per direction and session primed with the SPDY dictionary,
// each block ending on a sync flush (the peer's decompressor keeps its context between blocks).
import { constants, createInflate, type Inflate } from 'node:zlib';
import { SPDY3_HEADER_DICTIONARY } from './dictionary.js';
import { SpdyProtocolError } from './errors.js';

/** Header names are lowercase on the wire; a value with several parts keeps its NUL separators. */
export type SpdyHeaders = Record<string, string>;

/** Largest decompressed header block accepted (kubectl's are a few dozen bytes). */
export const MAX_HEADER_BLOCK_BYTES = 64 * 1024;
const MAX_HEADER_PAIRS = 256;

function encodeBlock(headers: SpdyHeaders): Buffer {
  const entries = Object.entries(headers);
  const parts: Buffer[] = [];
  const count = Buffer.allocUnsafe(4);
  count.writeUInt32BE(entries.length, 0);
  parts.push(count);
  for (const [name, value] of entries) {
    for (const text of [name.toLowerCase(), value]) {
      const bytes = Buffer.from(text, 'utf8');
      const len = Buffer.allocUnsafe(4);
      len.writeUInt32BE(bytes.length, 0);
      parts.push(len, bytes);
    }
  }
  return Buffer.concat(parts);
}

function decodeBlock(block: Buffer): SpdyHeaders {
  const fail = (why: string): never => {
    throw new SpdyProtocolError(`bad header block: ${why}`);
  };
  if (block.length < 4) fail('shorter than its pair count');
  const count = block.readUInt32BE(0);
  if (count > MAX_HEADER_PAIRS) fail(`${count} header pairs, at most ${MAX_HEADER_PAIRS} accepted`);
  const headers: SpdyHeaders = {};
  let at = 4;
  const next = (): string => {
    if (at + 4 > block.length) fail('truncated length');
    const len = block.readUInt32BE(at);
    at += 4;
    if (at + len > block.length) fail('a name or value runs past the end of the block');
    const text = block.toString('utf8', at, at + len);
    at += len;
    return text;
  };
  for (let i = 0; i < count; i++) {
    const name = next();
    const value = next();
    if (name.length === 0) fail('an empty header name');
    if (name !== name.toLowerCase()) fail(`header name ${JSON.stringify(name)} is not lowercase`);
    if (Object.hasOwn(headers, name)) fail(`header ${JSON.stringify(name)} appears twice`);
    headers[name] = value;
  }
  if (at !== block.length) fail(`${block.length - at} bytes after the last header`);
  return headers;
}

function adler32(data: Buffer): number {
  let a = 1;
  let b = 0;
  for (const byte of data) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** zlib stream header announcing the SPDY dictionary (FDICT), as the peer's reader expects. */
function zlibHeader(): Buffer {
  const cmf = 0x78; // deflate, 32 KiB window
  let flg = 0x20; // FDICT, level "fastest"
  flg += 31 - ((cmf * 256 + flg) % 31);
  const header = Buffer.allocUnsafe(6);
  header.writeUInt8(cmf, 0);
  header.writeUInt8(flg, 1);
  header.writeUInt32BE(adler32(SPDY3_HEADER_DICTIONARY), 2);
  return header;
}

function storedBlock(piece: Buffer): Buffer {
  const head = Buffer.allocUnsafe(5);
  head.writeUInt8(0, 0); // BFINAL=0, BTYPE=00 (stored), padded to the byte
  head.writeUInt16LE(piece.length, 1);
  head.writeUInt16LE(~piece.length & 0xffff, 3);
  return Buffer.concat([head, piece]);
}

/**
 * The sending side. Header blocks are emitted as stored (uncompressed) deflate blocks: a valid
 * continuation of one sync-flushed zlib stream for any SPDY decompressor, computed synchronously so
 * a SYN_REPLY can go out in frame order. Kubernetes' headers are a few bytes; compressing them buys nothing.
 */
export class HeaderCompressor {
  private started = false;

  compress(headers: SpdyHeaders): Buffer {
    const block = encodeBlock(headers);
    const parts: Buffer[] = [];
    if (!this.started) {
      parts.push(zlibHeader());
      this.started = true;
    }
    for (let at = 0; at < block.length; at += 0xffff) parts.push(storedBlock(block.subarray(at, at + 0xffff)));
    // The empty stored block a sync flush ends with: Go's inflater only hands out what it decoded
    // when it meets one, and fails the NEXT block if it has to read past the frame to find it.
    parts.push(storedBlock(Buffer.alloc(0)));
    return Buffer.concat(parts);
  }
}

/**
 * The receiving side: one inflate context for the session. Blocks are decompressed strictly in
 * order (the caller awaits each before the next). A failure corrupts the context for good, so the
 * caller must end the session.
 */
export class HeaderDecompressor {
  private readonly inflate: Inflate = createInflate({ dictionary: SPDY3_HEADER_DICTIONARY });
  private output: Buffer[] = [];
  private outputBytes = 0;
  private failure: Error | undefined;

  constructor() {
    this.inflate.on('data', (chunk: Buffer) => {
      this.outputBytes += chunk.length;
      if (this.outputBytes <= MAX_HEADER_BLOCK_BYTES) this.output.push(chunk);
    });
    this.inflate.on('error', (err) => {
      this.failure = err;
      this.wake?.();
    });
  }

  /** Resolves the decompress() in progress (its flush finished, or the context failed). */
  private wake: (() => void) | undefined;

  async decompress(compressed: Buffer): Promise<SpdyHeaders> {
    if (this.failure) throw new SpdyProtocolError(`header compression context is broken: ${this.failure.message}`);
    this.output = [];
    this.outputBytes = 0;
    await new Promise<void>((resolve) => {
      this.wake = resolve;
      this.inflate.write(compressed);
      this.inflate.flush(constants.Z_SYNC_FLUSH, () => resolve());
    });
    this.wake = undefined;
    const failure = this.failure as Error | undefined; // set by the 'error' listener meanwhile
    if (failure) throw new SpdyProtocolError(`header block does not decompress: ${failure.message}`);
    if (this.outputBytes > MAX_HEADER_BLOCK_BYTES) throw new SpdyProtocolError(`header block decompresses to ${this.outputBytes} bytes, at most ${MAX_HEADER_BLOCK_BYTES} accepted`);
    return decodeBlock(Buffer.concat(this.output));
  }

  close(): void {
    this.inflate.destroy();
  }
}
