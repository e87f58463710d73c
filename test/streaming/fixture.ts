// A tiny plain-HTTP server that is just enough API server for kubectl's exec, attach and
// port-forward: it answers the pod GET kubectl makes first, hands the upgrade to src/streaming
// (WebSocket or SPDY, whichever the client offers), then runs the command locally or connects to
// 127.0.0.1:<port>. The streaming tests (SPDY and WebSocket) drive real kubectl binaries against it.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Duplex, Writable } from 'node:stream';
import { acceptPortForward, acceptRemoteCommand, type PortForwardSession, type RemoteCommandSession } from '../../src/streaming/index.js';
import { defer, tempDir, type TestLike } from '../cleanup.js';

/** One upgrade the fixture took, as the tests check it. */
export interface SeenUpgrade {
  kind: 'exec' | 'attach' | 'portforward';
  /** The request's headers (Upgrade, Sec-WebSocket-Protocol, X-Stream-Protocol-Version...). */
  headers: IncomingMessage['headers'];
  /** What src/streaming made of it; undefined when it refused the request. */
  transport?: string;
  protocol?: string;
  /** The exec command (exec only). */
  command?: string[];
}

export interface StreamingFixture {
  url: string;
  /** A kubeconfig file pointing at the server (namespace default, no credentials). */
  kubeconfig: string;
  dir: string;
  seen: SeenUpgrade[];
  /** Children the fixture spawned for exec/attach that are still running (leak checks). */
  running(): number;
}

export const POD_NAME = 'web';

function pod(name: string): object {
  const containers = ['c1', 'c2'];
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: { name, namespace: 'default', uid: '8f0c2c1e-5b7e-4f3e-9a5e-000000000001', resourceVersion: '1', creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { containers: containers.map((c) => ({ name: c, image: 'busybox', stdin: true, tty: true })) },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: containers.map((c) => ({ name: c, ready: true, restartCount: 0, image: 'busybox', imageID: '', state: { running: { startedAt: '2026-01-01T00:00:00Z' } } })),
    },
  };
}

function json(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

function answer(req: IncomingMessage, res: ServerResponse): void {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  if (path === '/version') return json(res, 200, { major: '1', minor: '32', gitVersion: 'v1.32.0-berth', platform: 'linux/amd64' });
  if (path === '/api') return json(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: req.headers.host }] });
  if (path === '/apis') return json(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [] });
  if (path === '/api/v1') {
    return json(res, 200, {
      kind: 'APIResourceList',
      groupVersion: 'v1',
      resources: [
        { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['get', 'list'], shortNames: ['po'], categories: ['all'] },
        { name: 'pods/exec', singularName: '', namespaced: true, kind: 'PodExecOptions', verbs: ['create', 'get'] },
        { name: 'pods/attach', singularName: '', namespaced: true, kind: 'PodAttachOptions', verbs: ['create', 'get'] },
        { name: 'pods/portforward', singularName: '', namespaced: true, kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
      ],
    });
  }
  const m = /^\/api\/v1\/namespaces\/default\/pods\/([^/]+)$/.exec(path);
  if (m && m[1] === POD_NAME) return json(res, 200, pod(POD_NAME));
  json(res, 404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `the server could not find the requested resource (${path})`, reason: 'NotFound', code: 404 });
}

/**
 * Runs argv in a fresh pseudo-terminal (Python's pty module; /usr/bin/python3 is always there):
 * stdin/stdout relay the terminal, fd 3 takes one "rows cols" line per resize.
 */
const PTY_RUNNER = String.raw`
import os, pty, sys, select, fcntl, termios, struct
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
fds, ctl = [0, fd, 3], b''
while True:
    r, _, _ = select.select(fds, [], [])
    if fd in r:
        try:
            data = os.read(fd, 65536)
        except OSError:
            data = b''
        if not data:
            break
        os.write(1, data)
    if 0 in r:
        data = os.read(0, 65536)
        if data:
            os.write(fd, data)
        else:
            fds.remove(0)
    if 3 in r:
        data = os.read(3, 4096)
        if not data:
            fds.remove(3)
        ctl += data
        while b'\n' in ctl:
            line, ctl = ctl.split(b'\n', 1)
            rows, cols = (int(v) for v in line.split())
            fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status) & 255)
`;

