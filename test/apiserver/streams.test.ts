// pods/exec, pods/attach and pods/portforward through the embedded API: the request is checked
// and translated to the node API's path, the upgrade goes to the node with the stream headers and
// without the client's token, the node's 101 or its refusal comes back as it is, and then bytes
// flow both ways until one side closes.
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Duplex } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { startFakeNode, type FakeNode } from './fake-node.js';
import { TOKEN, call, mirrorPodBody, nodeBody, startTestServer, waitFor, type TestServer } from './helpers.js';

type Upgraded = { kind: 'upgraded'; res: IncomingMessage; socket: Duplex; head: Buffer };
type Answered = { kind: 'answered'; status: number; headers: IncomingMessage['headers']; text: string };

const JSON_REFUSAL = JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'attach is forbidden here', reason: 'Forbidden', code: 403 });

const WS_HEADERS = {
  Connection: 'Upgrade',
  Upgrade: 'websocket',
  'Sec-WebSocket-Version': '13',
  'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
  'Sec-WebSocket-Protocol': 'v5.channel.k8s.io, v4.channel.k8s.io',
};

function upgrade(ts: TestServer, method: string, path: string, headers: Record<string, string> = WS_HEADERS, token: string | null = TOKEN): Promise<Upgraded | Answered> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(new URL(path, ts.server.url), {
      method,
      ca: ts.server.caCertPem,
      headers: { ...headers, ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    });
    req.on('upgrade', (res, socket, head) => resolve({ kind: 'upgraded', res, socket, head }));
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ kind: 'answered', status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

function answered(r: Upgraded | Answered): Answered {
  if (r.kind !== 'answered') {
    r.socket.destroy();
    assert.fail('expected an HTTP answer, got an upgrade');
  }
  return r;
}

describe('stream subresources proxied to the node API', () => {
  let node: FakeNode;
  let ts: TestServer;
  const upgrades: Array<{ url: string; headers: IncomingMessage['headers']; closed: boolean }> = [];

  before(async () => {
    node = await startFakeNode();
    node.server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
      const seen = { url: req.url ?? '', headers: req.headers, closed: false };
      upgrades.push(seen);
      // The proxy ending its side is what the node sees (an HTTP server socket stays half-open until it ends too).
      socket.on('end', () => {
        seen.closed = true;
        socket.end();
      });
      socket.on('error', () => socket.destroy());
      if (seen.url.includes('input=1') && seen.url.startsWith('/attach/')) {
        socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(JSON_REFUSAL)}\r\n\r\n${JSON_REFUSAL}`);
        return;
      }
      if (seen.url.startsWith('/attach/')) {
        // As the node API refuses an attach to a container that is not running.
        const body = 'container "web" in pod "p" is not running (exited: Error)\n';
        socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
        return;
      }
      const proto = req.headers['upgrade'] === 'websocket' ? `Upgrade: websocket\r\nSec-WebSocket-Protocol: v5.channel.k8s.io\r\n` : `Upgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n`;
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n${proto}\r\n`);
      socket.write('ready:');
      // An echo, upper-cased: proves bytes go both ways through the proxy.
      socket.on('data', (c: Buffer) => socket.write(c.toString().toUpperCase()));
    });
    ts = await startTestServer({ node: node.connection });
    const n = await call(ts, 'POST', '/api/v1/nodes', { body: nodeBody() });
    assert.equal((await call(ts, 'POST', '/api/v1/namespaces/default/pods', { body: mirrorPodBody('p', n.json.metadata.uid) })).status, 201);
    const two = mirrorPodBody('two', n.json.metadata.uid);
    (two['spec'] as { containers: unknown[] }).containers.push({ name: 'side', image: 'busybox' });
    assert.equal((await call(ts, 'POST', '/api/v1/namespaces/default/pods', { body: two })).status, 201);
  });
  after(async () => {
    await ts?.close();
    await node?.close();
  });

  test('exec over WebSocket: translated path, stream headers forwarded, no client token, bytes both ways, close reaches the node', async () => {
    const r = await upgrade(ts, 'GET', '/api/v1/namespaces/default/pods/p/exec?command=sh&command=-c&command=echo%20hi&stdin=true&stdout=true&tty=true');
    assert.equal(r.kind, 'upgraded');
    const { res, socket, head } = r as Upgraded;
    assert.equal(res.headers['sec-websocket-protocol'], 'v5.channel.k8s.io');
    const seen = upgrades.at(-1)!;
    assert.equal(seen.url, '/exec/default/p/web?command=sh&command=-c&command=echo+hi&input=1&output=1&tty=1');
    assert.equal(seen.headers['upgrade'], 'websocket');
    assert.equal(seen.headers['sec-websocket-protocol'], 'v5.channel.k8s.io, v4.channel.k8s.io');
    assert.equal(seen.headers['sec-websocket-key'], WS_HEADERS['Sec-WebSocket-Key']);
    assert.equal(seen.headers['authorization'], undefined, "the client's token stays with the API server");
    assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
    let got = head.toString();
    socket.on('data', (c: Buffer) => (got += c.toString()));
    socket.write('hello');
    await waitFor(() => got === 'ready:HELLO', `the echo through the proxy (got ${JSON.stringify(got)})`);
    socket.destroy();
    await waitFor(() => seen.closed, 'the node side closed when the client left');
  });

  test('portforward over SPDY (POST): /portForward with the ports, X-Stream-Protocol-Version forwarded', async () => {
    const r = await upgrade(ts, 'POST', '/api/v1/namespaces/default/pods/p/portforward?ports=8080,9090', {
      Connection: 'Upgrade',
      Upgrade: 'SPDY/3.1',
      'X-Stream-Protocol-Version': 'portforward.k8s.io',
    });
    assert.equal(r.kind, 'upgraded');
    const u = r as Upgraded;
    assert.equal(u.res.headers['x-stream-protocol-version'], 'portforward.k8s.io');
    const seen = upgrades.at(-1)!;
    assert.equal(seen.url, '/portForward/default/p?port=8080&port=9090');
    assert.equal(seen.headers['x-stream-protocol-version'], 'portforward.k8s.io');
    u.socket.destroy();
  });

  test("the node's refusal comes back: a plain-text one as a Status in the node's words, a JSON one as it is", async () => {
    const r = answered(await upgrade(ts, 'POST', '/api/v1/namespaces/default/pods/p/attach?container=web&stdout=true&stderr=true'));
    assert.equal(upgrades.at(-1)!.url, '/attach/default/p/web?output=1&error=1');
    assert.equal(r.status, 400);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(r.text), {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'container "web" in pod "p" is not running (exited: Error)',
      reason: 'BadRequest',
      code: 400,
    });
    const j = answered(await upgrade(ts, 'POST', '/api/v1/namespaces/default/pods/p/attach?container=web&stdout=true&stdin=true'));
    assert.equal(j.status, 403);
    assert.equal(j.text, JSON_REFUSAL);
  });

  test('refused before the node is asked: no token, no pod, no container named, no command, bad ports, not a stream path', async () => {
    const before = upgrades.length;
    const noToken = answered(await upgrade(ts, 'GET', '/api/v1/namespaces/default/pods/p/exec?command=ls&stdout=true', WS_HEADERS, null));
    assert.equal(noToken.status, 401);
    assert.equal(JSON.parse(noToken.text).reason, 'Unauthorized');
    const wrong = answered(await upgrade(ts, 'GET', '/api/v1/namespaces/default/pods/p/exec?command=ls&stdout=true', WS_HEADERS, 'wrong'));
    assert.equal(wrong.status, 401);
    const missing = answered(await upgrade(ts, 'GET', '/api/v1/namespaces/default/pods/nope/exec?command=ls&stdout=true'));
    assert.equal(missing.status, 404);
    assert.equal(JSON.parse(missing.text).message, 'pods "nope" not found');
    const which = answered(await upgrade(ts, 'GET', '/api/v1/namespaces/default/pods/two/exec?command=ls&stdout=true'));
    assert.equal(which.status, 400);
    assert.equal(JSON.parse(which.text).message, 'a container name must be specified for pod two, choose one of: [web side]');
    const notThere = answered(await upgrade(ts, 'GET', '/api/v1/namespaces/default/pods/two/exec?command=ls&stdout=true&container=db'));
    assert.equal(JSON.parse(notThere.text).message, 'container db is not valid for pod two');
    const noCommand = answered(await upgrade(ts, 'GET', '/api/v1/namespaces/default/pods/p/exec?stdout=true'));
    assert.equal(JSON.parse(noCommand.text).message, 'you must specify at least 1 command');
    const noStreams = answered(await upgrade(ts, 'GET', '/api/v1/namespaces/default/pods/p/exec?command=ls'));
    assert.equal(JSON.parse(noStreams.text).message, 'you must specify at least 1 of stdin, stdout, stderr');
    const badPort = answered(await upgrade(ts, 'POST', '/api/v1/namespaces/default/pods/p/portforward?ports=http'));
    assert.equal(JSON.parse(badPort.text).message, 'invalid port "http" in ports: a port must be a number from 1 to 65535');
    const other = answered(await upgrade(ts, 'GET', '/api/v1/namespaces/default/pods'));
    assert.equal(other.status, 400);
    assert.match(JSON.parse(other.text).message, /cannot be upgraded: only pods\/exec, pods\/attach and pods\/portforward are streams/);
    const put = answered(await upgrade(ts, 'PUT', '/api/v1/namespaces/default/pods/p/exec?command=ls&stdout=true'));
    assert.equal(put.status, 405);
    assert.equal(upgrades.length, before, 'none of these reached the node');
  });

  test('without an Upgrade header: 400 "Upgrade request required"; the subresources are in discovery', async () => {
    for (const sub of ['exec?command=ls&stdout=true', 'attach?stdout=true', 'portforward']) {
      const r = await call(ts, 'POST', `/api/v1/namespaces/default/pods/p/${sub}`);
      assert.equal(r.status, 400, r.text);
      assert.equal(r.json.message, 'Upgrade request required');
    }
  });

  test('a node API that cannot be reached: 502 saying where', async () => {
    const down = await startTestServer();
    try {
      const n = await call(down, 'POST', '/api/v1/nodes', { body: nodeBody() });
      await call(down, 'POST', '/api/v1/namespaces/default/pods', { body: mirrorPodBody('p', n.json.metadata.uid) });
      const r = answered(await upgrade(down, 'GET', '/api/v1/namespaces/default/pods/p/exec?command=ls&stdout=true'));
      assert.equal(r.status, 502);
      assert.match(JSON.parse(r.text).message, /^the node API at http:\/\/127\.0\.0\.1:9 cannot be reached: connect ECONNREFUSED .*; the stream was not opened$/);
    } finally {
      await down.close();
    }
  });

  test('closing the API server ends the streams it proxies', async () => {
    const own = await startTestServer({ node: node.connection });
    const n = await call(own, 'POST', '/api/v1/nodes', { body: nodeBody() });
    await call(own, 'POST', '/api/v1/namespaces/default/pods', { body: mirrorPodBody('p', n.json.metadata.uid) });
    const r = (await upgrade(own, 'GET', '/api/v1/namespaces/default/pods/p/exec?command=sh&stdin=true&stdout=true')) as Upgraded;
    assert.equal(r.kind, 'upgraded');
    const seen = upgrades.at(-1)!;
    let clientClosed = false;
    for (const ev of ['end', 'close']) r.socket.on(ev, () => (clientClosed = true));
    r.socket.resume();
    await own.close();
    await waitFor(() => clientClosed, 'the client side closed');
    await waitFor(() => seen.closed, 'the node side closed');
  });
});
