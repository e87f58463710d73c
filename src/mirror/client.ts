// A small Kubernetes REST client for the node agent: JSON verbs, Status errors as ApiError, TLS
// from a kubeconfig, a timeout on every call and keep-alive connections. Deliberately not
// @kubernetes/client-node: that library costs tens of MB of RSS and noticeable start-up time, and
// the agent needs only a handful of verbs on four resources.
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { arch } from 'node:os';
import { ApiError, ConnectionError } from './errors.js';
import type { ClientConfig } from './kubeconfig.js';
import { readWatchStream, type WatchEvent } from './watch.js';

export type PatchType = 'merge' | 'strategic' | 'json';

const PATCH_CONTENT_TYPE: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
};

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface ClientOptions {
  /** Deadline of one call, connection to last byte (default 10 s). Watches use idleTimeoutMs instead. */
  timeoutMs?: number;
  userAgent?: string;
  /** Largest response body accepted (default 64 MiB). */
  maxBodyBytes?: number;
  /** Sockets per server (default 16; one of them is held by each watch). */
  maxSockets?: number;
}

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  contentType?: string;
  timeoutMs?: number;
}

export interface WatchOptions {
  /** Abort the stream when nothing (not even a BOOKMARK) arrived for this long (default 10 min). */
  idleTimeoutMs?: number;
  /** Called when the server accepted the watch (HTTP 200). */
  onOpen?: () => void;
}

export interface WatchHandle {
  /** Resolves when the server ends the stream; rejects on an HTTP error (ApiError) or a broken connection. */
  done: Promise<void>;
  stop(): void;
}

const TOKEN_FILE_REFRESH_MS = 60_000;

export class RestClient {
  private readonly base: URL;
  private readonly agent: HttpAgent;
  private readonly isHttps: boolean;
  private readonly inflight = new Set<ClientRequest>();
  private readonly timeoutMs: number;
  private readonly maxBodyBytes: number;
  private readonly userAgent: string;
  private tokenCache: { value: string; readAt: number } | undefined;
  private closed = false;

  constructor(
    private readonly cfg: ClientConfig,
    opts: ClientOptions = {},
  ) {
    this.base = new URL(cfg.server);
    this.isHttps = this.base.protocol === 'https:';
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.maxBodyBytes = opts.maxBodyBytes ?? 64 * 1024 * 1024;
    this.userAgent = opts.userAgent ?? `berth/0.1.0 (linux/${arch() === 'x64' ? 'amd64' : arch()})`;
    // Idle connections stay open until the server closes them (kube-apiserver and the embedded API
    // after 90 s): the status and lease updates every 10 s then reuse one connection instead of a
    // TLS handshake on both sides each time.
    const common = { keepAlive: true, keepAliveMsecs: 30_000, maxSockets: opts.maxSockets ?? 16, maxFreeSockets: 4 };
    this.agent = this.isHttps
      ? new HttpsAgent({
          ...common,
          // Parsed once: given only ca/cert/key, every new connection would parse them again.
          secureContext: createSecureContext({ ca: cfg.caData, cert: cfg.certData, key: cfg.keyData }),
          rejectUnauthorized: !cfg.insecureSkipTLSVerify,
          servername: cfg.tlsServerName,
        })
      : new HttpAgent(common);
  }

  get server(): string {
    return this.cfg.server;
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>('GET', path, { query });
  }

