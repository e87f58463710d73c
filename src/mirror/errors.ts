// Every error the mirror side raises. ApiError is an answer from the API server (a Kubernetes
// Status, or whatever else came back with a non-2xx code); ConnectionError means no answer at all
// (refused, reset, TLS failure, timeout); KubeconfigError names the kubeconfig file and field.

/** A non-2xx answer, parsed from the Kubernetes `Status` body when there is one. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    /** `METHOD path` of the request, for logs. */
    readonly request: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** No HTTP answer: the server could not be reached, the TLS handshake failed, or it timed out. */
export class ConnectionError extends Error {
  constructor(
    message: string,
    readonly request: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'ConnectionError';
  }
}

export class KubeconfigError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    problem: string,
    fix: string,
  ) {
    super(`${file}: ${field ? `${field}: ` : ''}${problem} (fix: ${fix})`);
    this.name = 'KubeconfigError';
  }
}

/**
 * The API server refused an object as too large (413): sending it again cannot help until the
 * object itself changes, and the server is perfectly reachable.
 */
export class ObjectTooLargeError extends Error {
  constructor(
    /** e.g. `status of pod web-n1_default` or `mirror pod of pod web-n1_default`. */
    readonly what: string,
    readonly bytes: number,
    readonly answer: ApiError,
  ) {
    super(
      `${what} is ${bytes} bytes, over the API server's limit (${answer.code} ${answer.reason}: ${answer.message}); ` +
        'the static pod keeps running, its mirror pod is not updated until it is smaller (fix: make the manifest smaller: fewer or shorter labels, annotations, env values)',
    );
    this.name = 'ObjectTooLargeError';
  }
}

export const isTooLarge = (e: unknown): e is ApiError => e instanceof ApiError && e.code === 413;
export const isNotFound = (e: unknown): boolean => e instanceof ApiError && e.code === 404;
export const isAlreadyExists = (e: unknown): boolean => e instanceof ApiError && e.code === 409 && e.reason === 'AlreadyExists';
export const isConflict = (e: unknown): boolean => e instanceof ApiError && e.code === 409 && e.reason !== 'AlreadyExists';
/** 410 Gone / Expired: a watch's resourceVersion is too old (or too new after a server restart). */
export const isExpired = (e: unknown): boolean => e instanceof ApiError && (e.code === 410 || e.reason === 'Expired' || e.reason === 'Gone');

/** Short text for logs: `409 AlreadyExists: pods "x" already exists` or the connection problem. */
export function describeError(e: unknown): string {
  if (e instanceof ApiError) return `${e.code} ${e.reason}: ${e.message}`;
  if (e instanceof Error) return e.message;
  return String(e);
}
