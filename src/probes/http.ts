// httpGet probes and hooks with the kubelet's semantics (pkg/probe/http): one GET without
// keep-alive, User-Agent kube-probe/<major.minor>, Accept */*, 200-399 is healthy, redirects are
// followed only while they stay on the same host (at most 10), a redirect to another host ends
// the probe with a warning (healthy), at most 10 KiB of the body is read, HTTPS is not verified.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
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

/** One httpGet probe attempt. Never throws: every problem is a failure with the kubelet's wording. */
export async function probeHttp(action: HTTPGetAction, target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  let req: { url: URL; headers: Record<string, string> };
  try {
    req = httpGetRequest(action, target);
  } catch (err) {
    return { result: 'unknown', output: (err as Error).message };
  }
  const res = await httpGetFollowing(req.url, req.headers, timeoutMs);
  if (res.error) return { result: 'failure', output: res.error };
  const code = res.status!;
  if (code >= 200 && code < 400) {
    if (code >= 300) return { result: 'warning', output: `Probe terminated redirects, Response body: ${res.body}` };
    return { result: 'success', output: res.body ?? '' };
  }
  return { result: 'failure', output: `HTTP probe failed with statuscode: ${code}` };
}

interface HttpAnswer {
  status?: number;
  body?: string;
  /** Set when no answer came: Go's error text, e.g. `Get "http://…": dial tcp …: connect: connection refused`. */
  error?: string;
}

/** GET with same-host redirects, all within one deadline (as Go's http.Client.Timeout). */
export function httpGetFollowing(first: URL, headers: Record<string, string>, timeoutMs: number): Promise<HttpAnswer> {
  return new Promise((resolve) => {
    let done = false;
    let current: { destroy(): void } | undefined;
    let url = first;
    const finish = (a: HttpAnswer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      current?.destroy();
      resolve(a);
    };
    const timer = setTimeout(
      () => finish({ error: `Get "${url.href}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` }),
      Math.max(1, timeoutMs),
    );
    const get = (target: URL, hops: number) => {
      url = target;
      const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
      const r = send(target, { method: 'GET', headers, agent: false, rejectUnauthorized: false });
      current = r;
      r.on('error', (err: NodeJS.ErrnoException) => finish({ error: `Get "${target.href}": ${goDialError(err, target)}` }));
      r.on('response', (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        const location = res.headers.location;
        if (status >= 300 && status < 400 && location && status !== 304) {
          let next: URL;
          try {
            next = new URL(location, target);
          } catch {
            finish({ error: `Get "${target.href}": failed to parse Location header "${location}"` });
            return;
          }
          res.resume();
          // Another host: stop here and hand back the redirect itself (a warning, not a failure).
          if (next.hostname === first.hostname) {
            if (hops + 1 >= MAX_REDIRECTS) {
              finish({ error: `Get "${next.href}": stopped after ${MAX_REDIRECTS} redirects` });
              return;
            }
            get(next, hops + 1);
            return;
          }
        }
        readBody(res, (body) => finish({ status, body }));
      });
      r.end();
    };
    get(first, 0);
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
