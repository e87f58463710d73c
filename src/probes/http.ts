// httpGet probes and hooks with the kubelet's semantics (pkg/probe/http): one GET without
// keep-alive, User-Agent kube-probe/<major.minor>, Accept */*, 200-399 is healthy, redirects are
// followed only while they stay on the same host (at most 10), a redirect to another host ends
// the probe with a warning (healthy), at most 10 KiB of the body is read, HTTPS is not verified.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { HTTPGetAction } from 'kubernetes-types/core/v1';
import { hostPort, resolvePort } from './port.js';
import type { ProbeOutcome, ProbeTarget } from './types.js';

/** The Kubernetes minor version whose kubelet Berth stands in for (kubectl 1.32 era). */
export const PROBE_USER_AGENT = 'kube-probe/1.32';
const MAX_BODY = 10 * 1024;
const MAX_REDIRECTS = 10;

/** The URL and headers an httpGet action asks for, against `target`. Throws PortError for a bad named port. */
export function httpGetRequest(action: HTTPGetAction, target: ProbeTarget): { url: URL; headers: Record<string, string> } {
  const scheme = (action.scheme ?? 'HTTP').toLowerCase();
  const port = resolvePort(action.port, target.container);
  const host = action.host || target.podIP;
  let path = action.path ?? '';
  if (!path.startsWith('/')) path = `/${path}`;
  const url = new URL(`${scheme}://${hostPort(host, port)}${path}`);
  const headers: Record<string, string> = {};
  for (const h of action.httpHeaders ?? []) headers[h.name.toLowerCase() === 'host' ? 'host' : h.name] = h.value;
  const has = (name: string) => Object.keys(headers).some((k) => k.toLowerCase() === name);
  if (!has('user-agent')) headers['User-Agent'] = PROBE_USER_AGENT;
  if (!has('accept')) headers['Accept'] = '*/*';
  headers['Connection'] = 'close';
  return { url, headers };
}

/** What each probe's action sends, made once (the action object lives as long as its pod spec). */
const prepared = new WeakMap<HTTPGetAction, { first: Hop; headers: Record<string, string>; podIP: string }>();

/** One httpGet probe attempt. Never throws: every problem is a failure with the kubelet's wording. */
export async function probeHttp(action: HTTPGetAction, target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  let req = prepared.get(action);
  if (!req || req.podIP !== target.podIP) {
    try {
      const { url, headers } = httpGetRequest(action, target);
      req = { first: hop(url, headers), headers, podIP: target.podIP };
    } catch (err) {
      return { result: 'unknown', output: (err as Error).message };
    }
    prepared.set(action, req);
  }
  const res = await following(req.first, req.headers, timeoutMs);
  if (res.error) return { result: 'failure', output: res.error };
  const code = res.status!;
  if (code >= 200 && code < 400) {
    if (code >= 300) return { result: 'warning', output: `Probe terminated redirects, Response body: ${res.body}` };
    return { result: 'success', output: res.body ?? '' };
  }
  return { result: 'failure', output: `HTTP probe failed with statuscode: ${code}` };
}

/** One request of a GET and its redirects: plain-HTTP ones are written out once, as bytes. */
interface Hop {
  url: URL;
  /** The request (request line and headers) of a plain-HTTP GET; undefined for HTTPS. */
  head?: Buffer;
  /** Where to connect (an IPv6 address without its brackets). */
  host: string;
  port: number;
}

function hop(url: URL, headers: Record<string, string>): Hop {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (url.protocol !== 'http:') return { url, host, port: Number(url.port) || 443 };
  let head = `GET ${url.pathname}${url.search} HTTP/1.1\r\n`;
  if (!('host' in headers)) head += `Host: ${url.host}\r\n`;
  // A header value cannot carry a line break into the request (node:http refuses them too).
  for (const [k, v] of Object.entries(headers)) head += `${k === 'host' ? 'Host' : k}: ${v.replace(/[\r\n]+/g, ' ')}\r\n`;
  return { url, head: Buffer.from(`${head}\r\n`, 'latin1'), host, port: Number(url.port) || 80 };
}

