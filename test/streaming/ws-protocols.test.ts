// Every exec subprotocol and the bad input a client can send, by hand against the streaming
// fixture: what the kubelet sends at open, the error channel per protocol, unknown subprotocols,
// unknown channels, bad resizes, malformed close signals, oversized messages, a client that vanishes.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { startStreamingFixture } from './fixture.js';
import { base64ChannelBytes, channelBytes, connectRaw, execPath, waitFor, type Refusal } from './ws-raw-client.js';

const SCRIPT = ['sh', '-c', 'echo out; echo err >&2; exit 3'];

test('v5 and v4 binary: output, then a Status on channel 3 and close 1000; v4 opens with an empty stdout message, v5 does not', async (t) => {
  const fx = await startStreamingFixture(t);
  for (const protocol of ['v5.channel.k8s.io', 'v4.channel.k8s.io']) {
    const s = await connectRaw(fx.url, execPath(SCRIPT, { stdout: true, stderr: true }), [protocol]);
    assert.equal(s.ws.protocol, protocol);
    const { code } = await s.closed;
    assert.equal(code, 1000);
    if (protocol === 'v4.channel.k8s.io') assert.deepEqual([...s.frames[0]!.data], [1], 'the first v4 message is an empty one on stdout');
    // client-go drops (and logs) a message that comes before it registered its streams.
    else assert.ok(s.frames.every((f) => f.data.length > 1), 'v5 sends no empty open message');
    assert.equal(channelBytes(s.frames, 1).toString(), 'out\n');
    assert.equal(channelBytes(s.frames, 2).toString(), 'err\n');
    const status = JSON.parse(channelBytes(s.frames, 3).toString());
    assert.equal(status.status, 'Failure');
    assert.deepEqual(status.details.causes, [{ reason: 'ExitCode', message: '3' }]);
    assert.equal(s.frames.at(-1)!.data[0], 3, 'the status comes after all output');
  }
});

test('v4 base64: text frames with a channel digit, stdin decoded, the Status base64 too', async (t) => {
  const fx = await startStreamingFixture(t);
  const s = await connectRaw(fx.url, execPath(['sh', '-c', 'read l; echo "got $l"; echo err >&2'], { stdin: true, stdout: true, stderr: true }), ['v4.base64.channel.k8s.io']);
  s.ws.send('0' + Buffer.from('line\n').toString('base64'));
  await s.closed;
  assert.ok(s.frames.every((f) => f.text), 'base64 protocols answer in text frames');
  assert.equal(s.frames[0]!.data.toString(), '1');
  assert.equal(base64ChannelBytes(s.frames, 1).toString(), 'got line\n');
  assert.equal(base64ChannelBytes(s.frames, 2).toString(), 'err\n');
  assert.deepEqual(JSON.parse(base64ChannelBytes(s.frames, 3).toString()), { metadata: {}, status: 'Success' });
});

test('channel.k8s.io, base64.channel.k8s.io and no subprotocol: the failure text alone, nothing on success', async (t) => {
  const fx = await startStreamingFixture(t);
  const v1 = await connectRaw(fx.url, execPath(SCRIPT, { stdout: true }), ['channel.k8s.io']);
  await v1.closed;
  assert.equal(channelBytes(v1.frames, 3).toString(), 'command terminated with non-zero exit code: exit status 3');
  const b64 = await connectRaw(fx.url, execPath(SCRIPT, { stdout: true }), ['base64.channel.k8s.io']);
  await b64.closed;
  assert.equal(base64ChannelBytes(b64.frames, 3).toString(), 'command terminated with non-zero exit code: exit status 3');
  const bare = await connectRaw(fx.url, execPath(['true'], { stdout: true }), []);
  assert.equal(bare.ws.protocol, '');
  const { code } = await bare.closed;
  assert.equal(code, 1000);
  assert.equal(channelBytes(bare.frames, 3).length, 0);
  assert.equal(bare.frames.filter((f) => f.data[0] === 3).length, 0, 'success sends nothing on the error channel');
});

test('no output streams asked for: the open message goes on the error channel', async (t) => {
  const fx = await startStreamingFixture(t);
  const s = await connectRaw(fx.url, execPath(['true'], {}), ['v4.channel.k8s.io']);
  await s.closed;
  assert.deepEqual([...s.frames[0]!.data], [3]);
  assert.deepEqual(JSON.parse(channelBytes(s.frames, 3).toString()), { metadata: {}, status: 'Success' });
});

test('an unknown subprotocol is refused with 403 naming what would work, and nothing runs', async (t) => {
  const fx = await startStreamingFixture(t);
  const refusal = (await connectRaw(fx.url, execPath(['true'], { stdout: true }), ['v3.channel.k8s.io', 'nope']).then(
    () => assert.fail('the upgrade should be refused'),
    (r: Refusal) => r,
  )) as Refusal;
  assert.equal(refusal.status, 403);
  assert.match(refusal.body, /none of the offered WebSocket subprotocols \(v3\.channel\.k8s\.io, nope\) is supported; offer one of: v5\.channel\.k8s\.io, v4\.channel\.k8s\.io/);
  assert.equal(fx.seen.at(-1)?.transport, undefined);
  assert.equal(fx.running(), 0);
});

