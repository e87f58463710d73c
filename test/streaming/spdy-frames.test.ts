import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { constants, createDeflate } from 'node:zlib';
import { SPDY3_HEADER_DICTIONARY } from '../../src/streaming/spdy/dictionary.js';
import { SpdyProtocolError } from '../../src/streaming/spdy/errors.js';
import {
  FLAG_FIN,
  FrameReader,
  dataFrameHeader,
  encodeGoAway,
  encodeHeaders,
  encodePing,
  encodeRstStream,
  encodeSettings,
  encodeSynReply,
  encodeSynStream,
  encodeWindowUpdate,
  type Frame,
} from '../../src/streaming/spdy/frames.js';
import { HeaderCompressor, HeaderDecompressor, MAX_HEADER_BLOCK_BYTES } from '../../src/streaming/spdy/header-compression.js';

function controlFrame(version: number, type: number, payload: Buffer, flags = 0): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16BE(0x8000 | version, 0);
  head.writeUInt16BE(type, 2);
  head.writeUInt32BE((flags << 24) | payload.length, 4);
  return Buffer.concat([head, payload]);
}

describe('SPDY frame codec', () => {
  const block = Buffer.from('compressed-headers');
  const wire = Buffer.concat([
    encodeSynStream(1, FLAG_FIN, block, 3),
    encodeSynReply(2, 0, block),
    encodeHeaders(3, FLAG_FIN, block),
    dataFrameHeader(5, FLAG_FIN, 4),
    Buffer.from('abcd'),
    encodeRstStream(7, 5),
    encodeSettings(new Map([[7, 65536]])),
    encodePing(9),
    encodeGoAway(11, 0),
    encodeWindowUpdate(13, 1000),
  ]);
  const expected: Frame[] = [
    { type: 'syn_stream', streamId: 1, associatedId: 0, priority: 3, flags: FLAG_FIN, headerBlock: block },
    { type: 'syn_reply', streamId: 2, flags: 0, headerBlock: block },
    { type: 'headers', streamId: 3, flags: FLAG_FIN, headerBlock: block },
    { type: 'data', streamId: 5, flags: FLAG_FIN, data: Buffer.from('abcd') },
    { type: 'rst_stream', streamId: 7, status: 5 },
    { type: 'settings', settings: new Map([[7, 65536]]) },
    { type: 'ping', id: 9 },
    { type: 'goaway', lastGoodStreamId: 11, status: 0 },
    { type: 'window_update', streamId: 13, delta: 1000 },
  ];

  it('decodes every frame type it encodes, in one piece', () => {
    assert.deepEqual(new FrameReader().push(wire), expected);
  });

  it('decodes the same frames when they arrive one byte at a time', () => {
    const reader = new FrameReader();
    const frames: Frame[] = [];
    for (let i = 0; i < wire.length; i++) frames.push(...reader.push(wire.subarray(i, i + 1)));
    assert.deepEqual(frames, expected);
  });

  it('ignores control frame types SPDY/3 does not define (as the draft asks)', () => {
    assert.deepEqual(new FrameReader().push(controlFrame(3, 0x77, Buffer.alloc(4))), [{ type: 'unknown', frameType: 0x77 }]);
  });

  const bad: Array<[string, Buffer, RegExp]> = [
    ['another SPDY version', controlFrame(2, 6, Buffer.alloc(4)), /SPDY version 2/],
    ['HTTP instead of SPDY (read as a huge DATA frame)', Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), /DATA frame of \d+ bytes is larger/],
    ['a PING of 5 bytes', controlFrame(3, 6, Buffer.alloc(5)), /PING frame is 5 bytes long, 4 expected/],
    ['a RST_STREAM of 4 bytes', controlFrame(3, 3, Buffer.alloc(4)), /RST_STREAM frame is 4 bytes/],
    ['a SYN_STREAM shorter than its fixed part', controlFrame(3, 1, Buffer.alloc(6)), /SYN_STREAM frame is 6 bytes long, at least 10/],
    ['a SETTINGS frame whose count lies', controlFrame(3, 4, Buffer.from([0, 0, 0, 5, 0, 0, 0, 7, 0, 0, 0, 1])), /announces 5 entries/],
    ['a WINDOW_UPDATE of 0', controlFrame(3, 9, Buffer.alloc(8)), /delta of 0/],
  ];
  for (const [what, bytes, message] of bad) {
    it(`rejects ${what}`, () => {
      assert.throws(() => new FrameReader().push(bytes), (err: unknown) => err instanceof SpdyProtocolError && message.test(err.message));
    });
  }

  it('rejects a control frame larger than its limit from the 8-byte header alone, before buffering it', () => {
    const reader = new FrameReader({ maxControlPayload: 1024, maxDataPayload: 1024 });
    const head = controlFrame(3, 1, Buffer.alloc(0)).subarray(0, 8);
    head.writeUInt32BE(2048, 4);
    assert.throws(() => reader.push(head), /control frame of 2048 bytes is larger than the 1024 accepted/);
    assert.throws(() => new FrameReader({ maxControlPayload: 1024, maxDataPayload: 1024 }).push(dataFrameHeader(1, 0, 4096)), /DATA frame of 4096 bytes/);
  });

  it('waits for the rest of a partial frame without returning anything', () => {
    const reader = new FrameReader();
    assert.deepEqual(reader.push(encodePing(3).subarray(0, 10)), []);
    assert.deepEqual(reader.push(encodePing(3).subarray(10)), [{ type: 'ping', id: 3 }]);
  });
});

