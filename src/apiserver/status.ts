// Kubernetes `Status` error bodies. Every failure the API server answers is an ApiError, turned into
// the same JSON a real kube-apiserver sends, so kubectl and client libraries print their usual
// `Error from server (NotFound): pods "x" not found` and branch on `reason` / `code`.
import type { Status, StatusCause, StatusDetails } from 'kubernetes-types/meta/v1';

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toStatus(): Status {
    const status: Status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) status.details = this.details;
    return status;
  }
}

/** What a Status names: `pods`, or `leases` plus group `coordination.k8s.io`. */
export interface ResourceName {
  plural: string;
  group: string;
}

/** `pods` or `leases.coordination.k8s.io`, as kube writes a resource in messages. */
export function qualified(r: ResourceName): string {
  return r.group ? `${r.plural}.${r.group}` : r.plural;
}

function details(r: ResourceName, name: string, extra: Partial<StatusDetails> = {}): StatusDetails {
  const d: StatusDetails = { name, kind: r.plural, ...extra };
  if (r.group) d.group = r.group;
  return d;
}

export function notFound(r: ResourceName, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualified(r)} "${name}" not found`, details(r, name));
}

export function alreadyExists(r: ResourceName, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${qualified(r)} "${name}" already exists`, details(r, name));
}

export function conflict(r: ResourceName, name: string, why: string): ApiError {
  return new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(r)} "${name}": ${why}`, details(r, name));
}

export const STALE_RESOURCE_VERSION =
  'the object has been modified; please apply your changes to the latest version and try again';

export function forbidden(r: ResourceName, name: string, why: string): ApiError {
  const what = name ? `${qualified(r)} "${name}"` : qualified(r);
  return new ApiError(403, 'Forbidden', `${what} is forbidden: ${why}`, details(r, name));
}

/** 422: the object itself is wrong. `kind` is the object kind (Pod), as kube words it. */
export function invalid(kind: string, r: ResourceName, name: string, causes: FieldError[]): ApiError {
  const list = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
  const statusCauses: StatusCause[] = causes.map((c) => ({ reason: c.reason, message: c.message, field: c.field }));
  return new ApiError(422, 'Invalid', `${kind} "${name}" is invalid: ${list}`, {
    ...details(r, name),
    kind,
    causes: statusCauses,
  });
}

export interface FieldError {
  field: string;
  /** FieldValueRequired, FieldValueInvalid, FieldValueDuplicate, FieldValueNotSupported */
  reason: string;
  message: string;
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

export function unauthorized(): ApiError {
  return new ApiError(401, 'Unauthorized', 'Unauthorized');
}

export function methodNotAllowed(method: string, path: string): ApiError {
  return new ApiError(
    405,
    'MethodNotAllowed',
    `the server does not allow this method on the requested resource (${method} ${path})`,
  );
}

export function notFoundPath(path: string): ApiError {
  return new ApiError(404, 'NotFound', `the server could not find the requested resource (${path})`, {});
}

export function tooLarge(limit: number): ApiError {
  return new ApiError(413, 'RequestEntityTooLarge', `the request body is too large: the limit is ${limit} bytes`);
}

export function unsupportedMediaType(contentType: string, supported: string[]): ApiError {
  return new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${supported.join(', ')} (got "${contentType}")`,
  );
}

export function expired(message: string): ApiError {
  return new ApiError(410, 'Expired', message);
}

export function internalError(message: string): ApiError {
  return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`);
}
