import assert from 'node:assert/strict';
import { createServer as createHttp, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { ApiError, ConnectionError, RestClient, type ClientConfig, type WatchEvent } from '../../src/mirror/index.js';
import { defer, makePki, tempDir } from './helpers.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  clientCN?: string;
  clientPort: number | undefined;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

function collect(seen: Seen[], handler: Handler) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      const peer = (req.socket as TLSSocket).getPeerCertificate?.();
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body, clientPort: req.socket.remotePort, clientCN: peer && 'subject' in peer ? String(peer.subject?.CN) : undefined });
      handler(req, res, body);
    });
  };
}

async function httpServer(t: TestContext, handler: Handler): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const s = createHttp(collect(seen, handler));
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  defer(t, () => new Promise<void>((r) => {
    s.closeAllConnections();
    s.close(() => r());
  }));
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, seen };
}

function json(res: ServerResponse, code: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) });
  res.end(data);
}

function client(t: TestContext, cfg: Partial<ClientConfig> & { server: string }, timeoutMs?: number): RestClient {
  const c = new RestClient({ namespace: 'default', origin: 'test', ...cfg }, { timeoutMs });
  defer(t, () => c.close());
  return c;
}

test('verbs send the right method, path, query, content types and DeleteOptions body', async (t) => {
  const { url, seen } = await httpServer(t, (req, res, body) => {
    json(res, req.method === 'POST' ? 201 : 200, { kind: 'Pod', echo: body ? JSON.parse(body) : null, method: req.method });
  });
  const c = client(t, { server: url, token: 'tok-1' });

  const got = await c.get<{ method: string }>('/api/v1/namespaces/default/pods/a', { fieldSelector: 'spec.nodeName=n1', skip: undefined });
  assert.equal(got.method, 'GET');
  await c.create('/api/v1/namespaces/default/pods', { metadata: { name: 'a' } });
  await c.update('/api/v1/namespaces/default/pods/a', { metadata: { name: 'a' } });
  await c.patch('/api/v1/namespaces/default/pods/a/status', { status: { phase: 'Running' } }, 'merge');
  await c.patch('/api/v1/nodes/n1', { metadata: { labels: { a: 'b' } } }, 'strategic');
  const del = await c.delete<{ echo: unknown }>('/api/v1/namespaces/default/pods/a', { gracePeriodSeconds: 0, preconditions: { uid: 'u-1' } });
  assert.deepEqual(del.echo, { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0, preconditions: { uid: 'u-1' } });

  assert.deepEqual(seen.map((s) => `${s.method} ${s.url}`), [
    'GET /api/v1/namespaces/default/pods/a?fieldSelector=spec.nodeName%3Dn1',
    'POST /api/v1/namespaces/default/pods',
    'PUT /api/v1/namespaces/default/pods/a',
    'PATCH /api/v1/namespaces/default/pods/a/status',
    'PATCH /api/v1/nodes/n1',
    'DELETE /api/v1/namespaces/default/pods/a',
  ]);
  assert.equal(seen[0]!.headers['authorization'], 'Bearer tok-1');
  assert.equal(seen[0]!.headers['accept'], 'application/json');
  assert.equal(seen[1]!.headers['content-type'], 'application/json');
  assert.equal(seen[3]!.headers['content-type'], 'application/merge-patch+json');
  assert.equal(seen[4]!.headers['content-type'], 'application/strategic-merge-patch+json');
  assert.deepEqual(JSON.parse(seen[3]!.body), { status: { phase: 'Running' } });
  // Keep-alive: the sequential calls reused one connection.
  assert.equal(new Set(seen.map((s) => s.clientPort)).size, 1);
});

test('Status errors become typed ApiErrors; other error bodies keep code and text', async (t) => {
  const { url } = await httpServer(t, (req, res) => {
    if (req.url!.includes('conflict')) {
      json(res, 409, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'AlreadyExists', message: 'pods "x" already exists', code: 409 });
    } else {
      res.writeHead(502, { 'Content-Type': 'text/html' });
      res.end('<html>bad gateway</html>');
    }
  });
  const c = client(t, { server: url });
  const e1 = await c.create('/conflict', {}).catch((e: unknown) => e);
  assert.ok(e1 instanceof ApiError);
  assert.equal(e1.code, 409);
  assert.equal(e1.reason, 'AlreadyExists');
  assert.equal(e1.message, 'pods "x" already exists');
  assert.equal(e1.request, 'POST /conflict');
  const e2 = await c.get('/proxy').catch((e: unknown) => e);
  assert.ok(e2 instanceof ApiError);
  assert.equal(e2.code, 502);
  assert.match(e2.message, /HTTP 502: <html>bad gateway<\/html>/);
});

