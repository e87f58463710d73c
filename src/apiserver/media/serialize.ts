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

/** JSON of stored objects (never mutated once stored), so a list re-serializes only what changed. */
const jsonCache = new WeakMap<object, Buffer>();
const COMMA = Buffer.from(',');

function itemJson(item: unknown): Buffer {
  if (item === null || typeof item !== 'object') return Buffer.from(JSON.stringify(item) ?? 'null');
  let b = jsonCache.get(item);
  if (b === undefined) {
    b = Buffer.from(JSON.stringify(item));
    jsonCache.set(item, b);
  }
  return b;
}

/**
 * JSON.stringify, with the items of a list (the bulk of a big answer) taken from the cache and
 * joined as bytes. The same text as JSON.stringify(body) when items is the last key, as in every
 * list built here.
 */
function jsonText(body: unknown): Buffer | string {
  if (!isObject(body) || !Array.isArray(body['items'])) return JSON.stringify(body);
  const { items, ...rest } = body;
  const head = JSON.stringify(rest);
  const parts: Buffer[] = [Buffer.from(`${head.slice(0, -1)}${head.length > 2 ? ',' : ''}"items":[`)];
  (items as unknown[]).forEach((item, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(itemJson(item));
  });
  parts.push(Buffer.from(']}'));
  return Buffer.concat(parts);
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
  return { contentType, frame: (type, object) => JSON.stringify({ type, object }) + '\n' };
}