/** Runs `command` for the session (under a pty when it asked for a tty) and finishes it with the exit code. */
function runCommand(session: RemoteCommandSession, command: string[], children: Set<ChildProcess>): void {
  const child = session.tty
    ? spawn('/usr/bin/python3', ['-c', PTY_RUNNER, ...command], { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] })
    : spawn(command[0] ?? 'true', command.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  let spawnError: Error | undefined;
  child.on('error', (err) => (spawnError = err));
  if (session.tty) {
    const control = child.stdio[3] as Writable;
    control.on('error', () => {});
    session.onResize((size) => control.write(`${size.height} ${size.width}\n`));
  }
  child.stdin?.on('error', () => {});
  if (session.stdin) session.stdin.pipe(child.stdin!);
  else child.stdin?.end();
  if (session.stdout) child.stdout?.pipe(session.stdout, { end: false });
  else child.stdout?.resume();
  if (session.stderr) child.stderr?.pipe(session.stderr, { end: false });
  else child.stderr?.resume();
  const onAbort = () => child.kill('SIGKILL');
  session.signal.addEventListener('abort', onAbort, { once: true });
  child.on('close', (code, signal) => {
    children.delete(child);
    session.signal.removeEventListener('abort', onAbort);
    if (spawnError) session.finish({ error: `cannot run ${command[0]}: ${spawnError.message}` });
    else session.finish({ exitCode: code ?? (signal ? 128 + 9 : 1) });
  });
}

/** Connects each stream the client opens to 127.0.0.1:<port>. */
function forwardPorts(session: PortForwardSession): void {
  session.onStream((stream) => {
    const target = connect(stream.port, '127.0.0.1');
    let connected = false;
    target.on('connect', () => {
      connected = true;
      stream.data.pipe(target);
      target.pipe(stream.data);
    });
    target.on('error', (err) => {
      if (!connected) stream.fail(`error forwarding port ${stream.port} to pod ${POD_NAME}, uid : failed to connect to 127.0.0.1:${stream.port}: ${err.message}`);
      else stream.data.destroy();
    });
    stream.data.on('error', () => target.destroy());
    stream.data.on('close', () => target.destroy());
  });
}

function queryBool(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v === 'true' || v === '1';
}

/** Starts the fixture on 127.0.0.1:<free port>; it stops with the test. */
export async function startStreamingFixture(t: TestLike): Promise<StreamingFixture> {
  const dir = await tempDir(t, 'streaming');
  const seen: SeenUpgrade[] = [];
  const children = new Set<ChildProcess>();
  const server = createServer(answer);
  const upgraded = new Set<Duplex>();
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    upgraded.add(socket);
    socket.on('close', () => upgraded.delete(socket));
    const url = new URL(req.url ?? '/', 'http://x');
    const m = /^\/api\/v1\/namespaces\/default\/pods\/([^/]+)\/(exec|attach|portforward)$/.exec(url.pathname);
    if (!m || m[1] !== POD_NAME) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nno such pod or subresource\n');
      return;
    }
    const kind = m[2] as SeenUpgrade['kind'];
    const entry: SeenUpgrade = { kind, headers: req.headers };
    seen.push(entry);
    const q = url.searchParams;
    if (kind === 'portforward') {
      const ports = q.getAll('ports').flatMap((p) => p.split(',')).map(Number);
      void acceptPortForward(req, socket, head, ports).then((session) => {
        if (!session) return;
        entry.transport = session.transport;
        entry.protocol = session.protocol;
        forwardPorts(session);
      });
      return;
    }
    const command = kind === 'exec' ? q.getAll('command') : ['sh', '-c', 'echo attached; exec cat'];
    entry.command = command;
    const request = { stdin: queryBool(q, 'stdin'), stdout: queryBool(q, 'stdout'), stderr: queryBool(q, 'stderr'), tty: queryBool(q, 'tty') };
    void acceptRemoteCommand(req, socket, head, request).then((session) => {
      if (!session) return;
      entry.transport = session.transport;
      entry.protocol = session.protocol;
      runCommand(session, command, children);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  defer(t, async () => {
    for (const c of children) c.kill('SIGKILL');
    for (const s of upgraded) s.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'fixture', cluster: { server: url } }],
      users: [{ name: 'fixture', user: {} }],
      contexts: [{ name: 'fixture', context: { cluster: 'fixture', user: 'fixture', namespace: 'default' } }],
      'current-context': 'fixture',
    }),
  );
  return { url, kubeconfig, dir, seen, running: () => children.size };
}
