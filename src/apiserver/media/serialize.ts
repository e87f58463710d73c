// Writing an answer in the negotiated media type. Handlers produce the JSON form of what to answer
// (an object, a list, a Table, a Status); this turns it into bytes: JSON as is, YAML converted from
// it, protobuf through the schema. A body with no protobuf form (a Table, a kind this server has
// no schema for) is written as JSON: negotiation already avoids that for every served resource.
import { stringify as toYaml } from 'yaml';
import { encodeProtobuf, encodeWatchFrame, hasProtobuf, PROTOBUF_MEDIA_TYPE, PROTOBUF_WATCH_MEDIA_TYPE } from '../protobuf/index.js';
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

export function yamlText(body: unknown): string {
  // No line folding: long strings (annotations, messages) stay on one line as kube writes them.
  return toYaml(body, { lineWidth: 0, minContentWidth: 0 });
}

/** `contentType` is what the JSON answer would carry (it names a Table or PartialObjectMetadata). */
export function serialize(media: Media, contentType: string, body: unknown): Wire {
  if (media === 'protobuf' && isObject(body) && hasProtobuf(body)) {
    return { contentType: retype(contentType, 'protobuf'), data: encodeProtobuf(body) };
  }
  if (media === 'yaml') return { contentType: retype(contentType, 'yaml'), data: yamlText(body) };
  return { contentType, data: JSON.stringify(body) };
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
