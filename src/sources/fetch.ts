// One bounded GET for the URL source: an overall deadline (connect + redirects + body), a body
// size limit enforced while streaming (a huge answer is cut off, never buffered whole), redirects
// followed like Go's http.Client (up to 10; credentials dropped when the origin changes).
import http from 'node:http';
import https from 'node:https';

/** TLS material for https:// URLs (PEM). Without `ca` the system CAs verify the server. */
export interface TlsOptions {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

export interface GetOptions {
  headers: Record<string, string[]>;
  tls?: TlsOptions;
  timeoutMs: number;
  maxBytes: number;
  signal?: AbortSignal;
}

export interface GetResult {
  status: number;
  statusText: string;
  /** The body for 200 answers; empty for the others (not read). */
  body: Buffer;
}

export type FetchFailure = 'timeout' | 'too-large' | 'network' | 'tls' | 'redirects' | 'aborted' | 'bad-url';

export class FetchError extends Error {
  constructor(
    readonly kind: FetchFailure,
    message: string,
  ) {
    super(message);
    this.name = 'FetchError';
  }
}

const MAX_REDIRECTS = 10;
const SENSITIVE = new Set(['authorization', 'cookie', 'www-authenticate', 'proxy-authorization']);

export async function getLimited(url: string, options: GetOptions): Promise<GetResult> {
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(new FetchError('timeout', `GET timed out after ${formatMs(options.timeoutMs)}`)),
    options.timeoutMs,
  );
  const onOuterAbort = (): void => deadline.abort(new FetchError('aborted', 'GET aborted'));
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  try {
    let current: URL;
    try {
      current = new URL(url);
    } catch {
      throw new FetchError('bad-url', `${JSON.stringify(url)} is not a valid URL`);
    }
    let headers = options.headers;
    for (let hop = 0; ; hop++) {
      const answer = await requestOnce(current, headers, options.maxBytes, deadline.signal, options.tls);
      if (answer.kind === 'done') return answer.result;
      if (hop >= MAX_REDIRECTS) throw new FetchError('redirects', `GET stopped after ${MAX_REDIRECTS} redirects`);
      const next = new URL(answer.location, current);
      if (next.origin !== current.origin) {
        headers = Object.fromEntries(Object.entries(headers).filter(([k]) => !SENSITIVE.has(k.toLowerCase())));
      }
      current = next;
    }
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onOuterAbort);
  }
}

type Answer = { kind: 'done'; result: GetResult } | { kind: 'redirect'; location: string };

/** Node's codes for a server certificate that does not verify. */
const TLS_VERIFY_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_UNTRUSTED',
]);

function requestOnce(url: URL, headers: Record<string, string[]>, maxBytes: number, signal: AbortSignal, tls: TlsOptions | undefined): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    const mod = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : undefined;
    if (!mod) {
      reject(new FetchError('bad-url', `unsupported URL scheme ${JSON.stringify(url.protocol)}; use http: or https:`));
      return;
    }
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    let settled = false;
    const fail = (err: unknown): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      req.destroy();
      const code = (err as NodeJS.ErrnoException)?.code ?? '';
      if (err instanceof FetchError) reject(err);
      else if (TLS_VERIFY_CODES.has(code)) reject(new FetchError('tls', `GET failed: the server's TLS certificate is not trusted (${describe(err)})`));
      else reject(new FetchError('network', `GET failed: ${describe(err)}`));
    };
    const done = (answer: Answer): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      resolve(answer);
    };
    const onAbort = (): void => fail(signal.reason);
    const req = mod.request(url, { method: 'GET', headers, ...(url.protocol === 'https:' ? tls : {}) }, (res) => {
      const status = res.statusCode ?? 0;
      const statusText = res.statusMessage ?? '';
      const location = res.headers.location;
      if ([301, 302, 303, 307, 308].includes(status) && location) {
        res.resume();
        done({ kind: 'redirect', location });
        return;
      }
      if (status !== 200) {
        // The body of an error answer is of no use; do not read it.
        res.destroy();
        done({ kind: 'done', result: { status, statusText, body: Buffer.alloc(0) } });
        return;
      }
      const tooLarge = (): FetchError =>
        new FetchError('too-large', `response body is larger than the ${formatBytes(maxBytes)} limit`);
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBytes) {
        fail(tooLarge()); // first: destroying emits 'aborted', which must not win
        res.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      let total = 0;
      res.on('data', (chunk: Buffer) => {
        total += chunk.length;
        if (total > maxBytes) {
          fail(tooLarge());
          res.destroy();
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => done({ kind: 'done', result: { status, statusText, body: Buffer.concat(chunks, total) } }));
      res.on('error', fail);
      res.on('aborted', () => fail(new Error('connection closed before the whole body arrived')));
    });
    req.on('error', fail);
    signal.addEventListener('abort', onAbort, { once: true });
    req.end();
  });
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e === 'object' && 'message' in e) return e.code && !e.message.includes(e.code) ? `${e.code} ${e.message}` : e.message;
  return String(err);
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function formatBytes(n: number): string {
  return n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : `${n} bytes`;
}
