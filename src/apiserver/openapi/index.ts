// /openapi/v2 and /openapi/v3[/<group version>]: the schema of every served type, for kubectl's
// client-side validation, `kubectl explain`, `kubectl edit` / `apply` and generated clients.
// Answers are computed once and then served from memory with ETags (and, for v3 documents
// fetched with their hash, as immutable), as kube-apiserver serves them.
import { ApiError } from '../status.js';
import { groupVersions } from '../resources.js';
import { groupVersionKey, v2Document, v3Document, v3Index, type Document } from './documents.js';
import { encodeV2Protobuf } from './protobuf.js';
import { OpenApiUnavailableError } from './schema.js';

export { OpenApiUnavailableError } from './schema.js';
export { FIELD_FACTS, type FieldFacts } from './facts.js';
export { definitions, definitionOf, type Definitions, type Schema } from './schema.js';

export const V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';
/**
 * The spelling without '@', which clients also ask for and which is what the answer carries as its
 * Content-Type (as kube-apiserver does): Go's mime parser rejects the '@' form, so kubectl fails
 * with "mime: unexpected content after media subtype" when a server echoes it.
 */
const V2_PROTOBUF_PLAIN = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';
const V3_PROTOBUF = 'application/com.github.proto-openapi.spec.v3@v1.0+protobuf';

export interface OpenApiAnswer {
  code: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

type Format = 'json' | 'protobuf';

/** The first format in the Accept list (by q, then order) that we can produce for this document. */
function negotiate(accept: string | undefined, protobufTypes: readonly string[], canProtobuf: boolean): Format | undefined {
  const ranges = (accept ?? '')
    .split(',')
    .map((part, i) => {
      const [media, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
      const qp = params.find((p) => p.startsWith('q='));
      const q = qp ? Number(qp.slice(2)) : 1;
      return { media: media ?? '', q: Number.isFinite(q) ? q : 0, i };
    })
    .filter((r) => r.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  if (ranges.length === 0 || ranges.every((r) => r.media === '')) return 'json';
  for (const r of ranges) {
    if (protobufTypes.includes(r.media)) {
      if (canProtobuf) return 'protobuf';
      continue;
    }
    if (r.media === 'application/json' || r.media === '*/*' || r.media === 'application/*' || r.media === '') return 'json';
  }
  return undefined;
}

function notAcceptable(accept: string | undefined, path: string, offered: string[]): ApiError {
  return new ApiError(
    406,
    'NotAcceptable',
    `${path} is available as ${offered.join(' or ')}, not as ${JSON.stringify(accept ?? '')}: send one of those in the Accept header`,
  );
}

function etag(d: Document, format: Format): string {
  return `"${d.hash}${format === 'protobuf' ? '-pb' : ''}"`;
}

let v2Protobuf: Buffer | undefined;

function answer(d: Document, format: Format, ifNoneMatch: string | undefined, cache: string): OpenApiAnswer {
  const tag = etag(d, format);
  const headers: Record<string, string> = { ETag: tag, 'Cache-Control': cache, Vary: 'Accept' };
  if (ifNoneMatch && ifNoneMatch.split(',').some((t) => t.trim() === tag)) return { code: 304, headers, body: '' };
  if (format === 'protobuf') {
    v2Protobuf ??= encodeV2Protobuf(d.value);
    return { code: 200, headers: { ...headers, 'Content-Type': V2_PROTOBUF_PLAIN }, body: v2Protobuf };
  }
  return { code: 200, headers: { ...headers, 'Content-Type': 'application/json' }, body: d.json };
}

function unavailable(err: unknown): never {
  if (err instanceof OpenApiUnavailableError) throw new ApiError(503, 'ServiceUnavailable', err.message);
  throw err;
}

/**
 * Answers a GET under /openapi/. `rest` is the path after /openapi/ (`v2`, `v3`, `v3/api/v1`).
 * Throws ApiError (404 for a document or group version not served, 406, 503 when not built).
 */
export function serveOpenApi(rest: string, query: URLSearchParams, accept: string | undefined, ifNoneMatch: string | undefined): OpenApiAnswer {
  const path = `/openapi/${rest}`;
  try {
    if (rest === 'v2') {
      const format = negotiate(accept, [V2_PROTOBUF, V2_PROTOBUF_PLAIN], true);
      if (!format) throw notAcceptable(accept, path, ['application/json', V2_PROTOBUF]);
      return answer(v2Document(), format, ifNoneMatch, 'no-cache, private');
    }
    if (rest === 'v3' || rest === 'v3/') {
      if (!negotiate(accept, [], false)) throw notAcceptable(accept, path, ['application/json']);
      const body = JSON.stringify(v3Index());
      return { code: 200, headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' }, body };
    }
    if (rest.startsWith('v3/')) {
      const key = rest.slice(3);
      const d = v3Document(key);
      if (!d) {
        const served = groupVersions().map(groupVersionKey).join(', ');
        throw new ApiError(404, 'NotFound', `no OpenAPI v3 document for "${key}": this server serves only ${served} (see /openapi/v3)`);
      }
      const format = negotiate(accept, [V3_PROTOBUF], false);
      if (!format) throw notAcceptable(accept, path, ['application/json']);
      const hash = query.get('hash');
      if (hash !== null && hash !== d.hash) {
        // An old hash: send the client to the current document, as kube-apiserver does.
        return { code: 301, headers: { Location: `/openapi/v3/${key}?hash=${d.hash}`, 'Cache-Control': 'no-cache, private' }, body: '' };
      }
      return answer(d, format, ifNoneMatch, hash !== null ? 'public, immutable' : 'no-cache, private');
    }
  } catch (err) {
    unavailable(err);
  }
  throw new ApiError(404, 'NotFound', `${path} is not an OpenAPI document: this server publishes /openapi/v2 and /openapi/v3`);
}