  list<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>('GET', path, { query });
  }

  create<T>(path: string, body: unknown, query?: Query): Promise<T> {
    return this.request<T>('POST', path, { body, query });
  }

  update<T>(path: string, body: unknown, query?: Query): Promise<T> {
    return this.request<T>('PUT', path, { body, query });
  }

  patch<T>(path: string, body: unknown, type: PatchType = 'merge', query?: Query): Promise<T> {
    return this.request<T>('PATCH', path, { body, query, contentType: PATCH_CONTENT_TYPE[type] });
  }

  delete<T>(path: string, options?: DeleteOptions, query?: Query): Promise<T> {
    return this.request<T>('DELETE', path, { body: options ? { kind: 'DeleteOptions', apiVersion: 'v1', ...options } : undefined, query });
  }

  /** One JSON call. 2xx: the parsed body (undefined when empty); otherwise ApiError / ConnectionError. */
  async request<T>(method: string, path: string, o: RequestOptions = {}): Promise<T> {
    const what = `${method} ${path}`;
    const payload = o.body === undefined ? undefined : Buffer.from(JSON.stringify(o.body));
    const res = await this.send(method, path, o.query, payload, o.contentType, o.timeoutMs ?? this.timeoutMs, what);
    const text = res.body.toString('utf8');
    if (res.code >= 200 && res.code < 300) {
      if (text.trim() === '') return undefined as T;
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new ApiError(res.code, 'InvalidResponse', `the server answered ${what} with a body that is not JSON: ${snippet(text)}`, what);
      }
    }
    throw toApiError(res.code, text, what);
  }

  /**
   * Streams a watch: `onEvent` gets each event (ERROR events included, as sent). Ends when the
   * server ends the stream, on a broken connection, on an idle timeout, or on stop().
   */
  watch<T>(path: string, query: Query, onEvent: (e: WatchEvent<T>) => void, opts: WatchOptions = {}): WatchHandle {
    const what = `WATCH ${path}`;
    let req: ClientRequest | undefined;
    let stopped = false;
    let finishRef: ((err?: unknown) => void) | undefined;
    const done = new Promise<void>((resolve, reject) => {
      if (this.closed) return reject(new ConnectionError('client closed', what));
      const r = this.open('GET', path, { ...query, watch: 'true' }, undefined, undefined);
      req = r;
      const idleMs = opts.idleTimeoutMs ?? 600_000;
      let idle: NodeJS.Timeout | undefined;
      const touch = () => {
        clearTimeout(idle);
        idle = setTimeout(() => r.destroy(new ConnectionError(`no data for ${Math.round(idleMs / 1000)}s`, what)), idleMs);
      };
      let settled = false;
      const finish = (err?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(idle);
        this.inflight.delete(r);
        if (stopped) resolve();
        else if (err) reject(err instanceof ApiError || err instanceof ConnectionError ? err : connectionError(err, what));
        else resolve();
      };
      finishRef = finish;
      touch();
      r.on('error', (err) => finish(err));
      r.on('response', (res) => {
        touch();
        if ((res.statusCode ?? 0) !== 200) {
          this.readBody(res, what).then(
            (body) => finish(toApiError(res.statusCode ?? 0, body.toString('utf8'), what)),
            (err) => finish(err),
          );
          return;
        }
        opts.onOpen?.();
        readWatchStream<T>(res, (e) => {
          touch();
          if (!stopped) onEvent(e);
        }).then(
          () => finish(),
          (err) => finish(err),
        );
      });
      r.end();
    });
    return {
      done,
      stop: () => {
        stopped = true;
        req?.destroy();
        finishRef?.();
      },
    };
  }

  /** Aborts every call in flight and closes the connections. */
  close(): void {
    this.closed = true;
    for (const r of this.inflight) r.destroy(new ConnectionError('client closed', 'close'));
    this.inflight.clear();
    this.agent.destroy();
  }

  private bearer(): string | undefined {
    if (this.cfg.token) return this.cfg.token;
    if (!this.cfg.tokenFile) return undefined;
    const now = Date.now();
    if (!this.tokenCache || now - this.tokenCache.readAt > TOKEN_FILE_REFRESH_MS) {
      try {
        this.tokenCache = { value: readFileSync(this.cfg.tokenFile, 'utf8').trim(), readAt: now };
      } catch (err) {
        // Keep the last good token: a rotation in progress must not break every call.
        if (!this.tokenCache) throw new ConnectionError(`cannot read the token file ${this.cfg.tokenFile} (kubeconfig ${this.cfg.origin}, user tokenFile): ${(err as Error).message}`, 'auth');
        this.tokenCache.readAt = now;
      }
    }
    return this.tokenCache.value;
  }

  private open(method: string, path: string, query: Query | undefined, payload: Buffer | undefined, contentType: string | undefined): ClientRequest {
    const url = new URL(this.base.pathname.replace(/\/$/, '') + path, this.base);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': this.userAgent };
    const token = this.bearer();
    if (token) headers['Authorization'] = `Bearer ${token}`;
    else if (this.cfg.username !== undefined) {
      headers['Authorization'] = `Basic ${Buffer.from(`${this.cfg.username}:${this.cfg.password ?? ''}`).toString('base64')}`;
    }
    if (payload) {
      headers['Content-Type'] = contentType ?? 'application/json';
      headers['Content-Length'] = String(payload.length);
    }
    const req = (this.isHttps ? httpsRequest : httpRequest)(url, { method, headers, agent: this.agent });
    this.inflight.add(req);
    if (payload) req.write(payload);
    return req;
  }

  private send(
    method: string,
    path: string,
    query: Query | undefined,
    payload: Buffer | undefined,
    contentType: string | undefined,
    timeoutMs: number,
    what: string,
    retry = true,
  ): Promise<{ code: number; body: Buffer }> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new ConnectionError('client closed', what));
      let req: ClientRequest;
      try {
        req = this.open(method, path, query, payload, contentType);
      } catch (err) {
        return reject(err instanceof ConnectionError ? err : connectionError(err, what));
      }
      const timer = setTimeout(() => req.destroy(new ConnectionError(`no answer within ${timeoutMs} ms`, what)), timeoutMs);
      let answered = false;
      const fail = (err: unknown) => {
        clearTimeout(timer);
        this.inflight.delete(req);
        const code = (err as NodeJS.ErrnoException)?.code;
        // A kept-alive socket the server closed just as we reused it: the request never reached
        // the server, so sending it once more on a fresh connection is safe (Node docs' advice).
        if (retry && !answered && req.reusedSocket && (code === 'ECONNRESET' || code === 'EPIPE') && !this.closed) {
          this.send(method, path, query, payload, contentType, timeoutMs, what, false).then(resolve, reject);
          return;
        }
        reject(err instanceof ApiError || err instanceof ConnectionError ? err : connectionError(err, what));
      };
      req.on('error', fail);
      req.on('response', (res) => {
        answered = true;
        this.readBody(res, what).then((body) => {
          clearTimeout(timer);
          this.inflight.delete(req);
          resolve({ code: res.statusCode ?? 0, body });
        }, fail);
      });
      req.end();
    });
  }

  private readBody(res: IncomingMessage, what: string): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > this.maxBodyBytes) {
          res.destroy(new ConnectionError(`response larger than ${this.maxBodyBytes} bytes`, what));
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => resolve(Buffer.concat(chunks)));
      res.on('error', reject);
      res.on('aborted', () => reject(new ConnectionError('connection closed mid-response', what)));
      res.on('close', () => {
        if (!res.complete) reject(new ConnectionError('connection closed mid-response', what));
      });
    });
  }
}

