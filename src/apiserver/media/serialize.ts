// Writing an answer in the negotiated media type. Handlers produce the JSON form of what to answer
// (an object, a list, a Table, a Status); this turns it into bytes: JSON as is, YAML converted from
// it, protobuf through the schema. A body with no protobuf form (a Table, a kind this server has
// no schema for, an object whose fields do not fit its schema) is written as JSON: negotiation
// already avoids the first two for every served resource.
import { stringify as toYaml } from 'yaml';
import { encodeProtobuf, encodeWatchFrame, hasProtobuf, ProtobufEncodeError, PROTOBUF_MEDIA_TYPE, PROTOBUF_WATCH_MEDIA_TYPE } from '../protobuf/index.js';
import { JSON_MEDIA_TYPE, YAML_MEDIA_TYPE, type Media } from './negotiate.js';

export interface Wire {
  contentType: string;
  data: Buffer | string;
}

const TYPE_OF: Record<Media, string> = { json: JSON_MEDIA_TYPE, yaml: YAML_MEDIA_TYPE, protobuf: PROTOBUF_MEDIA_TYPE };

/** `application/json;as=Table;...` as the same answer in another media type. */
function retype(contentType: string, media: Media): string {
  return contentType.startsWith(JSON_MEDIA_TYPE) ? TYPE_OF[media] + contentType.slice(JSON_MEDIA_TYPE.length) : contentType;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * JSON of stored objects (never mutated once stored, their metadata neither), so a list or a Table
 * re-serializes only what changed. Keyed by identity: an object and the same object inside a list
 * serialize alike.
 */
const jsonCache = new WeakMap<object, Buffer>();
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from('}');

function isPartialMetadata(v: Record<string, unknown>): boolean {
  const keys = Object.keys(v);
  return keys.length === 3 && keys[0] === 'kind' && keys[1] === 'apiVersion' && keys[2] === 'metadata' && v['kind'] === 'PartialObjectMetadata';
}

/** JSON.stringify(v) as bytes, from the cache for objects; PartialObjectMetadata (made per request) around its cached metadata. */
function objectJson(v: unknown): Buffer {
  if (v === null || typeof v !== 'object') return Buffer.from(JSON.stringify(v) ?? 'null');
  const cached = jsonCache.get(v);
  if (cached !== undefined) return cached;
  if (isObject(v) && isPartialMetadata(v)) {
    const head = Buffer.from(`{"kind":"PartialObjectMetadata","apiVersion":${JSON.stringify(v['apiVersion'])},"metadata":`);
    return Buffer.concat([head, objectJson(v['metadata']), CLOSE]);
  }
  const b = Buffer.from(JSON.stringify(v));
  jsonCache.set(v, b);
  return b;
}

/** A Table row: its cells are made per request (they hold ages), its object comes from the cache. */
function rowJson(row: unknown): Buffer {
  if (!isObject(row) || row['object'] === undefined) return Buffer.from(JSON.stringify(row) ?? 'null');
  const parts: Buffer[] = [];
  let text = '{';
  for (const [k, v] of Object.entries(row)) {
    if (v === undefined) continue;
    text += `${text.length > 1 ? ',' : ''}${JSON.stringify(k)}:`;
    if (k !== 'object') {
      text += JSON.stringify(v);
      continue;
    }
    parts.push(Buffer.from(text), objectJson(v));
    text = '';
  }
  parts.push(Buffer.from(text + '}'));
  return Buffer.concat(parts);
}

/**
 * JSON.stringify, with the bulk of a big answer (the items of a list, the rows of a Table) joined
 * as bytes from the cache. The same text as JSON.stringify(body): the array is the last key of
 * every list and Table built here; any other body is stringified whole.
 */
function jsonText(body: unknown): Buffer | string {
  if (!isObject(body)) return JSON.stringify(body);
  const keys = Object.keys(body);
  const last = keys[keys.length - 1] ?? '';
  const array = body[last];
  const bulk = last === 'items' ? objectJson : last === 'rows' && body['kind'] === 'Table' ? rowJson : undefined;
  if (!bulk || !Array.isArray(array)) return JSON.stringify(body);
  const rest: Record<string, unknown> = {};
  for (const k of keys.slice(0, -1)) rest[k] = body[k];
  const head = JSON.stringify(rest);
  const parts: Buffer[] = [Buffer.from(`${head.slice(0, -1)}${head.length > 2 ? ',' : ''}${JSON.stringify(last)}:[`)];
  for (let i = 0; i < array.length; i++) {
    if (i > 0) parts.push(COMMA);
    parts.push(bulk(array[i]));
  }
  parts.push(Buffer.from(']}'));
  return Buffer.concat(parts);
}

/**
 * The last watch frame made: a change reaches every watcher in one synchronous loop, so they all
 * share one serialization. One entry only: caching every watched object would keep the JSON of the
 * whole history ring alive.
 */
let lastFrame: { type: string; object: unknown; data: Buffer } | undefined;

function jsonFrame(type: string, object: unknown): Buffer {
  const last = lastFrame;
  if (last && last.object === object && last.type === type && object !== null && typeof object === 'object') return last.data;
  const data = Buffer.from(JSON.stringify({ type, object }) + '\n');
  lastFrame = { type, object, data };
  return data;
}

function yamlText(body: unknown): string {
  // No line folding: long strings (annotations, messages) stay on one line as kube writes them.
  return toYaml(body, { lineWidth: 0, minContentWidth: 0 });
}

/** `contentType` is what the JSON answer would carry (it names a Table or PartialObjectMetadata). */
export function serialize(media: Media, contentType: string, body: unknown): Wire {
  if (media === 'protobuf' && isObject(body) && hasProtobuf(body)) {
    try {
      return { contentType: retype(contentType, 'protobuf'), data: encodeProtobuf(body) };
    } catch (err) {
      // A stored object with a field of the wrong JSON type has no protobuf form: answer JSON, which
      // client-go reads too (it decodes by the answer's Content-Type), rather than fail the request.
      if (!(err instanceof ProtobufEncodeError)) throw err;
    }
  }
  if (media === 'yaml') return { contentType: retype(contentType, 'yaml'), data: yamlText(body) };
  return { contentType, data: jsonText(body) };
}

export interface WatchFramer {
  contentType: string;
  frame(type: string, object: unknown): Buffer | string;
}

/** How each event of a watch is written: one JSON document per line, or length-prefixed protobuf frames. */
export function watchFramer(media: Media, contentType: string): WatchFramer {
  if (media === 'protobuf') {
    return {
      contentType: PROTOBUF_WATCH_MEDIA_TYPE,
      frame: (type, object) => encodeWatchFrame(type, object as Record<string, unknown>),
    };
  }
  return { contentType, frame: jsonFrame };
}
