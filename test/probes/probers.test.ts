// The probers against real servers on loopback (HTTP, TCP, gRPC) and a fake exec: results and
// the kubelet's wording, and the bad inputs of issue 7 (nothing listening, a redirect to another
// host, a server that never answers, an exec that never exits, a command that does not exist).
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { Server as GrpcServer, ServerCredentials, status as GrpcStatus } from '@grpc/grpc-js';
import protobuf from 'protobufjs/minimal.js';
import type { Container } from 'kubernetes-types/core/v1';
import { PROBE_USER_AGENT, runProbe, type ProbeTarget } from '../../src/probes/index.js';
import type { ExecSyncResult } from '../../src/runtime/types.js';
import { defer, type TestLike } from '../cleanup.js';
import { freePort } from '../e2e/harness.js';

const container: Container = { name: 'web', ports: [{ name: 'http', containerPort: 1 }] };
const target = (over: Partial<ProbeTarget> = {}): ProbeTarget => ({
  podIP: '127.0.0.1',
  container,
  exec: async () => ({ exitCode: 0, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), timedOut: false }),
  ...over,
});

async function http(t: TestLike, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ port: number; server: HttpServer; seen: IncomingMessage[] }> {
  const seen: IncomingMessage[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    seen.push(req);
    handler(req, res);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  defer(t, () => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return { port: (server.address() as AddressInfo).port, server, seen };
}

describe('httpGet prober', () => {
  it('is healthy for 200-399, sends kube-probe/1.32 and the probe headers, fails with the status code otherwise', async (t) => {
    let code = 200;
    const s = await http(t, (_req, res) => {
      res.statusCode = code;
      res.end('ok');
    });
    const probe = { httpGet: { path: '/ready', port: s.port, httpHeaders: [{ name: 'X-Probe', value: 'yes' }] } };
    assert.deepEqual(await runProbe(probe, target(), 1000), { result: 'success', output: '' }, 'the body of a healthy answer is not read');
    assert.equal(s.seen[0]!.url, '/ready');
    assert.equal(s.seen[0]!.headers['user-agent'], PROBE_USER_AGENT);
    assert.equal(PROBE_USER_AGENT, 'kube-probe/1.32');
    assert.equal(s.seen[0]!.headers['x-probe'], 'yes');
    assert.equal(s.seen[0]!.headers['accept'], '*/*');
    code = 500;
    assert.deepEqual(await runProbe(probe, target(), 1000), { result: 'failure', output: 'HTTP probe failed with statuscode: 500' });
    code = 404;
    assert.equal((await runProbe(probe, target(), 1000)).output, 'HTTP probe failed with statuscode: 404');
  });

  it('finds a named port in the container ports; an unknown name is a prober error, not a failure', async (t) => {
    const s = await http(t, (_req, res) => res.end());
    const c: Container = { name: 'web', ports: [{ name: 'http', containerPort: s.port }] };
    assert.equal((await runProbe({ httpGet: { path: '/', port: 'http' } }, target({ container: c }), 1000)).result, 'success');
    const bad = await runProbe({ httpGet: { path: '/', port: 'nope' } }, target({ container: c }), 1000);
    assert.equal(bad.result, 'unknown');
    assert.match(bad.output, /couldn't find port: nope/);
  });

  it('follows a redirect on the same host, and stops with a warning at a redirect to another host', async (t) => {
    const s = await http(t, (req, res) => {
      if (req.url === '/old') {
        res.writeHead(302, { Location: '/new' });
        res.end();
      } else if (req.url === '/away') {
        res.writeHead(301, { Location: 'http://other.invalid:1/x' });
        res.end('moved');
      } else res.end('here');
    });
    assert.deepEqual(await runProbe({ httpGet: { path: '/old', port: s.port } }, target(), 1000), { result: 'success', output: '' });
    assert.deepEqual(s.seen.map((r) => r.url), ['/old', '/new']);
    const away = await runProbe({ httpGet: { path: '/away', port: s.port } }, target(), 1000);
    assert.equal(away.result, 'warning');
    assert.equal(away.output, 'Probe terminated redirects, Response body: moved');
  });

  it('fails on a port nothing listens on, with Go\'s words', async () => {
    const port = await freePort();
    const r = await runProbe({ httpGet: { path: '/healthz', port } }, target(), 1000);
    assert.equal(r.result, 'failure');
    assert.equal(r.output, `Get "http://127.0.0.1:${port}/healthz": dial tcp 127.0.0.1:${port}: connect: connection refused`);
  });

  it('fails after timeoutSeconds when the server never answers', async (t) => {
    const s = await http(t, () => undefined);
    const r = await runProbe({ httpGet: { path: '/healthz', port: s.port } }, target(), 300);
    assert.equal(r.result, 'failure');
    assert.match(r.output, /context deadline exceeded \(Client\.Timeout exceeded while awaiting headers\)/);
  });

  it('reads answers as a server writes them: split in pieces, after a 100 Continue, without headers, or not HTTP at all', async (t) => {
    // A raw server: each connection gets the next scripted answer, written in the given pieces.
    const answers: string[][] = [
      ['HTTP/1.', '1 200 OK\r\nContent-Le', 'ngth: 0\r\n', '\r\n'],
      ['HTTP/1.1 100 Continue\r\n\r\n', 'HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n'],
      ['HTTP/1.1 204 No Content\r\n\r\n'],
      ['HTTP/1.1 302 Found\r\nLocation: http://elsewhere.example/\r\nTransfer-Encoding: chunked\r\n\r\n', '4\r\ngone\r\n0\r\n\r\n'],
      ['SSH-2.0-OpenSSH_9.2\r\n\r\n'],
    ];
    let next = 0;
    const server: TcpServer = createTcpServer((socket) => {
      const pieces = answers[next++] ?? [];
      socket.on('error', () => undefined);
      const write = (i: number): void => {
        if (i >= pieces.length) return void socket.end();
        socket.write(pieces[i]!);
        setTimeout(() => write(i + 1), 20);
      };
      socket.once('data', () => write(0));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    defer(t, () => new Promise<void>((r) => server.close(() => r())));
    const probe = { httpGet: { path: '/', port: (server.address() as AddressInfo).port } };
    assert.deepEqual(await runProbe(probe, target(), 2000), { result: 'success', output: '' }, 'an answer in pieces');
    assert.equal((await runProbe(probe, target(), 2000)).output, 'HTTP probe failed with statuscode: 503', 'the answer after 100 Continue decides');
    assert.deepEqual(await runProbe(probe, target(), 2000), { result: 'success', output: '' }, 'an answer without headers');
    assert.deepEqual(await runProbe(probe, target(), 2000), { result: 'warning', output: 'Probe terminated redirects, Response body: gone' }, 'a chunked redirect body');
    const ssh = await runProbe(probe, target(), 2000);
    assert.equal(ssh.result, 'failure');
    assert.match(ssh.output, /net\/http: malformed HTTP response "SSH-2\.0-OpenSSH_9\.2"$/);
  });
});

describe('tcpSocket prober', () => {
  it('is healthy when a connection opens, fails when refused', async (t) => {
    const server: TcpServer = createTcpServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    defer(t, () => new Promise<void>((r) => server.close(() => r())));
    const port = (server.address() as AddressInfo).port;
    assert.equal((await runProbe({ tcpSocket: { port } }, target(), 1000)).result, 'success');
    const free = await freePort();
    assert.deepEqual(await runProbe({ tcpSocket: { port: free } }, target(), 1000), {
      result: 'failure',
      output: `dial tcp 127.0.0.1:${free}: connect: connection refused`,
    });
  });
});

describe('grpc prober', () => {
  const encode = (status: number) => Buffer.from(protobuf.Writer.create().uint32(8).int32(status).finish());
  async function grpcServer(t: TestLike, health: boolean, answer: () => number): Promise<{ port: number; services: string[] }> {
    const server = new GrpcServer();
    const services: string[] = [];
    if (health) {
      server.register(
        '/grpc.health.v1.Health/Check',
        (call: { request: { service: string } }, cb: (err: null, value: number) => void) => {
          services.push(call.request.service);
          cb(null, answer());
        },
        (v: number) => encode(v),
        (b: Buffer) => {
          const r = protobuf.Reader.create(b);
          let service = '';
          while (r.pos < r.len) {
            const tag = r.uint32();
            if (tag >>> 3 === 1) service = r.string();
            else r.skipType(tag & 7);
          }
          return { service };
        },
        'unary',
      );
    }
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    defer(t, () => new Promise<void>((r) => server.tryShutdown(() => r())));
    return { port, services };
  }

  it('is healthy only for SERVING, and passes the service name', async (t) => {
    let status = 1;
    const s = await grpcServer(t, true, () => status);
    assert.deepEqual(await runProbe({ grpc: { port: s.port, service: 'db' } }, target(), 2000), { result: 'success', output: 'service healthy' });
    assert.deepEqual(s.services, ['db']);
    status = 2;
    assert.deepEqual(await runProbe({ grpc: { port: s.port } }, target(), 2000), {
      result: 'failure',
      output: 'service unhealthy (responded with "NOT_SERVING")',
    });
  });

  it('fails for a server without the health service, and when nothing listens', async (t) => {
    const s = await grpcServer(t, false, () => 1);
    const r = await runProbe({ grpc: { port: s.port } }, target(), 2000);
    assert.equal(r.result, 'failure');
    assert.match(r.output, /does not implement the grpc health protocol/);
    assert.equal(GrpcStatus.UNIMPLEMENTED, 12);
    const free = await freePort();
    const none = await runProbe({ grpc: { port: free } }, target(), 500);
    assert.equal(none.result, 'failure');
    assert.match(none.output, new RegExp(`timeout: failed to connect service "127.0.0.1:${free}" within 0.5s`));
  });
});

describe('exec prober', () => {
  const result = (exitCode: number, out = '', timedOut = false): ExecSyncResult => ({ exitCode, stdout: Buffer.from(out), stderr: Buffer.alloc(0), timedOut });
  it('is healthy on exit 0 and fails with the output otherwise, passing the command and timeout', async () => {
    const calls: Array<[string[], number]> = [];
    const exec = async (cmd: string[], ms: number) => {
      calls.push([cmd, ms]);
      return cmd[0] === 'true' ? result(0) : result(1, 'not ready\n');
    };
    assert.equal((await runProbe({ exec: { command: ['true'] } }, target({ exec }), 3000)).result, 'success');
    assert.deepEqual(await runProbe({ exec: { command: ['false'] } }, target({ exec }), 3000), { result: 'failure', output: 'not ready\n' });
    assert.deepEqual(calls[0], [['true'], 3000]);
  });

  it('fails when the command runs past its timeout (an exec that never exits), and for a command that does not exist', async () => {
    const hung = await runProbe({ exec: { command: ['sleep', 'inf'] } }, target({ exec: async () => result(-1, '', true) }), 1000);
    assert.deepEqual(hung, { result: 'failure', output: 'command "sleep inf" timed out' });
    const missing = await runProbe(
      { exec: { command: ['/no/such'] } },
      target({ exec: async () => ({ exitCode: 127, stdout: Buffer.alloc(0), stderr: Buffer.from('exec: /no/such: not found'), timedOut: false }) }),
      1000,
    );
    assert.equal(missing.result, 'failure');
    assert.match(missing.output, /not found/);
  });

  it('is a prober error (result not counted) when the runtime cannot exec', async () => {
    const r = await runProbe({ exec: { command: ['x'] } }, target({ exec: async () => Promise.reject(new Error('container is not running')) }), 1000);
    assert.deepEqual(r, { result: 'unknown', output: 'container is not running' });
  });
});
