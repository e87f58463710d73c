// A small HTTPS client for the embedded API server, for benchmarks: requests over keep-alive
// connections (so a timing is one request, not a TLS handshake), and watch streams that stamp each
// event with the performance.now() at which its last byte arrived in this process.
import { readFileSync } from 'node:fs';
import { Agent, request as httpsRequest } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { parse } from 'yaml';

export interface ApiTarget {
  /** https://host:port */
  url: string;
  caPem: string;
  token: string;
}

/** Reads server URL, CA and bearer token from a kubeconfig berth wrote. */
export function readKubeconfig(path: string): ApiTarget {
  const doc = parse(readFileSync(path, 'utf8')) as {
    clusters?: Array<{ cluster?: { server?: string; 'certificate-authority-data'?: string } }>;
    users?: Array<{ user?: { token?: string } }>;
  };
  const cluster = doc.clusters?.[0]?.cluster;
  const token = doc.users?.[0]?.user?.token;
  if (!cluster?.server || !cluster['certificate-authority-data'] || !token) {
    throw new Error(`kubeconfig ${path}: expected clusters[0].cluster.server, certificate-authority-data and users[0].user.token`);
  }
  return { url: cluster.server, caPem: Buffer.from(cluster['certificate-authority-data'], 'base64').toString('utf8'), token };
}

export interface Response {
  status: number;
  contentType: string;
  body: Buffer;
  /** performance.now() when the request was handed to the socket layer, and when the last body byte arrived. */
  sentAt: number;
  doneAt: number;
}

export const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';

export interface WatchEvent {
  type: string;
  object: { metadata?: { name?: string; uid?: string; resourceVersion?: string }; status?: Record<string, unknown>; [k: string]: unknown };
  /** performance.now() when the chunk that completed this event's line arrived. */
  at: number;
}

export interface Watch {
  events: WatchEvent[];
  /** Resolves with the first event (already received or future) that matches. */
  waitFor(match: (e: WatchEvent) => boolean, what: string, timeoutMs: number): Promise<WatchEvent>;
  /** Like waitFor, but only events that arrive from now on count. */
  waitNext(match: (e: WatchEvent) => boolean, what: string, timeoutMs: number): Promise<WatchEvent>;
  /** Calls `fn` for every event from now on. */
  onEvent(fn: (e: WatchEvent) => void): void;
  close(): void;
}

export class KubeClient {
  /** For ordinary requests: a few reused connections. */
  private readonly agent: Agent;
  /** Watches hold a connection each for as long as they run. */
  private readonly watchAgent: Agent;
  private readonly watches = new Set<Watch>();

  constructor(readonly target: ApiTarget) {
    this.agent = new Agent({ keepAlive: true, maxSockets: 16, ca: target.caPem });
    this.watchAgent = new Agent({ keepAlive: false, maxSockets: Infinity, ca: target.caPem });
  }

  request(method: string, path: string, opts: { body?: unknown; contentType?: string; accept?: string } = {}): Promise<Response> {
    const url = new URL(path, this.target.url);
    const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    const headers: Record<string, string | number> = {
      authorization: `Bearer ${this.target.token}`,
      accept: opts.accept ?? 'application/json',
    };
    if (payload) {
      headers['content-type'] = opts.contentType ?? 'application/json';
      headers['content-length'] = payload.length;
    }
    return new Promise<Response>((resolve, reject) => {
      const sentAt = performance.now();
      const req = httpsRequest(url, { method, agent: this.agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            body: Buffer.concat(chunks),
            sentAt,
            doneAt: performance.now(),
          }),
        );
        res.on('error', reject);
      });
      req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${url.pathname}: no answer within 30 s`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** A request that must answer 2xx; returns the parsed JSON body. */
  async json<T>(method: string, path: string, opts: { body?: unknown; contentType?: string; accept?: string } = {}): Promise<T> {
    const res = await this.request(method, path, opts);
    if (res.status < 200 || res.status > 299) {
      throw new Error(`${method} ${path}: HTTP ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`);
    }
    return JSON.parse(res.body.toString('utf8')) as T;
  }

  /** Opens a watch (path must include watch=true) and resolves once the server answered 200. */
  watch(path: string): Promise<Watch> {
    const url = new URL(path, this.target.url);
    return new Promise<Watch>((resolve, reject) => {
      const req = httpsRequest(url, { agent: this.watchAgent, headers: { authorization: `Bearer ${this.target.token}`, accept: 'application/json' } }, (res: IncomingMessage) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new Error(`watch ${url.pathname}${url.search}: HTTP ${res.statusCode}`));
          return;
        }
        const events: WatchEvent[] = [];
        const listeners = new Set<(e: WatchEvent) => void>();
        let buffered = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          const at = performance.now();
          buffered += chunk;
          let nl: number;
          while ((nl = buffered.indexOf('\n')) >= 0) {
            const line = buffered.slice(0, nl);
            buffered = buffered.slice(nl + 1);
            if (!line.trim()) continue;
            const e = { ...(JSON.parse(line) as Omit<WatchEvent, 'at'>), at };
            events.push(e);
            for (const l of listeners) l(e);
          }
        });
        res.on('error', () => {});
        const wait = (from: number, match: (e: WatchEvent) => boolean, what: string, timeoutMs: number) =>
          new Promise<WatchEvent>((ok, fail) => {
            const hit = events.slice(from).find(match);
            if (hit) return ok(hit);
            const timer = setTimeout(() => {
              listeners.delete(check);
              fail(new Error(`timed out after ${timeoutMs} ms waiting for watch event: ${what}`));
            }, timeoutMs);
            const check = (e: WatchEvent) => {
              if (!match(e)) return;
              listeners.delete(check);
              clearTimeout(timer);
              ok(e);
            };
            listeners.add(check);
          });
        const w: Watch = {
          events,
          onEvent: (fn) => listeners.add(fn),
          waitFor: (match, what, timeoutMs) => wait(0, match, what, timeoutMs),
          waitNext: (match, what, timeoutMs) => wait(events.length, match, what, timeoutMs),
          close: () => {
            this.watches.delete(w);
            listeners.clear();
            req.destroy();
          },
        };
        this.watches.add(w);
        resolve(w);
      });
      req.setTimeout(15_000, () => req.destroy(new Error(`watch ${url.pathname}: no answer within 15 s`)));
      req.on('response', () => req.setTimeout(0));
      req.on('error', reject);
      req.end();
    });
  }

  close(): void {
    for (const w of [...this.watches]) w.close();
    this.agent.destroy();
    this.watchAgent.destroy();
  }
}