interface HttpAnswer {
  status?: number;
  body?: string;
  /** Set when no answer came: Go's error text, e.g. `Get "http://…": dial tcp …: connect: connection refused`. */
  error?: string;
}

/** GET with same-host redirects, all within one deadline (as Go's http.Client.Timeout). */
export function httpGetFollowing(first: URL, headers: Record<string, string>, timeoutMs: number): Promise<HttpAnswer> {
  return following(hop(first, headers), headers, timeoutMs);
}

async function following(first: Hop, headers: Record<string, string>, timeoutMs: number): Promise<HttpAnswer> {
  const deadline = Date.now() + Math.max(1, timeoutMs);
  let at = first;
  for (let hops = 0; ; hops++) {
    const url = at.url;
    const left = deadline - Date.now();
    if (left <= 0) return { error: `Get "${url.href}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` };
    const a = at.head ? await plainGet(at, left) : await nodeGet(url, headers, left);
    if (a.error || a.location === undefined) return a;
    let next: URL;
    try {
      next = new URL(a.location, url);
    } catch {
      return { error: `Get "${url.href}": failed to parse Location header "${a.location}"` };
    }
    // Another host: stop here and hand back the redirect itself (a warning, not a failure).
    if (next.hostname !== first.url.hostname) return a;
    if (hops + 1 >= MAX_REDIRECTS) return { error: `Get "${next.href}": stopped after ${MAX_REDIRECTS} redirects` };
    at = hop(next, headers);
  }
}

interface OneAnswer extends HttpAnswer {
  /** The Location of a 3xx answer (the caller decides whether to follow it). */
  location?: string;
}

const isRedirect = (status: number) => status >= 300 && status < 400 && status !== 304;

/** Whether a Location stays on the host of `url` (an unparsable one does not: the caller reports it). */
function sameHost(location: string, url: URL): boolean {
  try {
    return new URL(location, url).hostname === url.hostname;
  } catch {
    return true;
  }
}

/**
 * One plain-HTTP GET spoken directly on a socket: probes run hundreds of times a second on a
 * busy node, and this costs a fraction of node:http's client (no agent, no request and response
 * objects). The request is written with the connection; the answer's status line and headers
 * decide; the body is only read (up to 10 KiB) when a redirect ends the probe, whose warning
 * quotes it. The socket is closed as soon as the answer is known.
 */
function plainGet(at: Hop, timeoutMs: number): Promise<OneAnswer> {
  const url = at.url;
  return new Promise((resolve) => {
    const socket = connect({ host: at.host, port: at.port });
    let done = false;
    const finish = (a: OneAnswer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(a);
    };
    const timer = setTimeout(
      () => finish({ error: `Get "${url.href}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` }),
      timeoutMs,
    );
    socket.on('error', (err: NodeJS.ErrnoException) => finish({ error: `Get "${url.href}": ${goDialError(err, url)}` }));
    let buf: Buffer = Buffer.alloc(0);
    let status = 0;
    let bodyStart = -1;
    let location: string | undefined;
    let length = Infinity;
    let chunked = false;
    const body = () => {
      const raw = buf.subarray(bodyStart, bodyStart + Math.min(length, MAX_BODY + 64));
      return (chunked ? dechunk(raw) : raw).subarray(0, MAX_BODY).toString('utf8');
    };
    socket.on('data', (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      if (bodyStart < 0) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) {
          if (buf.length > 64 * 1024) finish({ error: `Get "${url.href}": net/http: server response headers exceeded 65536 bytes` });
          return;
        }
        const lineEnd = buf.indexOf('\r\n');
        const statusLine = buf.toString('latin1', 0, lineEnd);
        const m = /^HTTP\/\d\.\d (\d{3})/.exec(statusLine);
        if (!m) return finish({ error: `Get "${url.href}": net/http: malformed HTTP response ${JSON.stringify(statusLine)}` });
        status = Number(m[1]);
        bodyStart = end + 4;
        // The common answer (not an interim one, not a redirect) needs nothing from the headers.
        if (status >= 200 && !isRedirect(status)) return finish({ status, body: '' });
        const lines = lineEnd < end ? buf.toString('latin1', lineEnd + 2, end).split('\r\n') : [];
        for (const line of lines) {
          const colon = line.indexOf(':');
          const name = line.slice(0, colon).trim().toLowerCase();
          const value = line.slice(colon + 1).trim();
          if (name === 'location') location = value;
          else if (name === 'content-length') length = Number(value);
          else if (name === 'transfer-encoding') chunked = /chunked/i.test(value);
        }
        // A 1xx interim answer (100 Continue) is followed by the real one.
        if (status < 200) {
          buf = buf.subarray(bodyStart);
          bodyStart = -1;
          return;
        }
        if (!isRedirect(status) || location === undefined) return finish({ status, body: '' });
        if (sameHost(location, url)) return finish({ status, location });
      }
      const have = buf.length - bodyStart;
      if (have >= length || have >= MAX_BODY || (chunked && buf.includes('0\r\n\r\n', bodyStart))) finish({ status, location, body: body() });
    });
    socket.on('end', () => {
      if (bodyStart < 0) finish({ error: `Get "${url.href}": EOF` });
      else finish({ status, location, body: body() });
    });
    socket.write(at.head!);
  });
}

