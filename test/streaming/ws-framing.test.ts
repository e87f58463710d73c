// Unit tests of the WebSocket channel framing, subprotocol negotiation, resize parsing, the
// error-channel status and port checks, with bad input for each.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeMessage, encodeMessage } from '../../src/streaming/websocket/framing.js';
import { negotiate, offeredProtocols, PORT_FORWARD_PROTOCOLS, REMOTE_COMMAND_PROTOCOLS } from '../../src/streaming/websocket/protocols.js';
import { parseTerminalSize } from '../../src/streaming/websocket/remote-command.js';
import { errorChannelMessage } from '../../src/streaming/websocket/status.js';
import { portsProblem } from '../../src/streaming/websocket/port-forward.js';

const b = (...bytes: number[]): Buffer => Buffer.from(bytes);

test('binary framing: channel byte then payload; v5 close signal; empty messages', () => {
  assert.deepEqual(decodeMessage(b(0, 104, 105), 'binary', true), { kind: 'data', channel: 0, payload: b(104, 105) });
  assert.deepEqual(decodeMessage(b(4), 'binary', true), { kind: 'data', channel: 4, payload: b() });
  assert.deepEqual(decodeMessage(b(), 'binary', true), { kind: 'empty' });
  assert.deepEqual(decodeMessage(b(255, 0), 'binary', true), { kind: 'close', channel: 0 });
  // Without v5 a leading 255 is just a channel number (which no session reads).
  assert.deepEqual(decodeMessage(b(255, 0), 'binary', false), { kind: 'data', channel: 255, payload: b(0) });
  assert.equal(encodeMessage(2, b(7, 8), 'binary').toString('hex'), '020708');
});

test('binary framing: a close signal naming no channel or two is fatal', () => {
  const none = decodeMessage(b(255), 'binary', true);
  assert.equal(none.kind, 'fatal');
  assert.match((none as { reason: string }).reason, /exactly one channel, got 0 bytes/);
  assert.equal(decodeMessage(b(255, 0, 1), 'binary', true).kind, 'fatal');
});

test('base64 framing: channel character then base64 text; bad input is dropped', () => {
  const hello = Buffer.from('1' + Buffer.from('hello\n').toString('base64'));
  assert.deepEqual(decodeMessage(hello, 'base64', false), { kind: 'data', channel: 1, payload: Buffer.from('hello\n') });
  assert.deepEqual(decodeMessage(Buffer.from('0'), 'base64', false), { kind: 'data', channel: 0, payload: b() });
  assert.equal(encodeMessage(3, Buffer.from('hi'), 'base64'), '3aGk=');
  // Upstream writes the character '0' + n for any channel: channel 12 is '<'.
  assert.equal(encodeMessage(12, b(), 'base64'), '<');
  assert.deepEqual(decodeMessage(Buffer.from('<'), 'base64', false), { kind: 'data', channel: 12, payload: b() });
  const notBase64 = decodeMessage(Buffer.from('0not base64!'), 'base64', false);
  assert.equal(notBase64.kind, 'dropped');
  assert.match((notBase64 as { reason: string }).reason, /channel 0: payload is not valid padded base64/);
  assert.equal(decodeMessage(Buffer.from('0aGk'), 'base64', false).kind, 'dropped', 'unpadded base64 is refused, as Go StdEncoding does');
  const badChannel = decodeMessage(Buffer.from('+aGk='), 'base64', false);
  assert.equal(badChannel.kind, 'dropped');
  assert.match((badChannel as { reason: string }).reason, /not a channel character/);
  // The base64 protocols have no close signal: byte 255 is channel 207 there.
  assert.deepEqual(decodeMessage(b(255), 'base64', true), { kind: 'data', channel: 207, payload: b() });
});

