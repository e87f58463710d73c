// GET pods/{name}/log: picks the container like kube does, then streams what the node's log reader
// returns as text/plain. With follow=true the chunked response stays open until the client leaves.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Pod } from 'kubernetes-types/core/v1';
import type { Logger } from '../log/index.js';
import { boolParam, intParam, timeParam } from './query.js';
import { ApiError, badRequest, invalid, type FieldError } from './status.js';

export interface LogRequest {
  namespace: string;
  pod: string;
  container: string;
  follow: boolean;
  tailLines?: number;
  previous: boolean;
  timestamps: boolean;
  /** Only lines written in the last N seconds (N > 0). At most one of sinceSeconds / sinceTime. */
  sinceSeconds?: number;
  /** Only lines written at or after this RFC 3339 time, as the client sent it. */
  sinceTime?: string;
  /** Stop after this many bytes of output (> 0); ends a follow too. */
  limitBytes?: number;
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
    follow: boolParam(q, 'follow'),
    previous: boolParam(q, 'previous'),
    timestamps: boolParam(q, 'timestamps'),
  };
  const tailLines = intParam(q, 'tailLines');
  const sinceSeconds = intParam(q, 'sinceSeconds');
  const sinceTime = timeParam(q, 'sinceTime');
  const limitBytes = intParam(q, 'limitBytes');
  // The checks and wording of kube's PodLogOptions validation: a 422 Invalid naming each field.
  const errs: FieldError[] = [];
  if (tailLines !== undefined && tailLines < 0) errs.push(fieldInvalid('tailLines', tailLines, 'must be greater than or equal to 0'));
  if (limitBytes !== undefined && limitBytes < 1) errs.push(fieldInvalid('limitBytes', limitBytes, 'must be greater than 0'));
  if (sinceSeconds !== undefined && sinceTime !== undefined) {
    errs.push({ field: '', reason: 'FieldValueForbidden', message: 'Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified' });
  } else if (sinceSeconds !== undefined && sinceSeconds < 1) {
    errs.push(fieldInvalid('sinceSeconds', sinceSeconds, 'must be greater than 0'));
  }
  if (errs.length) throw invalid('PodLogOptions', { plural: 'pods', group: '' }, name, errs);
  if (tailLines !== undefined) r.tailLines = tailLines;
  if (sinceSeconds !== undefined) r.sinceSeconds = sinceSeconds;
  if (sinceTime !== undefined) r.sinceTime = q.get('sinceTime')!;
  if (limitBytes !== undefined) r.limitBytes = limitBytes;
  return r;
}

function fieldInvalid(field: string, value: number, why: string): FieldError {
  return { field, reason: 'FieldValueInvalid', message: `Invalid value: ${value}: ${why}` };
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
  reader: LogReader,
  logger: Logger,
  pod: Pod,
  q: URLSearchParams,
  _req: IncomingMessage,
  res: ServerResponse,
  track: (stop: () => void) => () => void,
): Promise<void> {
  const lr = logRequestFor(pod, q);
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
