// The node API's streaming endpoints: /exec, /attach and /portForward take over the connection
// (SPDY/3.1 or WebSocket, src/streaming/) once the container or pod is known to be there; a refusal
// before that is a plain HTTP error, which kubectl prints as it is.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { RuntimeError } from '../runtime/types.js';
import * as streaming from '../streaming/index.js';
import type { PortForwardStream, RemoteCommandRequest } from '../streaming/index.js';
import type { Logger } from '../log/index.js';
import type { NodeState } from './node-state.js';
import type { ContainerRoute, NodeRoute, PodRoute } from './paths.js';
import { refuseUpgrade } from './respond.js';

/** The protocol layer: src/streaming/ (tests of this module give their own). */
export interface StreamingProtocols {
  acceptRemoteCommand: typeof streaming.acceptRemoteCommand;
  acceptPortForward: typeof streaming.acceptPortForward;
}

const PROTOCOLS: StreamingProtocols = { acceptRemoteCommand: streaming.acceptRemoteCommand, acceptPortForward: streaming.acceptPortForward };

type StreamingRoute = ContainerRoute<'exec'> | ContainerRoute<'attach'> | PodRoute;

export function isStreamingRoute(route: NodeRoute): route is StreamingRoute {
  return route.kind === 'exec' || route.kind === 'attach' || route.kind === 'portForward';
}

/** kube-apiserver sends `input=1`; clients that talk to the node directly often send `stdin=true`. */
function flag(q: URLSearchParams, ...names: string[]): boolean {
  return names.some((n) => {
    const v = q.get(n);
    return v === '1' || v === 'true';
  });
}

export async function serveStreaming(
  route: StreamingRoute,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  state: NodeState,
  logger: Logger,
  protocols: StreamingProtocols = PROTOCOLS,
): Promise<void> {
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'POST') {
    refuseUpgrade(socket, 405, `method ${method} not allowed on /${route.kind}: use GET or POST`, { Allow: 'GET, POST' });
    return;
  }
  const q = new URL(req.url ?? '/', 'https://node').searchParams;
  if (route.kind === 'portForward') {
    await portForward(route, q, req, socket, head, state, logger, protocols);
    return;
  }
  const tty = flag(q, 'tty');
  const request: RemoteCommandRequest = {
    stdin: flag(q, 'input', 'stdin'),
    stdout: flag(q, 'output', 'stdout'),
    // A terminal merges stderr into stdout, as upstream has it.
    stderr: !tty && flag(q, 'error', 'stderr'),
    tty,
  };
  const where = `${route.namespace}/${route.pod}/${route.container}`;
  if (!request.stdin && !request.stdout && !request.stderr) {
    refuseUpgrade(socket, 400, `/${route.kind}/${where}: you must specify at least 1 of stdin, stdout, stderr (query input=1, output=1 or error=1)`);
    return;
  }
  const command = q.getAll('command');
  if (route.kind === 'exec' && command.length === 0) {
    refuseUpgrade(socket, 400, `/exec/${where}: no command: give it as repeated ?command= values, one per argument`);
    return;
  }
  const refusal = state.findContainer(route.namespace, route.pod, route.container, true);
  if (refusal) {
    refuseUpgrade(socket, refusal.status, refusal.message);
    return;
  }
  const session = await protocols.acceptRemoteCommand(req, socket, head, request);
  if (!session) return;
  try {
    if (route.kind === 'exec') session.finish({ exitCode: await state.exec(route.namespace, route.pod, route.container, command, session) });
    else {
      await state.attach(route.namespace, route.pod, route.container, session);
      session.finish({ exitCode: 0 });
    }
  } catch (err) {
    if (!(err instanceof RuntimeError)) logger.error(`node API: ${route.kind} failed`, { container: where, error: String(err) });
    session.finish({ error: err instanceof Error ? err.message : String(err) });
  }
}

async function portForward(
  route: PodRoute,
  q: URLSearchParams,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  state: NodeState,
  logger: Logger,
  protocols: StreamingProtocols,
): Promise<void> {
  const ports: number[] = [];
  for (const raw of q.getAll('port').flatMap((p) => p.split(','))) {
    const port = /^\d{1,5}$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
    if (!(port >= 1 && port <= 65535)) {
      refuseUpgrade(socket, 400, `/portForward/${route.namespace}/${route.pod}: invalid port ${JSON.stringify(raw)}: expected a number 1-65535`);
      return;
    }
    ports.push(port);
  }
  const refusal = state.findPod(route.namespace, route.pod);
  if (refusal) {
    refuseUpgrade(socket, refusal.status, refusal.message);
    return;
  }
  const session = await protocols.acceptPortForward(req, socket, head, ports);
  if (!session) return;
  session.onStream((stream) => forward(stream, route, state, session.signal, logger));
}

/** One forwarded connection: bytes both ways until either side ends; a failure is told to the client. */
function forward(stream: PortForwardStream, route: PodRoute, state: NodeState, signal: AbortSignal, logger: Logger): void {
  state.portForward(route.namespace, route.pod, stream.port, signal).then(
    (target) => {
      // A runtime that dials lazily (containerd dials when its data stream opens) reports a refused
      // port as an error on the connection it already returned: the client is told, as it is
      // when the dial fails up front.
      target.on('error', (err) => stream.fail(err.message));
      stream.data.on('error', () => target.destroy());
      target.pipe(stream.data);
      stream.data.pipe(target);
    },
    (err: unknown) => {
      if (!(err instanceof RuntimeError)) logger.error('node API: port-forward failed', { pod: `${route.namespace}/${route.pod}`, port: stream.port, error: String(err) });
      stream.fail(err instanceof Error ? err.message : String(err));
    },
  );
}