test('subprotocol negotiation follows the client preference, as upstream', () => {
  assert.deepEqual(offeredProtocols('v5.channel.k8s.io, v4.channel.k8s.io'), ['v5.channel.k8s.io', 'v4.channel.k8s.io']);
  assert.deepEqual(offeredProtocols(['a, b', ' c ']), ['a', 'b', 'c']);
  assert.deepEqual(offeredProtocols(undefined), []);
  assert.equal(negotiate(['v5.channel.k8s.io', 'v4.channel.k8s.io'], REMOTE_COMMAND_PROTOCOLS)?.name, 'v5.channel.k8s.io');
  assert.equal(negotiate(['base64url.bearer.authorization.k8s.io.dG9r', 'v4.base64.channel.k8s.io'], REMOTE_COMMAND_PROTOCOLS)?.name, 'v4.base64.channel.k8s.io');
  assert.equal(negotiate(['channel.k8s.io', 'v5.channel.k8s.io'], REMOTE_COMMAND_PROTOCOLS)?.name, 'channel.k8s.io');
  assert.equal(negotiate([], REMOTE_COMMAND_PROTOCOLS)?.name, '');
  assert.equal(negotiate(['v3.channel.k8s.io', 'nope'], REMOTE_COMMAND_PROTOCOLS), undefined);
  // The kubelet's port-forward has no v5 and no v1.
  assert.equal(negotiate(['v5.channel.k8s.io', 'channel.k8s.io'], PORT_FORWARD_PROTOCOLS), undefined);
  assert.equal(negotiate(['v4.channel.k8s.io'], PORT_FORWARD_PROTOCOLS)?.codec, 'binary');
  assert.equal(negotiate(['v4.base64.channel.k8s.io'], PORT_FORWARD_PROTOCOLS)?.codec, 'base64');
});

test('resize messages: {"Width","Height"} of uint16s; anything else is dropped', () => {
  assert.deepEqual(parseTerminalSize(Buffer.from('{"Width":120,"Height":50}')), { width: 120, height: 50 });
  for (const bad of ['{"Width":120', 'null', '[1,2]', '"x"', '{"width":1,"height":2}', '{"Width":-1,"Height":2}', '{"Width":70000,"Height":2}', '{"Width":1.5,"Height":2}', '{"Width":"80","Height":"24"}', '']) {
    assert.equal(parseTerminalSize(Buffer.from(bad)), undefined, bad);
  }
});

test('the error channel: metav1.Status on v4/v5, the message text on older protocols', () => {
  assert.equal(errorChannelMessage({ exitCode: 0 }, 'status'), '{"metadata":{},"status":"Success"}');
  assert.equal(
    errorChannelMessage({ exitCode: 3 }, 'status'),
    '{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: exit status 3","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}',
  );
  assert.equal(
    errorChannelMessage({ error: 'container c1 is not running' }, 'status'),
    '{"metadata":{},"status":"Failure","message":"Internal error occurred: container c1 is not running","reason":"InternalError","details":{"causes":[{"message":"container c1 is not running"}]},"code":500}',
  );
  assert.equal(errorChannelMessage({ exitCode: 0 }, 'text'), undefined);
  assert.equal(errorChannelMessage({ exitCode: 3 }, 'text'), 'command terminated with non-zero exit code: exit status 3');
  assert.equal(errorChannelMessage({ error: 'boom' }, 'text'), 'Internal error occurred: boom');
});

test('port-forward ports: required, 1..65535, and a bounded count', () => {
  assert.equal(portsProblem([8080, 9090]), undefined);
  assert.match(portsProblem([]) ?? '', /no port to forward: give \?ports=8080 \(pods\/portforward\) or \?port=8080/);
  assert.match(portsProblem([Number.NaN]) ?? '', /the ports asked for include a value that is not a number/);
  assert.match(portsProblem([0]) ?? '', /the ports asked for include "0"; give port numbers from 1 to 65535/);
  assert.match(portsProblem([65536]) ?? '', /include "65536"/);
  assert.match(portsProblem(Array.from({ length: 104 }, (_, i) => i + 1)) ?? '', /104 ports .* at most 103/);
});
