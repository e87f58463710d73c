// pods/exec, pods/attach and pods/portforward: translated to the node API's /exec, /attach and
// /portForward as kube-apiserver's pod strategy does it, then proxied as its UpgradeAwareHandler
// does: the upgrade request goes to the node with the stream headers, the node's 101 (or its error
// answer) comes back, then bytes are piped both ways until either side closes.
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Pod } from 'kubernetes-types/core/v1';
import type { Logger } from '../log/index.js';
import type { NodeConnection } from './node-connection.js';
import { nodeRequest, nodeUnreachable, readText } from './node-client.js';
import { boolParam } from './query.js';
import type { StreamSubresource } from './resources.js';
import { ApiError, badRequest } from './status.js';

/** The node API path (with query) a stream subresource request goes to. Throws 400 ApiErrors. */
export function streamLocation(pod: Pod, sub: StreamSubresource, q: URLSearchParams): string {
  const ns = encodeURIComponent(pod.metadata?.namespace ?? 'default');
  const name = encodeURIComponent(pod.metadata?.name ?? '');
  const params = new URLSearchParams();
  if (sub === 'portforward') {
    for (const p of q.getAll('ports')) {
      for (const one of p.split(',')) {
        const n = Number(one);
        if (!Number.isInteger(n) || n < 1 || n > 65535) throw badRequest(`invalid port ${JSON.stringify(one)} in ports: a port must be a number from 1 to 65535`);
        params.append('port', String(n));
      }
    }
    const query = params.toString();
    return `/portForward/${ns}/${name}${query ? `?${query}` : ''}`;
  }
  const container = encodeURIComponent(containerFor(pod, q.get('container') ?? ''));
  if (sub === 'exec') {
    const command = q.getAll('command');
    if (command.length === 0) throw badRequest('you must specify at least 1 command');
    for (const c of command) params.append('command', c);
  }
  const stdin = boolParam(q, 'stdin');
  const stdout = boolParam(q, 'stdout');
  const stderr = boolParam(q, 'stderr');
  const tty = boolParam(q, 'tty');
  if (!stdin && !stdout && !stderr) throw badRequest('you must specify at least 1 of stdin, stdout, stderr');
  if (tty && stderr) throw badRequest('stderr cannot be true when tty is true: a terminal merges it into stdout');
  if (stdin) params.append('input', '1');
  if (stdout) params.append('output', '1');
  if (stderr) params.append('error', '1');
  if (tty) params.append('tty', '1');
  return `/${sub}/${ns}/${name}/${container}?${params}`;
}

