import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { SpdySession, type SpdyStream } from '../../src/streaming/spdy/index.js';
import { encodeSynStream, FrameReader, dataFrameHeader, type Frame } from '../../src/streaming/spdy/frames.js';
import { HeaderCompressor } from '../../src/streaming/spdy/header-compression.js';
import { defer, type TestLike } from '../cleanup.js';

/** Two ends of a real TCP connection on 127.0.0.1. */
async function socketPair(t: TestLike): Promise<[Socket, Socket]> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const client = connect((server.address() as { port: number }).port, '127.0.0.1');
  const [serverSide] = await accepted;
  await once(client, 'connect').catch(() => undefined);
  defer(t, () => {
    client.destroy();
    serverSide.destroy();
    server.close();
  });
  return [serverSide, client];
}

async function sessions(t: TestLike): Promise<{ server: SpdySession; client: SpdySession; serverSocket: Socket; clientSocket: Socket }> {
  const [serverSocket, clientSocket] = await socketPair(t);
  return { server: new SpdySession(serverSocket, { role: 'server' }), client: new SpdySession(clientSocket, { role: 'client' }), serverSocket, clientSocket };
}

function waitUntil(cond: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (cond()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}

/** Reads raw frames a plain socket receives (for driving a server session by hand). */
function frameLog(socket: Socket): Frame[] {
  const reader = new FrameReader();
  const frames: Frame[] = [];
  socket.on('data', (b: Buffer) => frames.push(...reader.push(b)));
  return frames;
}

describe('SPDY session', () => {
  it('carries data both ways on a stream, with half-close in each direction', async (t) => {
    const { server, client } = await sessions(t);
    const accepted = once(server, 'stream') as Promise<[SpdyStream]>;
    const stream = client.openStream({ streamtype: 'stdin', port: '80' });
    const [remote] = await accepted;
    assert.equal(remote.header('streamType'), 'stdin');
    assert.equal(remote.header('port'), '80');
    stream.end('hello from the client');
    let got = '';
    remote.on('data', (b: Buffer) => (got += b));
    await once(remote, 'end');
    assert.equal(got, 'hello from the client');
    // The server can still answer after the client's FIN.
    remote.end('and back');
    let back = '';
    stream.on('data', (b: Buffer) => (back += b));
    await once(stream, 'end');
    assert.equal(back, 'and back');
  });

  it('answers PING', async (t) => {
    const { client } = await sessions(t);
    await client.ping();
    await client.ping();
  });

  it('respects the receiver window: a stalled reader holds the sender to about one window, then 8 MiB passes', async (t) => {
    const { server, client, clientSocket } = await sessions(t);
    const accepted = once(server, 'stream') as Promise<[SpdyStream]>;
    const stream = client.openStream({ streamtype: 'data' });
    const [remote] = await accepted;
    // Server-to-client direction with the client's stream paused.
    stream.pause();
    let received = 0;
    clientSocket.on('data', (b: Buffer) => (received += b.length));
    const total = 8 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 7);
    let written = 0;
    const writer = (async () => {
      while (written < total) {
        written += chunk.length;
        if (!remote.write(chunk)) await once(remote, 'drain');
      }
      remote.end();
    })();
    await new Promise((r) => setTimeout(r, 500));
    // One 64 KiB window plus frame headers and the initial control frames, not megabytes.
    assert.ok(received < 200 * 1024, `the client socket received ${received} bytes while its reader was stalled`);
    assert.ok(written < 1024 * 1024, `the sender got ${written} bytes accepted while stalled`);
    let consumed = 0;
    stream.on('data', (b: Buffer) => (consumed += b.length));
    stream.resume();
    await once(stream, 'end');
    await writer;
    assert.equal(consumed, total);
  });

  it('stops reading from a peer that ignores windows (as spdystream does) while the consumer is stalled', async (t) => {
    const [serverSocket, raw] = await socketPair(t);
    const server = new SpdySession(serverSocket, { role: 'server' });
    const accepted = once(server, 'stream') as Promise<[SpdyStream]>;
    const compressor = new HeaderCompressor();
    raw.write(encodeSynStream(1, 0, compressor.compress({ streamtype: 'data' })));
    const [remote] = await accepted;
    remote.pause();
    // Blast 32 MiB without any regard for the 64 KiB window.
    const payload = Buffer.alloc(32 * 1024, 1);
    let sent = 0;
    let blocked = false;
    while (sent < 32 * 1024 * 1024) {
      raw.write(dataFrameHeader(1, 0, payload.length));
      sent += payload.length;
      if (!raw.write(payload)) {
        blocked = true;
        await Promise.race([once(raw, 'drain'), new Promise((r) => setTimeout(r, 1000))]);
        if (raw.writableLength > 0) break;
      }
    }
    assert.ok(blocked, 'TCP pushed back on the sender');
    assert.ok(remote.readableLength <= 2 * 64 * 1024, `server buffered ${remote.readableLength} bytes for a stalled reader`);
    let consumed = 0;
    remote.on('data', (b: Buffer) => (consumed += b.length));
    remote.resume();
    await waitUntil(() => consumed >= sent - raw.writableLength - 1024 * 1024, 'the buffered data to flow once the reader resumes');
  });

  it('resets a stream the peer opens with an id of the wrong parity, and data for a stream never opened', async (t) => {
    const [serverSocket, raw] = await socketPair(t);
    new SpdySession(serverSocket, { role: 'server' });
    const frames = frameLog(raw);
    raw.write(encodeSynStream(2, 0, new HeaderCompressor().compress({ streamtype: 'x' })));
    raw.write(Buffer.concat([dataFrameHeader(99, 0, 3), Buffer.from('abc')]));
    await waitUntil(() => frames.filter((f) => f.type === 'rst_stream').length === 2, 'two RST_STREAM frames');
    assert.deepEqual(
      frames.filter((f) => f.type === 'rst_stream'),
      [
        { type: 'rst_stream', streamId: 2, status: 1 },
        { type: 'rst_stream', streamId: 99, status: 2 },
      ],
    );
  });

  it('answers garbage with GOAWAY PROTOCOL_ERROR, closes the connection and destroys its streams', async (t) => {
    const [serverSocket, raw] = await socketPair(t);
    const server = new SpdySession(serverSocket, { role: 'server' });
    const accepted = once(server, 'stream') as Promise<[SpdyStream]>;
    const errors: string[] = [];
    server.on('protocolError', (e) => errors.push(e.message));
    const frames = frameLog(raw);
    raw.write(encodeSynStream(1, 0, new HeaderCompressor().compress({ streamtype: 'data' })));
    const [stream] = await accepted;
    raw.write(Buffer.from([0x80, 0x02, 0x00, 0x01, 0, 0, 0, 0]));
    await once(raw, 'close');
    assert.match(errors[0] ?? '', /SPDY version 2/);
    assert.ok(frames.some((f) => f.type === 'goaway' && f.status === 1), 'GOAWAY with PROTOCOL_ERROR');
    assert.ok(stream.destroyed);
    assert.ok(server.isClosed);
  });

  it('reports a peer GOAWAY and refuses streams opened after it; an RST destroys the stream', async (t) => {
    const { server, client } = await sessions(t);
    const accepted = once(server, 'stream') as Promise<[SpdyStream]>;
    const stream = client.openStream({ streamtype: 'data' });
    const [remote] = await accepted;
    const resets: number[] = [];
    remote.on('reset', (status: number) => resets.push(status));
    stream.destroy();
    await once(remote, 'close');
    assert.deepEqual(resets, [5]);
    const goaway = once(server, 'goaway');
    client.close();
    await goaway;
    await once(server, 'close');
  });

  it('destroys every stream when the connection drops', async (t) => {
    const { server, client, clientSocket } = await sessions(t);
    const accepted = once(server, 'stream') as Promise<[SpdyStream]>;
    client.openStream({ streamtype: 'data' });
    const [remote] = await accepted;
    clientSocket.destroy();
    await once(remote, 'close');
    assert.ok(server.isClosed);
  });
});
