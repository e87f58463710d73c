// Clients that get the SPDY protocols wrong, driven with the test client over real TCP.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { describe, it } from 'node:test';
import * as spdy from '../../src/streaming/spdy/index.js';
import type { PortForwardSession, RemoteCommandSession } from '../../src/streaming/types.js';
import { defer, type TestLike } from '../cleanup.js';
import { startStreamingFixture } from './fixture.js';
import { dialSpdy } from './spdy-client.js';

const EXEC = '/api/v1/namespaces/default/pods/web/exec';

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  stream.on('data', (b: Buffer) => (text += b));
  await once(stream, 'end');
  return text;
}

async function waitFor(what: string, probe: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A server whose upgrades go straight to one accept function (to pass options the fixture does not). */
async function acceptingServer<T>(t: TestLike, accept: (req: IncomingMessage, socket: Duplex, head: Buffer) => Promise<T | undefined>): Promise<{ url: string; results: Array<T | undefined> }> {
  const results: Array<T | undefined> = [];
  const server = createServer((_req, res) => res.end());
  const upgraded = new Set<Duplex>();
  server.on('upgrade', (req, socket: Duplex, head: Buffer) => {
    upgraded.add(socket);
    void accept(req, socket, head).then((r) => results.push(r));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  defer(t, () => {
    for (const s of upgraded) s.destroy();
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, results };
}

describe('SPDY upgrade handshake', () => {
  it('refuses with 403 a client offering no protocol we speak, naming both lists as the kubelet does', async (t) => {
    const f = await startStreamingFixture(t);
    const r = await dialSpdy(f.url, `${EXEC}?command=true&stdout=true`, ['v9.channel.k8s.io', 'v10.channel.k8s.io']);
    assert.equal(r.status, 403);
    assert.match(r.body, /^unable to upgrade: unable to negotiate protocol: client supports \[v9\.channel\.k8s\.io v10\.channel\.k8s\.io\], server accepts \[v4\.channel\.k8s\.io v3\.channel\.k8s\.io v2\.channel\.k8s\.io channel\.k8s\.io\]/);
    assert.match(r.headers['x-accepted-stream-protocol-versions'] ?? '', /v4\.channel\.k8s\.io/);
  });

  it('refuses with 400 a client offering no protocol at all, or the wrong upgrade token', async (t) => {
    const f = await startStreamingFixture(t);
    const none = await dialSpdy(f.url, `${EXEC}?command=true&stdout=true`, []);
    assert.equal(none.status, 400);
    assert.match(none.body, /X-Stream-Protocol-Version is required/);
    const wrong = await dialSpdy(f.url, `/api/v1/namespaces/default/pods/web/portforward`, ['portforward.k8s.io'], { Upgrade: 'SPDY/2' });
    assert.equal(wrong.status, 400);
    assert.match(wrong.body, /missing upgrade headers/);
  });

  it('picks the newest protocol both sides speak', async (t) => {
    const f = await startStreamingFixture(t);
    const r = await dialSpdy(f.url, `${EXEC}?command=true&stdout=true`, ['channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io']);
    assert.equal(r.status, 101);
    assert.equal(r.headers['x-stream-protocol-version'], 'v3.channel.k8s.io');
    assert.equal(r.headers.upgrade, 'SPDY/3.1');
    r.session!.destroy();
  });
});

describe('SPDY exec with a misbehaving client', () => {
  it('gives up on a client that never creates its streams, after the stream creation timeout', async (t) => {
    const server = await acceptingServer<RemoteCommandSession>(t, (req, socket, head) => spdy.acceptRemoteCommand(req, socket, head, { stdin: false, stdout: true, stderr: true, tty: false }, { streamCreationTimeoutMs: 300 }));
    const r = await dialSpdy(server.url, `${EXEC}?command=true`, ['v4.channel.k8s.io']);
    assert.equal(r.status, 101);
    r.session!.openStream({ streamtype: 'error' }); // and never stdout/stderr
    await once(r.socket, 'close');
    assert.deepEqual(server.results, [undefined]);
  });

  it('resets a stream of an unknown type and carries on with the others', async (t) => {
    const f = await startStreamingFixture(t);
    const r = await dialSpdy(f.url, `${EXEC}?command=echo&command=ok&stdout=true`, ['v4.channel.k8s.io']);
    const s = r.session!;
    const bogus = s.openStream({ streamtype: 'telepathy' });
    const resets: number[] = [];
    bogus.on('reset', (status: number) => resets.push(status));
    const error = s.openStream({ streamtype: 'error' });
    const stdout = s.openStream({ streamtype: 'stdout' });
    error.end();
    stdout.end();
    assert.equal(await readAll(stdout), 'ok\n');
    assert.deepEqual(JSON.parse(await readAll(error)), { metadata: {}, status: 'Success' });
    assert.deepEqual(resets, [5]);
  });

  it('writes the bare message on the error stream for protocols older than v4', async (t) => {
    const f = await startStreamingFixture(t);
    const r = await dialSpdy(f.url, `${EXEC}?command=sh&command=-c&command=exit+7&stdout=true`, ['v2.channel.k8s.io']);
    const error = r.session!.openStream({ streamtype: 'error' });
    const stdout = r.session!.openStream({ streamtype: 'stdout' });
    stdout.resume();
    assert.equal(await readAll(error), 'command terminated with non-zero exit code: command terminated with exit code 7');
  });

  it('aborts the command when the client disconnects mid-stream (the process is killed)', async (t) => {
    const f = await startStreamingFixture(t);
    const r = await dialSpdy(f.url, `${EXEC}?command=sleep&command=1000&stdout=true&stderr=true`, ['v4.channel.k8s.io']);
    for (const type of ['error', 'stdout', 'stderr']) r.session!.openStream({ streamtype: type });
    await waitFor('the command to start', () => f.running() === 1);
    r.socket.destroy();
    await waitFor('the command to be killed', () => f.running() === 0);
  });

  it('aborts the command when the client sends GOAWAY', async (t) => {
    const f = await startStreamingFixture(t);
    const r = await dialSpdy(f.url, `${EXEC}?command=sleep&command=1000&stdout=true`, ['v4.channel.k8s.io']);
    for (const type of ['error', 'stdout']) r.session!.openStream({ streamtype: type });
    await waitFor('the command to start', () => f.running() === 1);
    r.session!.close();
    await waitFor('the command to be killed', () => f.running() === 0);
  });

  it('survives garbage after the upgrade: the connection closes, nothing keeps running', async (t) => {
    const f = await startStreamingFixture(t);
    const r = await dialSpdy(f.url, `${EXEC}?command=true&stdout=true`, ['v4.channel.k8s.io']);
    r.session!.removeAllListeners();
    r.socket.removeAllListeners('data');
    r.socket.write(Buffer.from([0x80, 0x03, 0x00, 0x01, 0xff, 0xff, 0xff, 0xff]));
    r.socket.resume();
    await once(r.socket, 'close');
    assert.equal(f.running(), 0);
  });
});

describe('SPDY port-forward with a misbehaving client', () => {
  it('answers an invalid port header on the pair error stream, and a half pair after the timeout', async (t) => {
    const server = await acceptingServer<PortForwardSession>(t, (req, socket, head) => spdy.acceptPortForward(req, socket, head, [], { pairTimeoutMs: 300 }));
    const r = await dialSpdy(server.url, '/portforward', ['portforward.k8s.io']);
    const s = r.session!;
    const error = s.openStream({ streamtype: 'error', port: 'http', requestid: '0' });
    s.openStream({ streamtype: 'data', port: 'http', requestid: '0' }).resume();
    assert.match(await readAll(error), /invalid port header "http" in port-forward request 0: a number from 1 to 65535 is required/);
    const lonely = s.openStream({ streamtype: 'error', port: '80', requestid: '1' });
    assert.match(await readAll(lonely), /timed out waiting for the data stream of port-forward request 1/);
    const streams: number[] = [];
    server.results[0]!.onStream((pf) => streams.push(pf.port));
    assert.deepEqual(streams, [], 'no incomplete pair reached the runtime');
  });
});