test('messages on channels the session does not read are ignored; stdin still works after them', async (t) => {
  const fx = await startStreamingFixture(t);
  const s = await connectRaw(fx.url, execPath(['head', '-n', '1'], { stdin: true, stdout: true }), ['v5.channel.k8s.io']);
  s.ws.send(Buffer.from([9, 1, 2, 3]));
  s.ws.send(Buffer.from([1, ...Buffer.from('not stdin\n')]));
  s.ws.send(Buffer.from([3, ...Buffer.from('{}')]));
  s.ws.send(Buffer.from([]));
  s.ws.send(Buffer.from([0, ...Buffer.from('real line\n')]));
  await s.closed;
  assert.equal(channelBytes(s.frames, 1).toString(), 'real line\n');
  assert.equal(JSON.parse(channelBytes(s.frames, 3).toString()).status, 'Success');
});

test('a resize with bad JSON is dropped and the next good one applies', async (t) => {
  const fx = await startStreamingFixture(t);
  const s = await connectRaw(fx.url, execPath(['sh', '-c', 'while read go; do stty size; done'], { stdin: true, stdout: true, tty: true }), ['v5.channel.k8s.io']);
  s.ws.send(Buffer.from([4, ...Buffer.from('{"Width":')]));
  s.ws.send(Buffer.from([4, ...Buffer.from('{"Width":-3,"Height":9}')]));
  s.ws.send(Buffer.from([4, ...Buffer.from('{"Width":77,"Height":33}')]));
  let asked = 0;
  await waitFor(
    'stty to report the good size',
    () => {
      if (/33 77/.test(channelBytes(s.frames, 1).toString())) return true;
      if (asked++ % 20 === 0) s.ws.send(Buffer.from([0, ...Buffer.from('go\r')]));
      return false;
    },
    () => channelBytes(s.frames, 1).toString(),
  );
  assert.doesNotMatch(channelBytes(s.frames, 1).toString(), /9 -3|9 65533/);
  assert.equal(channelBytes(s.frames, 2).length, 0, 'a tty has no separate stderr');
  s.ws.close();
  await waitFor('the exec to end with the connection', () => fx.running() === 0);
});

test('v5 close signals that name no channel or a channel that does not exist end the connection (1002)', async (t) => {
  const fx = await startStreamingFixture(t);
  for (const bad of [[255], [255, 9], [255, 0, 1]]) {
    const s = await connectRaw(fx.url, execPath(['sleep', '600'], { stdin: true, stdout: true }), ['v5.channel.k8s.io']);
    await waitFor('sleep to start', () => fx.running() === 1);
    s.ws.send(Buffer.from(bad));
    const { code, reason } = await s.closed;
    assert.equal(code, 1002, JSON.stringify(bad));
    assert.match(reason, /stream close/);
    await waitFor('the exec to be killed once the connection is gone', () => fx.running() === 0);
  }
});

test('a message over 32 MiB ends the connection with 1009 and kills the exec', async (t) => {
  const fx = await startStreamingFixture(t);
  const s = await connectRaw(fx.url, execPath(['cat'], { stdin: true, stdout: true }), ['v5.channel.k8s.io']);
  await waitFor('cat to start', () => fx.running() === 1);
  s.ws.send(Buffer.alloc(32 * 1024 * 1024 + 2));
  const { code } = await s.closed;
  assert.equal(code, 1009);
  await waitFor('the exec to be killed', () => fx.running() === 0);
});

test('a client that disconnects mid-stream: the exec is killed, nothing is left running', async (t) => {
  const fx = await startStreamingFixture(t);
  const sessions = await Promise.all(
    Array.from({ length: 5 }, () => connectRaw(fx.url, execPath(['sh', '-c', 'while true; do echo tick; sleep 0.1; done'], { stdout: true }), ['v5.channel.k8s.io'])),
  );
  await waitFor('output from every exec', () => sessions.every((s) => channelBytes(s.frames, 1).includes('tick')));
  assert.equal(fx.running(), 5);
  for (const s of sessions) s.ws.terminate();
  await waitFor('every exec to be killed', () => fx.running() === 0);
});

test('fifty concurrent execs each get their own output and outcome', async (t) => {
  const fx = await startStreamingFixture(t);
  const sessions = await Promise.all(
    Array.from({ length: 50 }, (_, i) => connectRaw(fx.url, execPath(['sh', '-c', `echo session-${i}; exit ${i % 7}`], { stdout: true }), ['v5.channel.k8s.io'])),
  );
  await Promise.all(sessions.map((s) => s.closed));
  sessions.forEach((s, i) => {
    assert.equal(channelBytes(s.frames, 1).toString(), `session-${i}\n`);
    const status = JSON.parse(channelBytes(s.frames, 3).toString());
    if (i % 7 === 0) assert.equal(status.status, 'Success');
    else assert.deepEqual(status.details.causes, [{ reason: 'ExitCode', message: String(i % 7) }]);
  });
  await waitFor('every exec to be gone', () => fx.running() === 0);
});

test('a malformed WebSocket handshake gets ws\'s 400 or 405 with the reason, and nothing runs', async (t) => {
  const fx = await startStreamingFixture(t);
  const { port } = new URL(fx.url);
  const exchange = (request: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const sock = connect(Number(port), '127.0.0.1', () => sock.write(request));
      let answer = '';
      sock.on('data', (d: Buffer) => (answer += d.toString()));
      sock.on('close', () => resolve(answer));
      sock.on('error', reject);
    });
  const path = execPath(['true'], { stdout: true });
  const noKey = await exchange(`GET ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  assert.match(noKey, /^HTTP\/1\.1 400 /);
  assert.match(noKey, /Sec-WebSocket-Key/);
  const post = await exchange(`POST ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nContent-Length: 0\r\n\r\n`);
  assert.match(post, /^HTTP\/1\.1 405 /);
  assert.ok(fx.seen.length >= 2 && fx.seen.every((s) => s.transport === undefined));
  assert.equal(fx.running(), 0);
});
