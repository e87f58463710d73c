// The node's own HTTP endpoints, as the kubelet serves them on its port: /healthz, /pods,
// /metrics, /metrics/resource, /stats/summary and /containerLogs/{namespace}/{pod}/{container}.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Pod } from 'kubernetes-types/core/v1';
import type { StreamIO } from '../runtime/types.js';
import type { Logger } from '../log/index.js';
import { boolParam, intParam, timeParam } from '../apiserver/index.js';
import { streamCriLog, type LogReadOptions } from './cri-log.js';

export interface ContainerLogRef {
  path: string;
  /** Whether the container of this attempt may still write to the file. */
  stillWriting: () => boolean;
}

/** What the server needs from the agent: read-only views, no way to change anything. */
export interface NodeState {
  pods(): Pod[];
  /** undefined when healthy, else why not. */
  unhealthyReason(): string | undefined;
  metrics(): string;
  /** The log of a container (`previous`: the attempt before the current one); a string says why not. */
  containerLog(namespace: string, pod: string, container: string, previous: boolean): ContainerLogRef | string;
  /**
   * Checks before a streaming upgrade that the container exists (and, when `running`, runs):
   * a NodeRefusal says why not, sent as a plain HTTP error before anything is upgraded.
   */
  findContainer(namespace: string, pod: string, container: string, running: boolean): NodeRefusal | undefined;
  /** `/exec`: resolves with the exit code; throws (RuntimeError) when it cannot run. See Runtime.exec. */
  exec(namespace: string, pod: string, container: string, command: string[], io: StreamIO): Promise<number>;
  /** `/attach`: see Runtime.attach. */
  attach(namespace: string, pod: string, container: string, io: StreamIO): Promise<void>;
  /** `/portForward`: a connection to `port` in the pod's network; rejects saying why not. */
  portForward(namespace: string, pod: string, port: number, signal: AbortSignal): Promise<Duplex>;
  /** `/stats/summary`: the kubelet's stats/v1alpha1 Summary object. */
  statsSummary(): Promise<object>;
  /** `/metrics/resource`: the kubelet's resource metrics, Prometheus text format. */
  resourceMetrics(): Promise<string>;
}

/** Why a request about a container cannot be served: HTTP status and one line for the client. */
export interface NodeRefusal {
  status: 400 | 404 | 409;
  message: string;
}

export interface NodeServer {
  port: number;
  close(): Promise<void>;
}

// Names in the URL must be Kubernetes names: this alone refuses `..`, `/` and encoded traversal.
const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