test('timeouts and refused connections are ConnectionErrors', async (t) => {
  const { url } = await httpServer(t, () => {
    /* never answers */
  });
  const slow = client(t, { server: url }, 200);
  const e = await slow.get('/api/v1/nodes').catch((x: unknown) => x);
  assert.ok(e instanceof ConnectionError, String(e));
  assert.match(e.message, /no answer within 200 ms/);

  // A port nobody listens on: bind one, note it, close it.
  const dead = createHttp();
  await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
  const port = (dead.address() as AddressInfo).port;
  await new Promise<void>((r) => dead.close(() => r()));
  const refused = client(t, { server: `http://127.0.0.1:${port}` });
  const e2 = await refused.get('/api').catch((x: unknown) => x);
  assert.ok(e2 instanceof ConnectionError);
  assert.match(e2.message, /ECONNREFUSED/);
});

test('tokenFile is read for the bearer token', async (t) => {
  const dir = await tempDir(t);
  const tf = join(dir, 'token');
  await writeFile(tf, 'from-file\n');
  const { url, seen } = await httpServer(t, (_q, res) => json(res, 200, {}));
  await client(t, { server: url, tokenFile: tf }).get('/api');
  assert.equal(seen[0]!.headers['authorization'], 'Bearer from-file');
});

test('watch: events split across chunks, ERROR events passed on, stream end resolves', async (t) => {
  const { url, seen } = await httpServer(t, (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    const lines =
      JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'a', resourceVersion: '5' } } }) +
      '\n' +
      JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } }) +
      '\n';
    res.write(lines.slice(0, 17));
    setTimeout(() => {
      res.write(lines.slice(17, 60));
      setTimeout(() => res.end(lines.slice(60)), 20);
    }, 20);
  });
  const c = client(t, { server: url });
  const got: WatchEvent<{ metadata?: { name: string }; code?: number }>[] = [];
  let opened = false;
  const h = c.watch<{ metadata?: { name: string }; code?: number }>('/api/v1/pods', { resourceVersion: '4' }, (e) => got.push(e), { onOpen: () => (opened = true) });
  await h.done;
  assert.equal(opened, true);
  assert.deepEqual(got.map((e) => e.type), ['ADDED', 'ERROR']);
  assert.equal(got[0]!.object.metadata?.name, 'a');
  assert.equal(got[1]!.object.code, 410);
  assert.equal(seen[0]!.url, '/api/v1/pods?resourceVersion=4&watch=true');
});

test('watch: an HTTP error rejects with an ApiError; stop() ends it quietly', async (t) => {
  const { url } = await httpServer(t, (req, res) => {
    if (req.url!.startsWith('/gone')) return json(res, 410, { kind: 'Status', code: 410, reason: 'Expired', message: 'too old' });
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.write('\n'); // keep the stream open
  });
  const c = client(t, { server: url });
  const err = await c.watch('/gone', {}, () => {}).done.catch((e: unknown) => e);
  assert.ok(err instanceof ApiError);
  assert.equal(err.code, 410);
  let opened!: () => void;
  const open = new Promise<void>((r) => (opened = r));
  const h = c.watch('/open', {}, () => {}, { onOpen: () => opened() });
  await open;
  h.stop();
  await h.done;
});

test('HTTPS: CA data verifies the server, the client certificate is presented, a wrong CA is refused, insecure skips', async (t) => {
  const pki = await makePki(await tempDir(t));
  const seen: Seen[] = [];
  const s = createHttps(
    { cert: pki.serverCertPem, key: pki.serverKeyPem, ca: pki.caPem, requestCert: true, rejectUnauthorized: false },
    collect(seen, (_q, res) => json(res, 200, { ok: true })),
  );
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  defer(t, () => new Promise<void>((r) => {
    s.closeAllConnections();
    s.close(() => r());
  }));
  const server = `https://127.0.0.1:${(s.address() as AddressInfo).port}`;

  const good = client(t, { server, caData: Buffer.from(pki.caPem), certData: Buffer.from(pki.clientCertPem), keyData: Buffer.from(pki.clientKeyPem) });
  assert.deepEqual(await good.get('/api'), { ok: true });
  assert.equal(seen[0]!.clientCN, 'system:node:test');

  const wrong = client(t, { server, caData: Buffer.from(pki.otherCaPem) });
  const e = await wrong.get('/api').catch((x: unknown) => x);
  assert.ok(e instanceof ConnectionError, String(e));

  const insecure = client(t, { server, insecureSkipTLSVerify: true });
  assert.deepEqual(await insecure.get('/api'), { ok: true });
  assert.equal(seen.length, 2);
});
