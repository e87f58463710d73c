// The frame every Kubernetes protobuf body travels in: the 4 bytes `k8s\0`, then a runtime.Unknown
// message { typeMeta {apiVersion, kind} = 1, raw = 2 (the object's own message), contentEncoding = 3,
// contentType = 4 }. The kind comes from the envelope, not from the object's message, which has no
// apiVersion/kind fields of its own.
import protobuf from 'protobufjs/minimal.js';
import { ProtobufDecodeError } from './errors.js';

export const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

export interface Envelope {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
}

export function wrap(apiVersion: string, kind: string, raw: Uint8Array): Buffer {
  const w = protobuf.Writer.create();
  w.uint32(10).fork().uint32(10).string(apiVersion).uint32(18).string(kind).ldelim();
  // Upstream writes the two (empty) content fields too; a reader finds the same bytes here.
  w.uint32(18).bytes(raw).uint32(26).string('').uint32(34).string('');
  const body = w.finish();
  return Buffer.concat([MAGIC, body], MAGIC.length + body.length);
}

const PREFIX_HELP =
  'a Kubernetes protobuf body starts with the 4 bytes "k8s\\0" (6b 38 73 00) followed by a runtime.Unknown envelope ' +
  'that names apiVersion and kind; send that, or send the object as JSON with Content-Type: application/json';

function bad(why: string): ProtobufDecodeError {
  return new ProtobufDecodeError(why);
}

function str(r: protobuf.Reader, end: number, what: string): string {
  const len = r.uint32();
  if (r.pos + len > end) throw bad(`the protobuf envelope is truncated: ${what} announces ${len} bytes but only ${end - r.pos} remain`);
  const s = Buffer.from(r.buf.buffer, r.buf.byteOffset + r.pos, len).toString('utf8');
  r.pos += len;
  return s;
}

/** Checks the prefix and reads the envelope of a protobuf body. */
export function unwrap(body: Uint8Array): Envelope {
  if (body.length === 0) throw bad(`the request body is empty; ${PREFIX_HELP}`);
  if (body.length < MAGIC.length || !MAGIC.equals(body.subarray(0, MAGIC.length))) {
    const head = Buffer.from(body.subarray(0, 4)).toString('hex').replace(/(..)(?!$)/g, '$1 ');
    throw bad(`the request body does not start with the protobuf prefix (found ${head}); ${PREFIX_HELP}`);
  }
  if (body.length === MAGIC.length) throw bad(`the protobuf body has the "k8s\\0" prefix but no envelope after it; ${PREFIX_HELP}`);
  const r = protobuf.Reader.create(body);
  r.pos = MAGIC.length;
  const end = body.length;
  let apiVersion = '';
  let kind = '';
  let raw: Uint8Array | undefined;
  let contentEncoding = '';
  try {
    while (r.pos < end) {
      const tag = r.uint32();
      switch (tag) {
        case 10: {
          const len = r.uint32();
          const to = r.pos + len;
          if (to > end) throw bad(`the protobuf envelope is truncated: its typeMeta announces ${len} bytes but only ${end - r.pos} remain`);
          while (r.pos < to) {
            const t = r.uint32();
            if (t === 10) apiVersion = str(r, to, 'typeMeta.apiVersion');
            else if (t === 18) kind = str(r, to, 'typeMeta.kind');
            else r.skipType(t & 7);
          }
          break;
        }
        case 18: {
          const len = r.uint32();
          if (r.pos + len > end) {
            throw bad(`the protobuf body is truncated: the object announces ${len} bytes but only ${end - r.pos} were sent`);
          }
          raw = r.buf.subarray(r.pos, r.pos + len);
          r.pos += len;
          break;
        }
        case 26:
          contentEncoding = str(r, end, 'contentEncoding');
          break;
        case 34:
          str(r, end, 'contentType');
          break;
        default: {
          const wire = tag & 7;
          if (tag >>> 3 === 0 || wire === 4 || wire > 5) throw bad(`the protobuf envelope is malformed: invalid field key ${tag} at byte ${r.pos}; ${PREFIX_HELP}`);
          r.skipType(wire);
        }
      }
    }
  } catch (err) {
    if (err instanceof ProtobufDecodeError) throw err;
    throw bad(`the protobuf envelope is truncated or malformed (${(err as Error).message}); ${PREFIX_HELP}`);
  }
  if (contentEncoding !== '') throw bad(`the protobuf envelope says contentEncoding "${contentEncoding}"; only unencoded objects are accepted`);
  if (kind === '') throw bad(`Object 'Kind' is missing in the protobuf envelope: set typeMeta.kind (and typeMeta.apiVersion)`);
  if (apiVersion === '') throw bad(`Object 'apiVersion' is missing in the protobuf envelope of kind "${kind}": set typeMeta.apiVersion`);
  if (raw === undefined) throw bad(`the protobuf envelope of kind "${kind}" carries no object (its raw field is missing: the body is truncated)`);
  return { apiVersion, kind, raw };
}
