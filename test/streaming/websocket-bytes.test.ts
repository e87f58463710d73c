// The WebSocket as a byte stream for the tunnelled SPDY port-forward (src/streaming/spdy/websocket-bytes.ts),
// over a real WebSocket on loopback: corked writes leave as one message, writes are done at once
// while little is queued, and a peer that stops reading stops the writer (nothing piles up).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { test } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { defer, type TestLike } from '../cleanup.js';
import { webSocketBytes } from '../../src/streaming/spdy/websocket-bytes.js';

/** A server whose one WebSocket is wrapped by webSocketBytes, and the client connected to it. */
async function pair(t: TestLike, maxQueuedBytes: number): Promise<{ bytes: Duplex; server: WebSocket; client: WebSocket }> {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const http = createServer();
  const accepted = new Promise<WebSocket>((resolve) => http.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, resolve)));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const client = new WebSocket(`ws://127.0.0.1:${(http.address() as AddressInfo).port}/`, { perMessageDeflate: false });
  const server = await accepted;
  await once(client, 'open');
  const bytes = webSocketBytes(server, maxQueuedBytes);
  bytes.on('error', () => {});
  defer(t, async () => {
    client.terminate();
    server.terminate();
    http.closeAllConnections();
    await new Promise((r) => http.close(r));
  });
  return { bytes, server, client };
}

test('writes corked together (a SPDY frame header and its payload) arrive as one WebSocket message', async (t) => {
  const { bytes, client } = await pair(t, 1024 * 1024);
  const messages: Buffer[] = [];
  client.on('message', (m: Buffer) => messages.push(m));
  bytes.cork();
  bytes.write(Buffer.from([0, 0, 0, 1, 0, 0, 0, 5]));
  bytes.write(Buffer.from('hello'));
  bytes.uncork();
  bytes.write(Buffer.from('next'));
  const deadline = Date.now() + 10_000;
  while (messages.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.equal(messages.length, 2);
  assert.deepEqual(messages[0], Buffer.concat([Buffer.from([0, 0, 0, 1, 0, 0, 0, 5]), Buffer.from('hello')]));
  assert.equal(messages[1]!.toString(), 'next');
});

test('a write is done at once while little is queued, so a writer is not held one message at a time', async (t) => {
  const { bytes } = await pair(t, 1024 * 1024);
  let called = false;
  bytes.write(Buffer.alloc(32 * 1024, 1), () => (called = true));
  // Still in the same turn of the event loop: the callback of a write done at once has been
  // scheduled, and the writable side has nothing left (ws's own stream holds it until sent).
  assert.equal(bytes.writableLength, 0);
  await new Promise((r) => setImmediate(r));
  assert.ok(called);
});

test('a peer that stops reading stops the writer; everything arrives once it reads again', async (t) => {
  const max = 256 * 1024;
  const { bytes, server, client } = await pair(t, max);
  let received = 0;
  client.on('message', (m: Buffer) => (received += m.length));
  client.pause();
  const chunk = Buffer.alloc(64 * 1024, 7);
  const limit = 256 * 1024 * 1024;
  let written = 0;
  let peakQueued = 0;
  // Writes until the stream says stop, as the SPDY session does (it then waits for 'drain').
  let more = true;
  while (more && written < limit) {
    more = bytes.write(chunk);
    written += chunk.length;
    peakQueued = Math.max(peakQueued, server.bufferedAmount);
  }
  assert.ok(written < limit, `the writer was never stopped: ${written} bytes written to a peer that reads nothing`);
  assert.ok(peakQueued <= max + 2 * chunk.length, `up to ${peakQueued} bytes queued on the WebSocket (bound ${max})`);
  client.resume();
  await once(bytes, 'drain');
  const deadline = Date.now() + 30_000;
  while (received < written && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(received, written);
});
