// port-forward over the kubelet's WebSocket protocol by hand: the opening port frames, data both
// ways per port, the error channel, the base64 variant, and the requests refused before upgrading.
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { test } from 'node:test';
import { defer, type TestLike } from '../cleanup.js';
import { startStreamingFixture } from './fixture.js';
import { base64ChannelBytes, channelBytes, connectRaw, waitFor, type Refusal } from './ws-raw-client.js';

/** A TCP server that answers each line with "echo:<line>" and counts its open connections. */
async function lineEcho(t: TestLike): Promise<{ port: number; open: () => number }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    s.on('data', (d: Buffer) => s.write(`echo:${d.toString()}`));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  defer(t, async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });
  return { port: (server.address() as AddressInfo).port, open: () => sockets.size };
}

const le = (port: number): number[] => [port & 0xff, port >> 8];

test('binary v4: both channels of each port open with the port little-endian; data flows per port', async (t) => {
  const fx = await startStreamingFixture(t);
  const a = await lineEcho(t);
  const b = await lineEcho(t);
  const s = await connectRaw(fx.url, `/api/v1/namespaces/default/pods/web/portforward?ports=${a.port},${b.port}`, ['v4.channel.k8s.io']);
  assert.equal(s.ws.protocol, 'v4.channel.k8s.io');
  await waitFor('the four opening frames', () => s.frames.length >= 4);
  assert.deepEqual(
    s.frames.slice(0, 4).map((f) => [...f.data]),
    [
      [0, ...le(a.port)],
      [1, ...le(a.port)],
      [2, ...le(b.port)],
      [3, ...le(b.port)],
    ],
  );
  s.ws.send(Buffer.from([0, ...Buffer.from('to-a')]));
  s.ws.send(Buffer.from([2, ...Buffer.from('to-b')]));
  await waitFor('both answers', () => channelBytes(s.frames, 0).includes('echo:to-a') && channelBytes(s.frames, 2).includes('echo:to-b'));
  assert.equal(channelBytes(s.frames, 0).subarray(2).toString(), 'echo:to-a');
  assert.equal(channelBytes(s.frames, 2).subarray(2).toString(), 'echo:to-b');
  assert.equal(a.open() + b.open(), 2);
  s.ws.close();
  await waitFor('the pod-side connections to close with the WebSocket', () => a.open() + b.open() === 0);
});

test('a port nothing listens on: the message on its error channel, the WebSocket closes once every port is done', async (t) => {
  const fx = await startStreamingFixture(t);
  const closedPort = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
  const s = await connectRaw(fx.url, `/api/v1/namespaces/default/pods/web/portforward?ports=${closedPort}`, ['v4.channel.k8s.io']);
  const { code } = await s.closed;
  assert.equal(code, 1000);
  assert.match(channelBytes(s.frames, 1).subarray(2).toString(), new RegExp(`error forwarding port ${closedPort} .*ECONNREFUSED`));
});

test('the target closing its side ends the forward: the WebSocket closes after the data', async (t) => {
  const fx = await startStreamingFixture(t);
  const server = createServer((sock) => sock.end('bye\n'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  defer(t, () => new Promise<void>((r) => server.close(() => r())));
  const { port } = server.address() as AddressInfo;
  const s = await connectRaw(fx.url, `/api/v1/namespaces/default/pods/web/portforward?ports=${port}`, ['v4.channel.k8s.io']);
  const { code } = await s.closed;
  assert.equal(code, 1000);
  assert.equal(channelBytes(s.frames, 0).subarray(2).toString(), 'bye\n');
  assert.equal(channelBytes(s.frames, 1).length, 2, 'nothing but the port on the error channel');
});

test('v4 base64: text frames, the port bytes base64-encoded too', async (t) => {
  const fx = await startStreamingFixture(t);
  const a = await lineEcho(t);
  const s = await connectRaw(fx.url, `/api/v1/namespaces/default/pods/web/portforward?ports=${a.port}`, ['v4.base64.channel.k8s.io']);
  s.ws.send('0' + Buffer.from('hi').toString('base64'));
  await waitFor('the answer', () => base64ChannelBytes(s.frames, 0).includes('echo:hi'));
  assert.ok(s.frames.every((f) => f.text));
  assert.deepEqual([...base64ChannelBytes(s.frames, 1)], le(a.port));
  assert.equal(base64ChannelBytes(s.frames, 0).toString('latin1'), Buffer.from(le(a.port)).toString('latin1') + 'echo:hi');
  s.ws.close();
});

test('refused before upgrading: no ports, a bad port, a subprotocol port-forward does not speak', async (t) => {
  const fx = await startStreamingFixture(t);
  const refusal = (path: string, protocols: string[]): Promise<Refusal> =>
    connectRaw(fx.url, path, protocols).then(
      () => assert.fail(`${path} should be refused`),
      (r: Refusal) => r,
    );
  const none = await refusal('/api/v1/namespaces/default/pods/web/portforward', ['v4.channel.k8s.io']);
  assert.equal(none.status, 400);
  assert.match(none.body, /no port to forward: give \?ports=8080 \(pods\/portforward\) or \?port=8080/);
  const bad = await refusal('/api/v1/namespaces/default/pods/web/portforward?ports=http', ['v4.channel.k8s.io']);
  assert.equal(bad.status, 400);
  assert.match(bad.body, /the ports asked for include a value that is not a number; give port numbers from 1 to 65535/);
  const v5 = await refusal('/api/v1/namespaces/default/pods/web/portforward?ports=80', ['v5.channel.k8s.io']);
  assert.equal(v5.status, 403);
  assert.match(v5.body, /port-forward: .*offer one of: v4\.channel\.k8s\.io, v4\.base64\.channel\.k8s\.io/);
});
