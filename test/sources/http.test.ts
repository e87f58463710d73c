import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { HttpSource, HTTP_SOURCE_STATE, parseManifestUrlHeader, type HttpSourceOptions } from '../../src/sources/index.js';
import { silentLogger } from '../../src/log/index.js';
import { capturingLogger, defer, image, names, podYaml, Recorder, tempDir, waitFor, type TestLike } from './helpers.js';

const NODE = 'node1';

interface TestServer {
  url: string;
  requests: http.IncomingHttpHeaders[];
  handle: (req: http.IncomingMessage, res: http.ServerResponse) => void;
}

async function startServer(t: TestLike): Promise<TestServer> {
  const state: TestServer = {
    url: '',
    requests: [],
    handle: (_req, res) => res.end(''),
  };
  const server = http.createServer((req, res) => {
    state.requests.push(req.headers);
    state.handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/pods.yaml`;
  defer(t, () => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return state;
}

function serve(server: TestServer, body: string, status = 200, type = 'application/yaml'): void {
  server.handle = (_req, res) => {
    res.writeHead(status, { 'content-type': type });
    res.end(body);
  };
}

async function startSource(
  t: TestLike,
  opts: Partial<HttpSourceOptions> & { url: string; stateDir: string },
): Promise<{ source: HttpSource; rec: Recorder }> {
  const source = new HttpSource({ headers: {}, nodeName: NODE, checkFrequencyMs: 30, logger: silentLogger, ...opts });
  const rec = new Recorder();
  defer(t, () => source.stop());
  await source.start(rec.push);
  return { source, rec };
}

const podList = (...pods: string[]): string =>
  `apiVersion: v1\nkind: PodList\nitems:\n` +
  pods.map((p) => p.split('\n').filter(Boolean).map((l, i) => (i === 0 ? `- ${l}` : `  ${l}`)).join('\n')).join('\n') +
  '\n';

test('a Pod body and a PodList body', async (t) => {
  const server = await startServer(t);
  serve(server, podYaml('web'));
  const { rec } = await startSource(t, { url: server.url, stateDir: await tempDir(t) });
  assert.equal(rec.snapshots.length, 1, 'start() resolves after the first snapshot');
  const first = rec.last();
  assert.deepEqual(names(first), [`web-${NODE}`]);
  assert.deepEqual(first.problems, []);
  assert.equal(first.origins?.get(first.pods[0]!.metadata!.uid!), server.url);
  assert.equal(first.pods[0]!.metadata!.annotations!['kubernetes.io/config.source'], 'http');

  serve(server, podList(podYaml('a'), podYaml('b', 'nginx:1.27')));
  const list = await rec.until('PodList applied', (s) => s.pods.length === 2);
  assert.deepEqual(names(list), [`a-${NODE}`, `b-${NODE}`]);
  assert.equal(image(list.pods[1]), 'nginx:1.27');

  serve(server, '');
  await rec.until('empty body = empty set', (s) => s.pods.length === 0 && s.problems.length === 0);
});

test('headers from --manifest-url-header are sent', async (t) => {
  const server = await startServer(t);
  serve(server, podYaml('web'));
  let headers = parseManifestUrlHeader('Authorization:Bearer x,X-Multi:a');
  headers = parseManifestUrlHeader('X-Multi:b', headers);
  await startSource(t, { url: server.url, stateDir: await tempDir(t), headers });
  const h = server.requests[0]!;
  assert.equal(h.authorization, 'Bearer x');
  assert.equal(h['x-multi'], 'a, b');
});

test('parseManifestUrlHeader: kubelet flag syntax', () => {
  assert.deepEqual(parseManifestUrlHeader('a:hello,b:again'), { a: ['hello'], b: ['again'] });
  assert.deepEqual(parseManifestUrlHeader('Authorization:Bearer x'), { Authorization: ['Bearer x'] });
  assert.deepEqual(parseManifestUrlHeader('k: v:w , k:z'), { k: ['v:w', 'z'] }, 'first colon splits; trimmed; merged');
  assert.deepEqual(parseManifestUrlHeader('c:3', { a: ['1'] }), { a: ['1'], c: ['3'] });
  assert.throws(
    () => parseManifestUrlHeader('a:hello,novalue'),
    (e: Error) =>
      e.message.includes('--manifest-url-header') && e.message.includes('"a:hello,novalue"') && e.message.includes('key:value'),
  );
  assert.throws(() => parseManifestUrlHeader('bad key:v'), /not a valid HTTP header name/);
});

test('HTTP 500 keeps the last good set with a problem; the same good body again clears it', async (t) => {
  const server = await startServer(t);
  serve(server, podYaml('web'));
  const { rec } = await startSource(t, { url: server.url, stateDir: await tempDir(t) });
  const good = rec.last().pods[0]!;

  serve(server, 'boom', 500);
  const failing = await rec.until('problem', (s) => s.problems.length === 1);
  assert.equal(failing.pods[0], good, 'last good pod kept (same object)');
  const p = failing.problems[0]!;
  assert.equal(p.origin, server.url);
  assert.equal(p.reason, 'FailedToParse');
  assert.equal(p.message, 'GET returned HTTP 500 Internal Server Error');

  serve(server, podYaml('web'));
  const back = await rec.until('problem cleared', (s) => s.problems.length === 0);
  assert.equal(back.pods[0], good);
});

test('an HTML answer is a decode problem and the last good set stays', async (t) => {
  const server = await startServer(t);
  serve(server, podYaml('web'));
  const { rec } = await startSource(t, { url: server.url, stateDir: await tempDir(t) });
  const good = rec.last().pods[0]!;
  serve(server, '<!doctype html>\n<html><body><h1>Login</h1></body></html>\n', 200, 'text/html');
  const s = await rec.until('decode problem', (s) => s.problems.length > 0);
  assert.equal(s.pods[0], good);
  assert.equal(s.problems[0]!.origin, server.url);
});

test('a 50 MB body is cut off at the limit, not buffered whole', async (t) => {
  const server = await startServer(t);
  let written = 0;
  let closed = false;
  const chunk = Buffer.alloc(64 * 1024, 'a');
  server.handle = (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/yaml' }); // chunked: no length to refuse early
    res.on('close', () => (closed = true));
    const pump = (): void => {
      while (!closed && written < 50 * 1024 * 1024) {
        written += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      if (!closed) res.end();
    };
    pump();
  };
  const { rec } = await startSource(t, { url: server.url, stateDir: await tempDir(t), checkFrequencyMs: 60_000 });
  const s = rec.last();
  assert.equal(s.problems.length, 1);
  assert.match(s.problems[0]!.message, /larger than the 10 MiB limit/);
  await waitFor('server sees the connection closed', () => closed);
  assert.ok(written < 50 * 1024 * 1024, `the agent stopped reading early (server wrote ${written} bytes)`);
});

test('a declared Content-Length over the limit is refused without reading', async (t) => {
  const server = await startServer(t);
  server.handle = (_req, res) => {
    res.writeHead(200, { 'content-length': String(50 * 1024 * 1024) });
    res.write('apiVersion: v1\n');
  };
  const { rec } = await startSource(t, { url: server.url, stateDir: await tempDir(t), checkFrequencyMs: 60_000 });
  assert.match(rec.last().problems[0]!.message, /larger than/);
});

test('a server that never answers gives a timeout problem', async (t) => {
  const server = await startServer(t);
  server.handle = () => {
    /* never answer */
  };
  const { rec } = await startSource(t, { url: server.url, stateDir: await tempDir(t), timeoutMs: 200, checkFrequencyMs: 60_000 });
  const s = rec.last();
  assert.equal(s.problems.length, 1);
  assert.equal(s.problems[0]!.message, 'GET timed out after 200ms');
});

test('connection refused is a problem naming the error', async (t) => {
  // a port nobody listens on: bind one, then close it
  const probe = http.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const { rec } = await startSource(t, { url: `http://127.0.0.1:${port}/x`, stateDir: await tempDir(t), checkFrequencyMs: 60_000 });
  assert.match(rec.last().problems[0]!.message, /^GET failed: .*ECONNREFUSED/);
});

test('an unchanged body emits nothing; a changed body is applied', async (t) => {
  const server = await startServer(t);
  serve(server, podYaml('web'));
  const { rec } = await startSource(t, { url: server.url, stateDir: await tempDir(t), checkFrequencyMs: 10 });
  await waitFor('several polls', () => server.requests.length >= 10);
  assert.equal(rec.snapshots.length, 1);

  serve(server, podYaml('web', 'nginx:1.27'));
  const changed = await rec.until('new body', (s) => image(s.pods[0]) === 'nginx:1.27');
  assert.notEqual(changed.pods[0]!.metadata!.uid, rec.snapshots[0]!.pods[0]!.metadata!.uid);
  const count = rec.snapshots.length;
  const polled = server.requests.length;
  await waitFor('several more polls', () => server.requests.length >= polled + 10);
  assert.equal(rec.snapshots.length, count);
});

test('a warning about a served pod is logged once, not at every poll', async (t) => {
  const server = await startServer(t);
  serve(server, podYaml('web', 'busybox:1.36', '  terminationGracePeriodSeconds: -2\n'));
  const logger = capturingLogger();
  const { rec } = await startSource(t, { url: server.url, stateDir: await tempDir(t), checkFrequencyMs: 10, logger });
  assert.equal(rec.last().pods[0]!.spec!.terminationGracePeriodSeconds, 1, 'negative is treated as 1');
  await waitFor('several polls', () => server.requests.length >= 10);
  const warned = logger.lines.filter((l) => l.level === 'warn' && /terminationGracePeriodSeconds: must be >= 0/.test(l.msg));
  assert.equal(warned.length, 1, JSON.stringify(logger.lines));
  assert.match(warned[0]!.msg, /^http:\/\/127\.0\.0\.1:\d+\/pods\.yaml: spec\.terminationGracePeriodSeconds: .*\(fix: /);
});

test('the persisted last good body is used at start while the URL fails; not for another URL', async (t) => {
  const server = await startServer(t);
  const stateDir = await tempDir(t);
  serve(server, podYaml('web'));
  const first = new HttpSource({ url: server.url, headers: {}, nodeName: NODE, checkFrequencyMs: 60_000, stateDir, logger: silentLogger });
  defer(t, () => first.stop());
  const rec1 = new Recorder();
  await first.start(rec1.push);
  const good = rec1.last().pods[0]!;
  await first.stop();
  const saved = JSON.parse(await readFile(join(stateDir, HTTP_SOURCE_STATE), 'utf8'));
  assert.equal(saved.url, server.url);
  assert.equal(saved.body, podYaml('web'));

  serve(server, 'down', 503);
  const { rec: rec2 } = await startSource(t, { url: server.url, stateDir, checkFrequencyMs: 60_000 });
  const s = rec2.snapshots[0]!;
  assert.equal(rec2.snapshots.length, 1);
  assert.deepEqual(names(s), [`web-${NODE}`]);
  assert.equal(s.pods[0]!.metadata!.uid, good.metadata!.uid);
  assert.equal(s.problems[0]!.message, 'GET returned HTTP 503 Service Unavailable');

  const { rec: rec3 } = await startSource(t, { url: server.url + '?other', stateDir, checkFrequencyMs: 60_000 });
  assert.deepEqual(rec3.snapshots[0]!.pods, []);
  assert.equal(rec3.snapshots[0]!.problems.length, 1);
});