/** The container a request means: the one named, or the pod's only one; a 400 naming the choices otherwise. */
function containerFor(pod: Pod, asked: string): string {
  const name = pod.metadata?.name ?? '';
  const main = (pod.spec?.containers ?? []).map((c) => c.name);
  const all = [...main, ...(pod.spec?.initContainers ?? []).map((c) => c.name), ...(pod.spec?.ephemeralContainers ?? []).map((c) => c.name)];
  if (asked === '') {
    if (main.length === 1) return main[0]!;
    throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${main.join(' ')}]`);
  }
  if (!all.includes(asked)) throw badRequest(`container ${asked} is not valid for pod ${name}`);
  return asked;
}

// Hop-by-hop headers and the client's own credentials stay here; the node gets ours.
const NOT_FORWARDED = new Set(['host', 'authorization', 'content-length', 'transfer-encoding', 'keep-alive', 'proxy-authorization', 'proxy-connection', 'te', 'trailer']);

function forwardedHeaders(req: IncomingMessage): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !NOT_FORWARDED.has(k)) out[k] = v;
  const from = req.socket.remoteAddress;
  if (from) out['x-forwarded-for'] = req.headers['x-forwarded-for'] ? `${String(req.headers['x-forwarded-for'])}, ${from}` : from;
  return out;
}

function rawHead(status: number, message: string, rawHeaders: string[]): string {
  let head = `HTTP/1.1 ${status} ${message}\r\n`;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) head += `${rawHeaders[i]}: ${rawHeaders[i + 1]}\r\n`;
  return head + '\r\n';
}

/** Writes a complete HTTP error answer to a socket that has not been upgraded, then closes it. */
export function refuseUpgrade(socket: Duplex, e: ApiError): void {
  const body = JSON.stringify(e.toStatus());
  socket.end(
    rawHead(e.code, httpReason(e.code), ['Content-Type', 'application/json', 'Content-Length', String(Buffer.byteLength(body)), 'Cache-Control', 'no-cache, private', 'Connection', 'close']) + body,
  );
}

/** For each HTTP code: kube's Status reason and the status line's text. */
const CODES: Record<number, [reason: string, text: string]> = {
  400: ['BadRequest', 'Bad Request'],
  401: ['Unauthorized', 'Unauthorized'],
  403: ['Forbidden', 'Forbidden'],
  404: ['NotFound', 'Not Found'],
  405: ['MethodNotAllowed', 'Method Not Allowed'],
  409: ['Conflict', 'Conflict'],
  500: ['InternalError', 'Internal Server Error'],
  502: ['InternalError', 'Bad Gateway'],
  503: ['ServiceUnavailable', 'Service Unavailable'],
};

function httpReason(code: number): string {
  return CODES[code]?.[1] ?? 'Error';
}

/**
 * How much one direction of a stream may have queued toward a slow side before the other side is
 * paused. pipe() pauses at the socket's 16 KiB mark, which a TLS socket passes with almost every
 * chunk it is handed while the kernel's buffer is full: each pause and resume is a stop and start
 * of reading, and a port-forward moved 30-40 % fewer bytes per second than with this bound.
 */
const RELAY_QUEUE_BYTES = 1024 * 1024;

/** Copies `from` to `to` with back-pressure: at most RELAY_QUEUE_BYTES wait in `to`. Ends are handled by the caller. */
function relay(from: Duplex, to: Duplex): void {
  const resume = () => from.resume();
  from.on('data', (chunk: Buffer) => {
    if (!to.write(chunk) && to.writableLength >= RELAY_QUEUE_BYTES) {
      from.pause();
      to.once('drain', resume);
    }
  });
}

/** How long a stream whose other side has hung up may take to flush and close. */
const END_GRACE_MS = 5_000;

/**
 * Sends the client's upgrade request to `path` on the node API and joins the two connections.
 * `track` registers a stopper so a shutting-down server can close open streams; it returns the
 * matching unregister.
 */
export function proxyUpgrade(node: NodeConnection, path: string, req: IncomingMessage, client: Duplex, head: Buffer, logger: Logger, track: (stop: () => void) => () => void): void {
  const upstream = nodeRequest(node, req.method ?? 'GET', path, forwardedHeaders(req));
  let backend: Duplex | undefined;
  let done = false;
  let untrack = () => {};
  /** Marks the stream finished, once: false when something else already finished it. */
  const settle = (): boolean => {
    if (done) return false;
    done = true;
    untrack();
    return true;
  };
  // An error, a server shutdown or a client gone before the upgrade drops everything now.
  const closeAll = () => {
    if (!settle()) return;
    client.destroy();
    backend?.destroy();
    upstream.destroy();
  };
  // One side hanging up after the upgrade ends the other gracefully, as kube's proxy does once one
  // copy loop ends: the node's last frames (the exit status on SPDY's error stream, the WebSocket
  // close) may still sit in the client's write buffer, and destroying it would drop them, so
  // kubectl would report exit code 0 for a command that failed. Ending flushes them first; a peer
  // that never hangs up is dropped after a grace period.
  const endAll = () => {
    if (!settle()) return;
    client.end();
    backend?.end();
    const sockets = [client, ...(backend ? [backend] : [])];
    const grace = setTimeout(() => sockets.forEach((s) => s.destroy()), END_GRACE_MS);
    grace.unref();
    let open = sockets.length;
    for (const s of sockets) s.once('close', () => --open === 0 && clearTimeout(grace));
  };
  untrack = track(closeAll);
  client.on('error', closeAll);
  client.on('end', () => (backend ? endAll() : closeAll()));
  client.on('close', () => (backend ? endAll() : closeAll()));

  upstream.on('upgrade', (res, socket: Duplex, backendHead: Buffer) => {
    backend = socket;
    if (done) {
      socket.destroy();
      return;
    }
    client.write(rawHead(101, res.statusMessage || 'Switching Protocols', res.rawHeaders));
    if (backendHead.length) client.write(backendHead);
    if (head.length) socket.write(head);
    socket.on('error', closeAll);
    socket.on('end', endAll);
    socket.on('close', endAll);
    relay(client, socket);
    relay(socket, client);
  });
  // The node refused the upgrade (no such pod, not running, bad credentials). A JSON answer (a
  // Status) goes back as it is. A plain-text one (the kubelet's way) goes back as a Status
  // carrying the node's words: kubectl decodes an error body as JSON or YAML, and a text such as
  // `container "x" is not running: exited` parses as YAML into an empty Status, so the user would
  // see a bare "Error from server:".
  upstream.on('response', (res) => {
    if (done) return;
    const code = res.statusCode ?? 502;
    if (/json/i.test(String(res.headers['content-type'] ?? ''))) {
      // The body arrives decoded (no chunk framing): it is sent as it comes and ended by closing.
      const headers: string[] = [];
      for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
        if (!/^(connection|keep-alive|transfer-encoding|content-length)$/i.test(res.rawHeaders[i]!)) headers.push(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
      }
      client.write(rawHead(code, res.statusMessage ?? '', [...headers, 'Connection', 'close']));
      res.on('data', (c: Buffer) => client.write(c));
      res.on('end', () => {
        client.end();
        upstream.destroy();
        settle();
      });
      res.on('error', closeAll);
      return;
    }
    readText(res, 64 * 1024)
      .catch(() => '')
      .then((text) => {
        if (!settle()) return;
        upstream.destroy();
        const message = text.trim() || `the node API answered ${code} ${res.statusMessage ?? ''}`.trim();
        refuseUpgrade(client, new ApiError(code, CODES[code]?.[0] ?? (code >= 500 ? 'InternalError' : 'BadRequest'), message));
      });
  });
  upstream.on('error', (err) => {
    if (!settle()) return;
    logger.warn('apiserver: cannot reach the node API for a stream', { path, err: err.message });
    refuseUpgrade(client, new ApiError(502, 'InternalError', `${nodeUnreachable(node, err)}; the stream was not opened`));
  });
  upstream.end();
}
