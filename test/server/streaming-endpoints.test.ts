// The node API's streaming endpoints as one module: what they check before an upgrade (answered as
// plain HTTP on the socket), what they ask the protocol layer for, and how a session ends (exit
// code, a RuntimeError's message, port-forward bytes both ways and failures told per stream).
// The protocol layer is replaced by recording fakes; the sockets are real in-memory streams.
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { createServer, connect, type AddressInfo } from 'node:net';
import { Duplex, PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger } from '../../src/log/index.js';
import { RuntimeError } from '../../src/runtime/types.js';
import type { NodeState } from '../../src/server/node-state.js';
import { routeNodePath } from '../../src/server/paths.js';
import { serveStreaming, type StreamingProtocols } from '../../src/server/streaming-endpoints.js';
import type { PortForwardStream, RemoteCommandOutcome, RemoteCommandRequest } from '../../src/streaming/index.js';

const logger = createLogger({ level: 'error' });

/** A socket stand-in that keeps what is written to it. */
function socket(): Duplex & { written: () => string } {
  let out = '';
  const d = new Duplex({
    read() {},
    write(chunk, _enc, cb) {
      out += String(chunk);
      cb();
    },
  });
  return Object.assign(d, { written: () => out });
}

function request(url: string, method = 'GET'): IncomingMessage {
  return { url, method, headers: { upgrade: 'SPDY/3.1', connection: 'Upgrade' } } as unknown as IncomingMessage;
}

function state(overrides: Partial<NodeState>): NodeState {
  const none = () => {
    throw new Error('not used');
  };
  return {
    pods: () => [],
    events: () => ({ items: [], resourceVersion: '0' }),
    watchEvents: () => () => undefined,
    unhealthyReason: () => undefined,
    metrics: () => '',
    containerLog: none,
    findPod: () => undefined,
    findContainer: () => undefined,
    exec: none,
    attach: none,
    portForward: none,
    run: none,
    statsSummary: none,
    resourceMetrics: none,
    ...overrides,
  };
}

function commandProtocols(): StreamingProtocols & { asked: RemoteCommandRequest[]; outcomes: RemoteCommandOutcome[] } {
  const asked: RemoteCommandRequest[] = [];
  const outcomes: RemoteCommandOutcome[] = [];
  return {
    asked,
    outcomes,
    acceptRemoteCommand: async (_req, _socket, _head, r) => {
      asked.push(r);
      return {
        transport: 'spdy',
        protocol: 'v4.channel.k8s.io',
        stdin: null,
        stdout: new PassThrough(),
        stderr: null,
        tty: r.tty,
        onResize: () => undefined,
        signal: new AbortController().signal,
        finish: (o) => outcomes.push(o),
      };
    },
    acceptPortForward: () => Promise.reject(new Error('not used')),
  };
}

async function serve(url: string, s: NodeState, p: StreamingProtocols, method = 'GET') {
  const route = routeNodePath(url.split('?')[0]!);
  assert.ok(route.kind === 'exec' || route.kind === 'attach' || route.kind === 'portForward', url);
  const sock = socket();
  await serveStreaming(route, request(url, method), sock, Buffer.alloc(0), s, logger, p);
  return sock.written();
}

