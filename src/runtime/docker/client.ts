// A small Docker Engine API client over the engine's unix socket (node:http with `socketPath`).
// Own code rather than an npm package (dockerode & co.): berth uses about a dozen endpoints, the
// packages pull in native/optional dependencies and their own HTTP stacks, and the very same few
// lines also speak to Podman's Docker-compatible service. Paths carry the API version (/v1.41,
// Docker 20.10's), which Podman 4's compat API serves too.
import { Agent, request as httpRequest, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

export const API_VERSION = 'v1.41';

/** The engine answered with an HTTP error status; `message` is the engine's own text. */
export class EngineError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

/** Nothing answers on the socket (missing file, refused, reset): the engine is down or elsewhere. */
export class EngineUnavailableError extends Error {
  constructor(
    readonly endpoint: string,
    cause: string,
  ) {
    super(
      `no container engine answers at ${endpoint} (${cause}); start dockerd with scripts/docker-up.sh ` +
        '(or the podman service with scripts/podman-up.sh), or point --container-runtime-endpoint at a running one',
    );
    this.name = 'EngineUnavailableError';
  }
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** Gives up (EngineUnavailableError) after this long without an answer. Default 30 s. */
  timeoutMs?: number;
}

export interface EngineResponse {
  status: number;
  /** Parsed JSON when the engine sent JSON, else the text (e.g. /_ping's "OK"). */
  body: unknown;
}

/** `unix:///var/run/docker.sock` or a bare absolute path -> the socket path. */
export function socketPathOf(endpoint: string): string {
  if (endpoint.startsWith('unix://')) return endpoint.slice('unix://'.length);
  if (endpoint.startsWith('/')) return endpoint;
  throw new Error(
    `container engine endpoint "${endpoint}" is not a unix socket; use unix:///var/run/docker.sock ` +
      '(Docker) or unix:///run/podman/podman.sock (Podman)',
  );
}

export class EngineClient {
  readonly socketPath: string;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 32 });

  constructor(readonly endpoint: string) {
    this.socketPath = socketPathOf(endpoint);
  }

  /** One request; rejects with EngineError for a status >= 400 (except those in `accept`). */
  async call(method: string, path: string, options: RequestOptions = {}, accept: number[] = []): Promise<EngineResponse> {
    const res = await this.open(method, path, options);
    const text = await readAll(res, options.timeoutMs ?? 30_000).catch((err: Error) => {
      throw new EngineUnavailableError(this.endpoint, `reading the answer to ${method} ${path}: ${err.message}`);
    });
    const status = res.statusCode ?? 0;
    const body = parseBody(text, res.headers['content-type']);
    if (status >= 400 && !accept.includes(status)) throw new EngineError(status, errorMessage(body, text, status));
    return { status, body };
  }

  /** GET/POST returning JSON; 404 resolves undefined. */
  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T | undefined> {
    const { status, body } = await this.call(method, path, options, [404]);
    return status === 404 ? undefined : (body as T);
  }

  /**
   * A streaming request (logs, events, image pulls): resolves with the response once the headers
   * arrived; the caller reads and destroys it. A status >= 400 rejects with the engine's message.
   */
  async stream(method: string, path: string, options: Omit<RequestOptions, 'timeoutMs'> & { headerTimeoutMs?: number } = {}): Promise<IncomingMessage> {
    const res = await this.open(method, path, { ...options, timeoutMs: options.headerTimeoutMs ?? 30_000 }, true);
    const status = res.statusCode ?? 0;
    if (status >= 400) {
      const text = await readAll(res, 10_000).catch(() => '');
      throw new EngineError(status, errorMessage(parseBody(text, res.headers['content-type']), text, status));
    }
    return res;
  }

  /**
   * A hijacked connection (exec start, attach): the engine answers 101 and the socket then carries
   * the raw streams both ways. Rejects with EngineError when the engine answers with an error.
   */
  hijack(method: string, path: string, options: { query?: Query; body?: unknown } = {}): Promise<{ socket: Socket; head: Buffer }> {
    const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
    return new Promise((resolve, reject) => {
      const req = httpRequest({
        socketPath: this.socketPath,
        agent: false,
        method,
        path: `/${API_VERSION}${path}${queryString(options.query)}`,
        headers: {
          Host: 'docker',
          Connection: 'Upgrade',
          Upgrade: 'tcp',
          ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : { 'Content-Length': 0 }),
        },
      });
      req.once('upgrade', (_res, socket, head) => resolve({ socket, head }));
      req.once('response', (res) => {
        void readAll(res, 10_000)
          .catch(() => '')
          .then((text) => {
            const status = res.statusCode ?? 0;
            reject(new EngineError(status, status >= 400 ? errorMessage(parseBody(text, res.headers['content-type']), text, status) : `${method} ${path} answered HTTP ${status} instead of switching to a raw stream`));
          });
      });
      req.once('error', (err: NodeJS.ErrnoException) => reject(new EngineUnavailableError(this.endpoint, `${method} ${path}: ${err.code ?? err.message}`)));
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }

  private open(method: string, path: string, options: RequestOptions, streaming = false): Promise<IncomingMessage> {
    const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
    const timeoutMs = options.timeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      const req = httpRequest({
        socketPath: this.socketPath,
        // Streams hold their socket for long; keep them off the keep-alive pool.
        agent: streaming ? false : this.agent,
        method,
        path: `/${API_VERSION}${path}${queryString(options.query)}`,
        headers: {
          Host: 'docker',
          ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {}),
        },
      });
      const timer = setTimeout(() => {
        req.destroy(new Error(`no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      req.once('response', (res) => {
        clearTimeout(timer);
        resolve(res);
      });
      req.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new EngineUnavailableError(this.endpoint, `${method} ${path}: ${err.code ?? err.message}`));
      });
      req.end(payload);
    });
  }
}

function queryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    params.set(key, typeof value === 'boolean' ? (value ? '1' : '0') : String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

function readAll(res: IncomingMessage, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => res.destroy(new Error(`body not complete within ${timeoutMs} ms`)), timeoutMs);
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.once('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    res.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    res.once('aborted', () => {
      clearTimeout(timer);
      reject(new Error('connection closed'));
    });
  });
}

function parseBody(text: string, contentType: string | undefined): unknown {
  if (text && (contentType ?? '').includes('json')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

function errorMessage(body: unknown, text: string, status: number): string {
  if (body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string') {
    return (body as { message: string }).message;
  }
  return text.trim() || `HTTP ${status}`;
}

/** Pings the engine: true when GET /_ping answers "OK" within `timeoutMs`. */
export async function isDockerEndpoint(endpoint: string, timeoutMs: number): Promise<boolean> {
  let client: EngineClient;
  try {
    client = new EngineClient(endpoint);
  } catch {
    return false;
  }
  try {
    const { status, body } = await client.call('GET', '/_ping', { timeoutMs }, [404, 500]);
    return status === 200 && typeof body === 'string' && body.trim() === 'OK';
  } catch {
    return false;
  } finally {
    client.close();
  }
}