describe('SPDY header compression', () => {
  it('round-trips many blocks through one context each way', async () => {
    const compressor = new HeaderCompressor();
    const decompressor = new HeaderDecompressor();
    for (let i = 0; i < 50; i++) {
      const headers = { streamtype: i % 2 ? 'data' : 'error', port: String(8000 + i), requestid: String(i) };
      assert.deepEqual(await decompressor.decompress(compressor.compress(headers)), headers);
    }
    decompressor.close();
  });

  it('starts the stream with a zlib header naming the SPDY dictionary (FDICT and its Adler-32)', () => {
    const first = new HeaderCompressor().compress({ a: 'b' });
    assert.equal(first[0], 0x78);
    assert.equal((first[0]! * 256 + first[1]!) % 31, 0);
    assert.ok(first[1]! & 0x20, 'FDICT set');
    assert.equal(first.readUInt32BE(2), 0xe3c6a7c2, 'Adler-32 of the SPDY/3 dictionary');
    assert.equal(SPDY3_HEADER_DICTIONARY.length, 1423);
  });

  it('reads blocks compressed by real zlib with a shared context, as Go and kubectl write them', async () => {
    const deflate = createDeflate({ dictionary: SPDY3_HEADER_DICTIONARY });
    const out: Buffer[] = [];
    deflate.on('data', (b: Buffer) => out.push(b));
    const decompressor = new HeaderDecompressor();
    for (const type of ['error', 'stdout', 'stderr', 'stdin']) {
      const name = Buffer.from('streamtype');
      const value = Buffer.from(type);
      const raw = Buffer.alloc(4 + 4 + name.length + 4 + value.length);
      raw.writeUInt32BE(1, 0);
      raw.writeUInt32BE(name.length, 4);
      name.copy(raw, 8);
      raw.writeUInt32BE(value.length, 8 + name.length);
      value.copy(raw, 12 + name.length);
      deflate.write(raw);
      await new Promise<void>((r) => deflate.flush(constants.Z_SYNC_FLUSH, () => r()));
      assert.deepEqual(await decompressor.decompress(Buffer.concat(out.splice(0))), { streamtype: type });
    }
    deflate.destroy();
    decompressor.close();
  });

  it('refuses bytes that are not zlib, and stays refused (the shared context is broken)', async () => {
    const decompressor = new HeaderDecompressor();
    await assert.rejects(decompressor.decompress(Buffer.from('not zlib at all')), (err: unknown) => err instanceof SpdyProtocolError && /does not decompress/.test(err.message));
    await assert.rejects(decompressor.decompress(new HeaderCompressor().compress({ a: 'b' })), /broken/);
  });

  it(`refuses a block that decompresses to more than ${MAX_HEADER_BLOCK_BYTES} bytes`, async () => {
    const decompressor = new HeaderDecompressor();
    await assert.rejects(decompressor.decompress(new HeaderCompressor().compress({ big: 'x'.repeat(200_000) })), /decompresses to \d+ bytes, at most 65536 accepted/);
    decompressor.close();
  });

  it('refuses malformed blocks: uppercase names, duplicates, lengths past the end', async () => {
    const rawBlock = (pairs: Array<[string, string]>, tail = Buffer.alloc(0)): Buffer => {
      const parts = [Buffer.alloc(4)];
      parts[0]!.writeUInt32BE(pairs.length, 0);
      for (const [n, v] of pairs) {
        for (const s of [n, v]) {
          const len = Buffer.alloc(4);
          len.writeUInt32BE(s.length, 0);
          parts.push(len, Buffer.from(s));
        }
      }
      return Buffer.concat([...parts, tail]);
    };
    const cases: Array<[Buffer, RegExp]> = [
      [rawBlock([['StreamType', 'x']]), /not lowercase/],
      [rawBlock([['a', '1'], ['a', '2']]), /appears twice/],
      [rawBlock([['a', '1']]).subarray(0, 10), /runs past the end|truncated/],
      [rawBlock([['a', '1']], Buffer.from('junk')), /bytes after the last header/],
    ];
    for (const [block, message] of cases) {
      const deflate = createDeflate({ dictionary: SPDY3_HEADER_DICTIONARY });
      const out: Buffer[] = [];
      deflate.on('data', (b: Buffer) => out.push(b));
      deflate.write(block);
      await new Promise<void>((r) => deflate.flush(constants.Z_SYNC_FLUSH, () => r()));
      const decompressor = new HeaderDecompressor();
      await assert.rejects(decompressor.decompress(Buffer.concat(out)), message);
      decompressor.close();
      deflate.destroy();
    }
  });
});
