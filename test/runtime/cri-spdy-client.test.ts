// The SPDY/3.1 client against a small hand-made server on a real socket: the upgrade, a stream's
// headers (decompressed with the protocol's dictionary), data both ways with FIN, PING answers,
// RST_STREAM, and a refused upgrade. (Against containerd it is tested in engine-stream.test.ts.)
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { constants as zlibConstants, createInflate } from 'node:zlib';
import { HEADER_DICTIONARY, SpdyConnection, SpdyUpgradeError } from '../../src/runtime/cri/spdy-client.js';

interface Frame {
  control: boolean;
  type: number;
  streamId: number;
  flags: number;
  body: Buffer;
}

/** The server's side: frames as they come, and a way to send some. */
class FakeServer {
  readonly frames: Frame[] = [];
  private pending: Buffer = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  private readonly inflate = createInflate({ dictionary: HEADER_DICTIONARY });

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.pending = Buffer.concat([this.pending, chunk]);
      while (this.pending.length >= 8 && this.pending.length >= 8 + (this.pending.readUInt32BE(4) & 0xffffff)) {
        const length = this.pending.readUInt32BE(4) & 0xffffff;
        const raw = this.pending.subarray(0, 8 + length);
        this.pending = this.pending.subarray(8 + length);
        const control = (raw[0]! & 0x80) !== 0;
        this.frames.push({
          control,
          type: control ? raw.readUInt16BE(2) : 0,
          streamId: control ? (raw.length >= 12 ? raw.readUInt32BE(8) & 0x7fffffff : 0) : raw.readUInt32BE(0) & 0x7fffffff,
          flags: raw[4]!,
          body: Buffer.from(raw.subarray(8)),
        });
        for (const wake of this.waiters.splice(0)) wake();
      }
    });
  }

  async next(match: (f: Frame) => boolean): Promise<Frame> {
    for (;;) {
      const found = this.frames.find(match);
      if (found) {
        this.frames.splice(this.frames.indexOf(found), 1);
        return found;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** The name/value pairs of a SYN_STREAM's header block. */
  headers(synStream: Frame): Promise<Record<string, string>> {
    return new Promise((resolve) => {
      const out: Buffer[] = [];
      const collect = (c: Buffer): void => {
        out.push(c);
      };
      this.inflate.on('data', collect);
      this.inflate.write(synStream.body.subarray(10));
      this.inflate.flush(zlibConstants.Z_SYNC_FLUSH, () => {
        this.inflate.off('data', collect);
        const block = Buffer.concat(out);
        const headers: Record<string, string> = {};
        let at = 4;
        for (let i = 0; i < block.readUInt32BE(0); i++) {
          const n = block.readUInt32BE(at);
          const name = block.subarray(at + 4, at + 4 + n).toString();
          at += 4 + n;
          const v = block.readUInt32BE(at);
          headers[name] = block.subarray(at + 4, at + 4 + v).toString();
          at += 4 + v;
        }
        resolve(headers);
      });
    });
  }

  control(type: number, flags: number, body: Buffer): void {
    const header = Buffer.alloc(8);
    header.writeUInt16BE(0x8003, 0);
    header.writeUInt16BE(type, 2);
    header.writeUInt32BE((flags << 24) | body.length, 4);
    this.socket.write(Buffer.concat([header, body]));
  }

  data(streamId: number, payload: string, fin: boolean): void {
    const header = Buffer.alloc(8);
    header.writeUInt32BE(streamId, 0);
    header.writeUInt32BE(((fin ? 1 : 0) << 24) | Buffer.byteLength(payload), 4);
    this.socket.write(Buffer.concat([header, Buffer.from(payload)]));
  }

  /** SYN_REPLY for a stream (an empty, uncompressed-looking block is fine: the client skips it). */
  reply(streamId: number): void {
    const body = Buffer.alloc(4);
    body.writeUInt32BE(streamId, 0);
    this.control(2, 0, body);
  }
}

let server: Server;
let url = '';
let accepted: (s: FakeServer) => void = () => undefined;

before(async () => {
  server = createServer((_req, res) => {
    res.writeHead(400, { 'Content-Type': 'text/plain' }).end('no upgrade asked for');
  });
  server.on('upgrade', (req, socket: Socket) => {
    if (req.url === '/refuse') {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 20\r\nConnection: close\r\n\r\ntoken expired or bad');
      return;
    }
    assert.equal(req.headers.upgrade, 'SPDY/3.1');
    socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n');
    accepted(new FakeServer(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

test('a refused upgrade rejects with the status and the server\'s words', async () => {
  await assert.rejects(SpdyConnection.connect(`${url}/refuse`, ['v4.channel.k8s.io']), (err: unknown) => err instanceof SpdyUpgradeError && err.status === 403 && /token expired or bad/.test(err.message));
});

test('streams: headers, data both ways, FIN, PING answered, RST ends a stream', async () => {
  const serverSide = new Promise<FakeServer>((resolve) => (accepted = resolve));
  const connection = await SpdyConnection.connect(`${url}/exec/token`, ['v4.channel.k8s.io']);
  assert.equal(connection.protocol, 'v4.channel.k8s.io');
  const fake = await serverSide;
  try {
    const opening = connection.openStream({ streamType: 'stdout' });
    const syn = await fake.next((f) => f.control && f.type === 1);
    assert.equal(syn.streamId, 1, 'client streams have odd ids, starting at 1');
    assert.deepEqual(await fake.headers(syn), { streamtype: 'stdout' });
    fake.reply(1);
    const stream = await opening;

    // Server -> client, ended with FIN.
    const received: Buffer[] = [];
    const ended = new Promise<void>((resolve) => stream.once('end', resolve));
    stream.on('data', (c: Buffer) => received.push(c));
    fake.data(1, 'hello ', false);
    fake.data(1, 'there', true);
    await ended;
    assert.equal(Buffer.concat(received).toString(), 'hello there');

    // Client -> server, then FIN (the stdin-ended signal).
    stream.write('typed');
    stream.end();
    const data = await fake.next((f) => !f.control && f.body.length > 0);
    assert.equal(data.body.toString(), 'typed');
    const fin = await fake.next((f) => !f.control && (f.flags & 1) === 1);
    assert.equal(fin.streamId, 1);

    // PING comes back with its id.
    const ping = Buffer.alloc(4);
    ping.writeUInt32BE(7);
    fake.control(6, 0, ping);
    const pong = await fake.next((f) => f.control && f.type === 6);
    assert.equal(pong.body.readUInt32BE(0), 7);

    // A second stream (its headers use the same compression context) reset by the server.
    const second = connection.openStream({ streamType: 'error' });
    const syn2 = await fake.next((f) => f.control && f.type === 1);
    assert.equal(syn2.streamId, 3);
    assert.deepEqual(await fake.headers(syn2), { streamtype: 'error' });
    fake.reply(3);
    const errors = await second;
    const errorsEnded = new Promise<void>((resolve) => errors.once('end', resolve));
    errors.resume();
    const rst = Buffer.alloc(8);
    rst.writeUInt32BE(3, 0);
    rst.writeUInt32BE(5, 4);
    fake.control(3, 0, rst);
    await errorsEnded;
  } finally {
    connection.close();
  }
});

test('the server going away ends the connection\'s streams and refuses new ones', async () => {
  const serverSide = new Promise<FakeServer>((resolve) => (accepted = resolve));
  const connection = await SpdyConnection.connect(`${url}/exec/token`, ['v4.channel.k8s.io']);
  const fake = await serverSide;
  const opening = connection.openStream({ streamType: 'stdout' });
  const syn = await fake.next((f) => f.control && f.type === 1);
  fake.reply(syn.streamId);
  const stream = await opening;
  const closed = new Promise<void>((resolve) => stream.once('close', resolve));
  stream.resume();
  fake.socket.destroy();
  await closed;
  await assert.rejects(connection.openStream({ streamType: 'stdin' }), /closed/);
});
