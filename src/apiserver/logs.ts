// GET pods/{name}/log: picks the container like kube does, then streams what the node's log reader
// returns as text/plain. With follow=true the chunked response stays open until the client leaves.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Pod } from 'kubernetes-types/core/v1';
import type { Logger } from '../log/index.js';
import { ApiError, badRequest } from './status.js';

export interface LogRequest {
  namespace: string;
  pod: string;
  container: string;
  follow: boolean;
  tailLines?: number;
  previous: boolean;
  timestamps: boolean;
}

export type LogReader = (req: LogRequest) => Promise<NodeJS.ReadableStream>;

/**
 * What a log reader throws when there is no such log (container never started, no previous
 * instance, ...): answered as a 404 NotFound with this message. An error with `code: 'ENOENT'` is
 * treated the same; `statusCode: 400` gives a 400 BadRequest; anything else is a 500.
 */
export class LogNotFoundError extends Error {
  readonly statusCode = 404;
  constructor(message: string) {
    super(message);
    this.name = 'LogNotFoundError';
  }
}

function flag(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v === 'true' || v === '1';
}

function containerNames(pod: Pod): { main: string[]; init: string[]; ephemeral: string[] } {
  return {
    main: (pod.spec?.containers ?? []).map((c) => c.name),
    init: (pod.spec?.initContainers ?? []).map((c) => c.name),
    ephemeral: (pod.spec?.ephemeralContainers ?? []).map((c) => c.name),
  };
}

/** Validates the query and resolves the container; throws 400 ApiErrors. */
export function logRequestFor(pod: Pod, q: URLSearchParams): LogRequest {
  const name = pod.metadata?.name ?? '';
  const names = containerNames(pod);
  let container = q.get('container') ?? '';
  if (container === '') {
    if (names.main.length === 1) container = names.main[0]!;
    else {
      let msg = `a container name must be specified for pod ${name}, choose one of: [${names.main.join(' ')}]`;
      if (names.init.length) msg += ` or one of the init containers: [${names.init.join(' ')}]`;
      throw badRequest(msg);
    }
  } else if (![...names.main, ...names.init, ...names.ephemeral].includes(container)) {
    throw badRequest(`container ${container} is not valid for pod ${name}`);
  }
  const r: LogRequest = {
    namespace: pod.metadata?.namespace ?? 'default',
    pod: name,
    container,
    follow: flag(q, 'follow'),
    previous: flag(q, 'previous'),
    timestamps: flag(q, 'timestamps'),
  };
  const tail = q.get('tailLines');
  if (tail !== null && tail !== '') {
    if (!/^\d+$/.test(tail)) throw badRequest(`invalid tailLines "${tail}": must be a non-negative integer`);
    r.tailLines = Number(tail);
  }
  return r;
}

function mapReaderError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const e = err as { statusCode?: unknown; code?: unknown; message?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(err);
  if (e?.statusCode === 404 || e?.code === 'ENOENT' || e?.code === 404) return new ApiError(404, 'NotFound', message);
  if (e?.statusCode === 400 || e?.code === 400) return badRequest(message);
  return new ApiError(500, 'InternalError', `reading the log failed: ${message}`);
}

export async function serveLogs(
  reader: LogReader | undefined,
  logger: Logger,
  pod: Pod,
  q: URLSearchParams,
  _req: IncomingMessage,
  res: ServerResponse,
  track: (stop: () => void) => () => void,
): Promise<void> {
  const lr = logRequestFor(pod, q);
  if (!reader) {
    throw new ApiError(503, 'ServiceUnavailable', 'logs are not available: this API server was started without a log reader');
  }
  let stream: NodeJS.ReadableStream;
  try {
    stream = await reader(lr);
  } catch (err) {
    throw mapReaderError(err);
  }
  const destroy = () => {
    const s = stream as NodeJS.ReadableStream & { destroy?: () => void };
    s.destroy?.();
  };
  if (res.destroyed) {
    destroy();
    return;
  }
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  let done = false;
  const untrack = track(() => finish());
  function finish(): void {
    if (done) return;
    done = true;
    untrack();
    stream.removeListener('data', onData);
    destroy();
    res.end();
  }
  const onData = (chunk: Buffer | string) => {
    if (done) return;
    // Respect back-pressure: a slow client pauses the reader instead of growing our buffer.
    if (!res.write(chunk)) {
      stream.pause();
      res.once('drain', () => stream.resume());
    }
  };
  stream.on('data', onData);
  stream.on('end', finish);
  stream.on('error', (err: Error) => {
    logger.warn('apiserver: log stream failed', { pod: lr.pod, container: lr.container, err });
    finish();
  });
  res.on('close', finish);
}