export async function startNodeServer(address: string, port: number, state: NodeState, logger: Logger): Promise<NodeServer> {
  const server: Server = createServer((req, res) => {
    handle(req, res, state).catch((err: unknown) => {
      logger.error('node server request failed', { url: req.url, error: String(err) });
      if (!res.headersSent) send(res, 500, 'text/plain', `internal error: ${String(err)}\n`);
      else res.end();
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const hint = err.code === 'EADDRINUSE' ? ' is already in use (another kubelet or berth?); pick another with --port' : `: ${err.message}`;
      reject(new Error(`cannot serve node endpoints on ${address}:${port}${hint}`));
    });
    server.listen(port, address, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, state: NodeState): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://node');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 405, 'text/plain', `method ${req.method} not allowed: the node endpoints are read-only\n`);
    return;
  }
  const path = url.pathname;
  if (path === '/healthz') {
    const why = state.unhealthyReason();
    send(res, why ? 500 : 200, 'text/plain', why ? `unhealthy: ${why}\n` : 'ok');
    return;
  }
  if (path === '/pods' || path === '/pods/') {
    const body = { kind: 'PodList', apiVersion: 'v1', metadata: {}, items: state.pods() };
    send(res, 200, 'application/json', JSON.stringify(body));
    return;
  }
  if (path === '/metrics') {
    send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', state.metrics());
    return;
  }
  if (path === '/stats/summary' || path === '/stats/summary/') {
    send(res, 200, 'application/json', JSON.stringify(await state.statsSummary()));
    return;
  }
  if (path === '/metrics/resource') {
    send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', await state.resourceMetrics());
    return;
  }
  if (path.startsWith('/containerLogs/')) {
    await containerLogs(path, url, res, state);
    return;
  }
  send(res, 404, 'text/plain', `404 page not found: ${path} (endpoints: /healthz /pods /metrics /metrics/resource /stats/summary /containerLogs/{namespace}/{pod}/{container})\n`);
}

async function containerLogs(path: string, url: URL, res: ServerResponse, state: NodeState): Promise<void> {
  const parts = path.split('/').slice(2);
  let names: string[];
  try {
    names = parts.map((p) => decodeURIComponent(p));
  } catch {
    names = [];
  }
  if (names.length !== 3 || !names.every((n) => NAME.test(n) && n.length <= 253)) {
    send(res, 400, 'text/plain', `bad log path ${JSON.stringify(path)}: expected /containerLogs/{namespace}/{pod}/{container} with Kubernetes names\n`);
    return;
  }
  const [namespace, pod, container] = names as [string, string, string];
  const q = url.searchParams;
  let opts: LogWindow | string;
  try {
    opts = logWindow(q);
  } catch (err) {
    send(res, 400, 'text/plain', `${(err as Error).message}\n`);
    return;
  }
  if (typeof opts === 'string') {
    send(res, 422, 'text/plain', `invalid log options for ${namespace}/${pod}/${container}: ${opts}\n`);
    return;
  }
  const ref = state.containerLog(namespace, pod, container, boolParam(q, 'previous'));
  if (typeof ref === 'string') {
    send(res, 404, 'text/plain', ref + '\n');
    return;
  }
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
  let aborted = false;
  res.on('close', () => (aborted = true));
  try {
    await streamCriLog(ref.path, res, { ...opts, stillWriting: ref.stillWriting, aborted: () => aborted });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  res.end();
}

type LogWindow = Pick<LogReadOptions, 'tailLines' | 'sinceNs' | 'limitBytes' | 'timestamps' | 'follow'>;

/**
 * The kubelet's PodLogOptions from the query, decoded as kube decodes it (booleans true unless
 * 0/false, ...). Throws on a malformed value (400); returns why when a value is out of range (422).
 */
function logWindow(q: URLSearchParams): LogWindow | string {
  const tailLines = intParam(q, 'tailLines');
  const sinceSeconds = intParam(q, 'sinceSeconds');
  const sinceTime = timeParam(q, 'sinceTime');
  const limitBytes = intParam(q, 'limitBytes');
  if (tailLines !== undefined && tailLines < 0) return `tailLines: Invalid value: ${tailLines}: must be greater than or equal to 0`;
  if (limitBytes !== undefined && limitBytes < 1) return `limitBytes: Invalid value: ${limitBytes}: must be greater than 0`;
  if (sinceSeconds !== undefined && sinceTime !== undefined) return 'at most one of `sinceTime` or `sinceSeconds` may be specified';
  if (sinceSeconds !== undefined && sinceSeconds < 1) return `sinceSeconds: Invalid value: ${sinceSeconds}: must be greater than 0`;
  const w: LogWindow = { timestamps: boolParam(q, 'timestamps'), follow: boolParam(q, 'follow') };
  if (tailLines !== undefined) w.tailLines = tailLines;
  if (limitBytes !== undefined) w.limitBytes = limitBytes;
  if (sinceSeconds !== undefined) w.sinceNs = BigInt(Date.now() - sinceSeconds * 1000) * 1_000_000n;
  if (sinceTime !== undefined) w.sinceNs = sinceTime.nanos;
  return w;
}

function send(res: ServerResponse, code: number, type: string, body: string): void {
  res.writeHead(code, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