function snippet(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > 200 ? `${t.slice(0, 200)}…` : t;
}

const REASON_BY_CODE: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** A Kubernetes Status body, or any other error body, as an ApiError. */
export function toApiError(code: number, text: string, what: string): ApiError {
  try {
    const s = JSON.parse(text) as { kind?: unknown; reason?: unknown; message?: unknown; code?: unknown };
    if (s && typeof s === 'object' && s.kind === 'Status') {
      const c = typeof s.code === 'number' && s.code > 0 ? s.code : code;
      const reason = typeof s.reason === 'string' && s.reason ? s.reason : (REASON_BY_CODE[c] ?? 'Unknown');
      const message = typeof s.message === 'string' && s.message ? s.message : `${what} failed with HTTP ${c}`;
      return new ApiError(c, reason, message, what);
    }
  } catch {
    // not JSON: fall through
  }
  const body = snippet(text);
  return new ApiError(code, REASON_BY_CODE[code] ?? 'Unknown', `${what} failed with HTTP ${code}${body ? `: ${body}` : ''}`, what);
}

function connectionError(err: unknown, what: string): ConnectionError {
  const e = err as NodeJS.ErrnoException;
  const detail = e?.code ? `${e.code}${e.message && !e.message.includes(e.code) ? `: ${e.message}` : ''}` : (e?.message ?? String(err));
  return new ConnectionError(`${what}: ${detail}`, what, err);
}