/** A chunked body's data (best effort: it is only quoted in an event). */
function dechunk(raw: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < raw.length) {
    const nl = raw.indexOf('\r\n', at);
    if (nl < 0) break;
    const size = parseInt(raw.toString('latin1', at, nl), 16);
    if (!Number.isFinite(size) || size <= 0) break;
    parts.push(raw.subarray(nl + 2, nl + 2 + size));
    at = nl + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** One GET through node:https (HTTPS probes: certificates are not verified, as upstream). */
function nodeGet(url: URL, headers: Record<string, string>, timeoutMs: number): Promise<OneAnswer> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (a: OneAnswer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      r.destroy();
      resolve(a);
    };
    const timer = setTimeout(
      () => finish({ error: `Get "${url.href}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` }),
      timeoutMs,
    );
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const r = send(url, { method: 'GET', headers, agent: false, rejectUnauthorized: false });
    r.on('error', (err: NodeJS.ErrnoException) => finish({ error: `Get "${url.href}": ${goDialError(err, url)}` }));
    r.on('response', (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      const location = isRedirect(status) ? res.headers.location : undefined;
      if (location !== undefined && sameHost(location, url)) {
        res.resume();
        return finish({ status, location });
      }
      readBody(res, (body) => finish({ status, location, body }));
    });
    r.end();
  });
}

function readBody(res: IncomingMessage, done: (body: string) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  res.on('data', (c: Buffer) => {
    if (size >= MAX_BODY) return;
    chunks.push(c);
    size += c.length;
    if (size >= MAX_BODY) done(Buffer.concat(chunks).subarray(0, MAX_BODY).toString('utf8'));
  });
  res.on('end', () => done(Buffer.concat(chunks).subarray(0, MAX_BODY).toString('utf8')));
  res.on('error', () => done(Buffer.concat(chunks).toString('utf8')));
}

/** Node's socket errors in the words of Go's net package, as kubelet events show them. */
export function goDialError(err: NodeJS.ErrnoException, url: URL): string {
  const where = `dial tcp ${hostPort(url.hostname.replace(/^\[|\]$/g, ''), Number(url.port) || (url.protocol === 'https:' ? 443 : 80))}`;
  switch (err.code) {
    case 'ECONNREFUSED':
      return `${where}: connect: connection refused`;
    case 'EHOSTUNREACH':
      return `${where}: connect: no route to host`;
    case 'ENETUNREACH':
      return `${where}: connect: network is unreachable`;
    case 'ECONNRESET':
      return 'read: connection reset by peer';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `dial tcp: lookup ${url.hostname}: no such host`;
    default:
      return err.message;
  }
}