describe('node API streaming endpoints', () => {
  it("exec: kube-apiserver's query, the exit code to the session; a RuntimeError as its message", async () => {
    const p = commandProtocols();
    let ran: string[] = [];
    const s = state({
      exec: async (_ns, _pod, _c, command) => {
        ran = command;
        return command[0] === 'fail' ? Promise.reject(new RuntimeError('ContainerNotRunning', 'container "main" is not running')) : 3;
      },
    });
    assert.equal(await serve('/exec/default/web/main?command=sh&command=-c&command=exit+3&input=1&output=1&tty=1&error=1', s, p), '');
    assert.deepEqual(ran, ['sh', '-c', 'exit 3']);
    assert.deepEqual(p.asked[0], { stdin: true, stdout: true, stderr: false, tty: true }, 'a tty has no stderr');
    assert.deepEqual(p.outcomes[0], { exitCode: 3 });
    await serve('/exec/default/web/main?command=fail&stdout=true&stderr=true', s, p);
    assert.deepEqual(p.asked[1], { stdin: false, stdout: true, stderr: true, tty: false }, 'stdin/stdout/stderr=true work too');
    assert.deepEqual(p.outcomes[1], { error: 'container "main" is not running' });
  });

  it('refusals come before the upgrade, as plain HTTP with one line', async () => {
    const p = commandProtocols();
    const s = state({ findContainer: (_ns, pod) => (pod === 'gone' ? { status: 404, message: 'pod "gone" not found in namespace "default" on this node' } : undefined) });
    assert.match(await serve('/exec/default/gone/main?command=ls&output=1', s, p), /^HTTP\/1\.1 404 Not Found\r\n[\s\S]*\r\n\r\npod "gone" not found/);
    assert.match(await serve('/exec/default/web/main?output=1', s, p), /^HTTP\/1\.1 400 [\s\S]*no command/);
    assert.match(await serve('/exec/default/web/main?command=ls', s, p), /^HTTP\/1\.1 400 [\s\S]*at least 1 of stdin, stdout, stderr/);
    assert.match(await serve('/attach/default/web/main?output=1', s, p, 'DELETE'), /^HTTP\/1\.1 405 /);
    assert.equal(p.asked.length, 0, 'nothing was upgraded');
  });

  it('attach ends the session with success when the container is left', async () => {
    const p = commandProtocols();
    await serve('/attach/default/web/main?output=1&error=1', state({ attach: async () => undefined }), p);
    assert.deepEqual(p.outcomes, [{ exitCode: 0 }]);
  });

  it('port-forward: checks the ports and the pod, pipes each stream both ways, tells a failing one and keeps the session', async () => {
    const target = createServer((c) => c.on('data', (d) => c.end(`echo:${String(d)}`)));
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
    const targetPort = (target.address() as AddressInfo).port;
    try {
      let onStream: ((s: PortForwardStream) => void) | undefined;
      let asked: number[] = [];
      const p: StreamingProtocols = {
        acceptRemoteCommand: () => Promise.reject(new Error('not used')),
        acceptPortForward: async (_req, _sock, _head, ports) => {
          asked = ports;
          return { transport: 'spdy', protocol: 'portforward.k8s.io', onStream: (l) => (onStream = l), signal: new AbortController().signal, close: () => undefined };
        },
      };
      const s = state({
        findPod: (_ns, pod) => (pod === 'gone' ? { status: 404, message: 'pod "gone" not found' } : undefined),
        portForward: async (_ns, _pod, port) => {
          if (port !== targetPort) throw new RuntimeError('PortForwardFailed', `nothing listens on port ${port} in pod "web"`);
          return connect(port, '127.0.0.1');
        },
      });
      assert.match(await serve('/portForward/default/web?port=0', s, p), /^HTTP\/1\.1 400 [\s\S]*invalid port "0"/);
      assert.match(await serve('/portForward/default/gone?port=80', s, p), /^HTTP\/1\.1 404 /);
      assert.equal(await serve(`/portForward/default/web?port=${targetPort}&port=81`, s, p), '');
      assert.deepEqual(asked, [targetPort, 81]);

      const client = new PassThrough();
      const back = new PassThrough();
      const data = Duplex.from({ writable: back, readable: client });
      onStream!({ port: targetPort, data, fail: () => assert.fail('the first stream must not fail') });
      client.end('hi');
      let got = '';
      back.on('data', (d) => (got += String(d)));
      await new Promise((r) => back.on('end', r));
      assert.equal(got, 'echo:hi');

      const failed = await new Promise<string>((resolve) =>
        onStream!({ port: 81, data: new PassThrough(), fail: (message) => resolve(message) }),
      );
      assert.equal(failed, 'nothing listens on port 81 in pod "web"');
    } finally {
      target.close();
    }
  });
});
