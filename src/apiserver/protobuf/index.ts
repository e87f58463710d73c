// Kubernetes protobuf (application/vnd.kubernetes.protobuf) for the embedded API server: objects
// in and out of the `k8s\0` envelope, and watch events as length-prefixed frames. The JSON form stays
// the stored one; this folder only converts at the edge.
import protobuf from 'protobufjs/minimal.js';
import type * as reflection from 'protobufjs';
import { decodeMessage, encodeMessage, planFor, type DecodeOptions } from './codec.js';
import { unwrap, wrap } from './envelope.js';
import { ProtobufDecodeError, ProtobufEncodeError } from './errors.js';
import { messageFor } from './schema.js';

export { ProtobufDecodeError, ProtobufEncodeError };
export type { DecodeOptions };

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';
export const PROTOBUF_WATCH_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf;stream=watch';

type Json = Record<string, unknown>;

/**
 * Encoded messages of stored objects (which are never mutated once stored), so a list or a watch
 * event re-encodes only what changed. A list item and the same object on its own encode alike.
 */
const messageCache = new WeakMap<object, Uint8Array>();

function typeOf(obj: Json): { apiVersion: string; kind: string; type: reflection.Type } | undefined {
  const { apiVersion, kind } = obj;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return undefined;
  const type = messageFor(apiVersion, kind);
  return type ? { apiVersion, kind, type } : undefined;
}

/** Whether an object (by its apiVersion and kind) has a protobuf form here. */
export function hasProtobuf(obj: Json): boolean {
  return typeOf(obj) !== undefined;
}

/** Whether apiVersion/kind has a protobuf form here (for negotiation before an object exists). */
export function kindHasProtobuf(apiVersion: string, kind: string): boolean {
  return messageFor(apiVersion, kind) !== undefined;
}

function objectBytes(obj: Json): { apiVersion: string; kind: string; raw: Uint8Array } {
  const t = typeOf(obj);
  if (!t) throw new ProtobufEncodeError(`no protobuf form for apiVersion ${String(obj.apiVersion)} kind ${String(obj.kind)}`);
  let raw = messageCache.get(obj);
  if (!raw) {
    raw = encodeMessage(planFor(t.type), t.kind, obj, messageCache);
    messageCache.set(obj, raw);
  }
  return { apiVersion: t.apiVersion, kind: t.kind, raw };
}

/** An object (with apiVersion and kind) as a protobuf body: prefix, envelope, message. */
export function encodeProtobuf(obj: Json): Buffer {
  const o = objectBytes(obj);
  return wrap(o.apiVersion, o.kind, o.raw);
}

/**
 * A protobuf body back to the object's JSON form, apiVersion and kind taken from the envelope.
 * Throws ProtobufDecodeError (the client's fault: answer 400) naming what is wrong.
 */
export function decodeProtobuf(body: Uint8Array, opts: DecodeOptions = {}): Json {
  const env = unwrap(body);
  const type = messageFor(env.apiVersion, env.kind);
  if (!type) {
    throw new ProtobufDecodeError(
      `the protobuf envelope names kind "${env.kind}" of apiVersion "${env.apiVersion}", which this server has no protobuf schema for; send it as JSON (Content-Type: application/json)`,
    );
  }
  return { apiVersion: env.apiVersion, kind: env.kind, ...decodeMessage(planFor(type), env.raw, env.kind, opts) };
}

/**
 * One watch event as kube streams it in protobuf: a 4-byte big-endian length, then a WatchEvent
 * { type = 1, object = 2 (RawExtension { raw = 1: the object as a full protobuf body }) }.
 */
export function encodeWatchFrame(type: string, obj: Json): Buffer {
  const inner = encodeProtobuf(obj);
  const w = protobuf.Writer.create();
  w.uint32(10).string(type).uint32(18).fork().uint32(10).bytes(inner).ldelim();
  const ev = w.finish();
  const frame = Buffer.allocUnsafe(4 + ev.length);
  frame.writeUInt32BE(ev.length, 0);
  frame.set(ev, 4);
  return frame;
}
