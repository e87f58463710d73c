// Content negotiation as kube-apiserver does it: the Accept header's media ranges are tried in order
// of their q-value (more specific first on a tie), and the first one this server can produce wins.
// What it can produce: JSON, YAML and Kubernetes protobuf, each for plain objects and lists or for
// PartialObjectMetadata; a Table only as JSON or YAML (kube has no protobuf Table); a watch only
// as JSON or protobuf (YAML has no stream framing). No header, `*/*` and `application/*` mean JSON.
// Nothing acceptable is a 406 that lists what is.
import type { Output } from '../output.js';
import { PROTOBUF_MEDIA_TYPE } from '../protobuf/index.js';
import { ApiError } from '../status.js';

export type Media = 'json' | 'yaml' | 'protobuf';

export interface Negotiated {
  media: Media;
  /** The shape of the answer: the object itself, a Table or PartialObjectMetadata. */
  output: Output;
}

export const JSON_MEDIA_TYPE = 'application/json';
export const YAML_MEDIA_TYPE = 'application/yaml';
export const SERVED_MEDIA_TYPES = [JSON_MEDIA_TYPE, YAML_MEDIA_TYPE, PROTOBUF_MEDIA_TYPE];

interface Range {
  type: string;
  subtype: string;
  params: Record<string, string>;
  q: number;
  order: number;
}

function parseAccept(header: string): Range[] {
  const out: Range[] = [];
  header.split(',').forEach((part, order) => {
    const [media = '', ...rest] = part.split(';').map((s) => s.trim());
    if (media === '') return;
    const slash = media.indexOf('/');
    const type = (slash < 0 ? media : media.slice(0, slash)).toLowerCase();
    const subtype = (slash < 0 ? '*' : media.slice(slash + 1)).toLowerCase();
    const params: Record<string, string> = {};
    let q = 1;
    for (const kv of rest) {
      const eq = kv.indexOf('=');
      if (eq <= 0) continue;
      const k = kv.slice(0, eq).trim().toLowerCase();
      const v = kv.slice(eq + 1).trim().replace(/^"|"$/g, '');
      if (k === 'q') q = Number.isFinite(Number(v)) ? Number(v) : 0;
      else params[k] = v;
    }
    out.push({ type, subtype, params, q, order });
  });
  // Highest q first; on a tie the more specific range first, then the order the client wrote.
  const specificity = (r: Range) => (r.type === '*' ? 0 : r.subtype === '*' ? 1 : 2);
  return out.filter((r) => r.q > 0).sort((a, b) => b.q - a.q || specificity(b) - specificity(a) || a.order - b.order);
}

function mediaOf(r: Range): Media | undefined {
  if (r.type === '*' || (r.type === 'application' && r.subtype === '*')) return 'json';
  if (r.type !== 'application') return undefined;
  switch (r.subtype) {
    case 'json':
      return 'json';
    case 'yaml':
      return 'yaml';
    case 'vnd.kubernetes.protobuf':
      return 'protobuf';
    default:
      return undefined;
  }
}

export interface NegotiateOptions {
  /** The value of the includeObject query parameter (for Tables). */
  includeObject: string | null;
  watch: boolean;
  /**
   * Whether the resource's objects have a protobuf form. A function, asked only when the client
   * accepts protobuf: answering loads the protobuf schema, which a JSON-only node never needs.
   */
  protobuf: () => boolean;
}

/** The shape asked for by a range's `as`/`g`/`v` parameters; null when this server cannot make it. */
function shapeOf(r: Range, media: Media, o: NegotiateOptions): Output | null {
  const as = r.params['as'];
  if (!as) return { kind: 'json' };
  const v = r.params['v'];
  if (r.params['g'] !== 'meta.k8s.io' || (v !== 'v1' && v !== 'v1beta1')) return null;
  const apiVersion = `meta.k8s.io/${v}`;
  const contentType = `${media === 'yaml' ? YAML_MEDIA_TYPE : media === 'protobuf' ? PROTOBUF_MEDIA_TYPE : JSON_MEDIA_TYPE};as=${as};v=${v};g=meta.k8s.io`;
  if (as === 'Table') {
    if (media === 'protobuf') return null;
    const io = o.includeObject === 'None' || o.includeObject === 'Object' ? o.includeObject : 'Metadata';
    return { kind: 'table', apiVersion, contentType, includeObject: io };
  }
  if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return { kind: 'partial', apiVersion, contentType };
  return null;
}

export function notAcceptable(): ApiError {
  return new ApiError(
    406,
    'NotAcceptable',
    `only the following media types are accepted: ${SERVED_MEDIA_TYPES.join(', ')} ` +
      `(a Table only as ${JSON_MEDIA_TYPE} or ${YAML_MEDIA_TYPE}, a watch only as ${JSON_MEDIA_TYPE} or ${PROTOBUF_MEDIA_TYPE})`,
  );
}

/** The media type and shape of the answer, or a 406 ApiError when the client accepts nothing we make. */
export function negotiate(accept: string | undefined, o: NegotiateOptions): Negotiated {
  if (accept === undefined || accept.trim() === '') return { media: 'json', output: { kind: 'json' } };
  for (const r of parseAccept(accept)) {
    const media = mediaOf(r);
    if (!media) continue;
    if (media === 'protobuf' && !o.protobuf()) continue;
    if (media === 'yaml' && o.watch) continue;
    const output = shapeOf(r, media, o);
    if (output) return { media, output };
  }
  throw notAcceptable();
}

/** The media type to write an error in: the client's preferred one we can make, else JSON. */
export function errorMedia(accept: string | undefined): Media {
  if (accept === undefined) return 'json';
  for (const r of parseAccept(accept)) {
    const media = mediaOf(r);
    if (media) return media;
  }
  return 'json';
}
