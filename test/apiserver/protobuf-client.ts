// A small Kubernetes protobuf client for tests, written on protobufjs' own generated decoders and
// encoders (not on the server's codec), so a test that passes through it checks the server against
// an independent reader of the same wire format: the `k8s\0` prefix, the runtime.Unknown envelope,
// the length-prefixed watch frames.
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const PROTO_DIR = new URL('../../src/apiserver/protobuf/proto/', import.meta.url);
const FILES = ['runtime', 'resource', 'intstr', 'meta-v1', 'core-v1', 'coordination-v1', 'authorization-v1', 'authentication-v1'];

export const MAGIC = Buffer.from('k8s\0', 'latin1');
export const PROTOBUF = 'application/vnd.kubernetes.protobuf';

let root: protobuf.Root | undefined;
export function protoRoot(): protobuf.Root {
  if (!root) {
    root = new protobuf.Root();
    root.loadSync(FILES.map((f) => fileURLToPath(new URL(`${f}.proto`, PROTO_DIR))), { keepCase: true });
    root.resolveAll();
  }
  return root;
}

export const CORE = 'k8s.io.api.core.v1';
export const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';
const UNKNOWN = 'k8s.io.apimachinery.pkg.runtime.Unknown';

export interface Decoded {
  apiVersion: string;
  kind: string;
  /** protobufjs' plain-object form of the message (Time as {seconds}, Quantity as {string}, ...). */
  object: any;
}

const TO_OBJECT: protobuf.IConversionOptions = { longs: Number, bytes: Buffer as unknown as StringConstructor };

function packageFor(apiVersion: string, kind: string): string {
  if (kind === 'Status' || kind === 'DeleteOptions' || apiVersion.startsWith('meta.k8s.io/')) return META;
  if (apiVersion === 'v1') return CORE;
  const [group, version] = apiVersion.split('/');
  return `k8s.io.api.${group!.replace(/\.k8s\.io$/, '')}.${version}`;
}

/** Reads a full protobuf body: prefix, envelope, then the message the envelope names. */
export function decodeBody(body: Buffer): Decoded {
  if (!body.subarray(0, 4).equals(MAGIC)) throw new Error(`body does not start with k8s\\0: ${body.subarray(0, 16).toString('hex')}`);
  const U = protoRoot().lookupType(UNKNOWN);
  const u = U.toObject(U.decode(body.subarray(4)), TO_OBJECT) as { typeMeta: { apiVersion: string; kind: string }; raw: Buffer };
  const T = protoRoot().lookupType(`${packageFor(u.typeMeta.apiVersion, u.typeMeta.kind)}.${u.typeMeta.kind}`);
  return { apiVersion: u.typeMeta.apiVersion, kind: u.typeMeta.kind, object: T.toObject(T.decode(u.raw), TO_OBJECT) };
}

/** Builds a protobuf body the way a Go client does: every string field of the message written, empty or not. */
export function encodeBody(apiVersion: string, kind: string, object: Record<string, unknown>): Buffer {
  const T = protoRoot().lookupType(`${packageFor(apiVersion, kind)}.${kind}`);
  const raw = T.encode(T.fromObject(object)).finish();
  const U = protoRoot().lookupType(UNKNOWN);
  const env = U.encode(U.fromObject({ typeMeta: { apiVersion, kind }, raw, contentEncoding: '', contentType: '' })).finish();
  return Buffer.concat([MAGIC, env]);
}

/** Splits a protobuf watch stream into its frames and decodes each WatchEvent and its object. */
export function readFrames(buf: Buffer): { events: { type: string; object: Decoded }[]; rest: Buffer } {
  const events: { type: string; object: Decoded }[] = [];
  const W = protoRoot().lookupType(`${META}.WatchEvent`);
  let off = 0;
  while (buf.length - off >= 4) {
    const len = buf.readUInt32BE(off);
    if (buf.length - off - 4 < len) break;
    const ev = W.toObject(W.decode(buf.subarray(off + 4, off + 4 + len)), TO_OBJECT) as { type: string; object: { raw: Buffer } };
    events.push({ type: ev.type, object: decodeBody(ev.object.raw) });
    off += 4 + len;
  }
  return { events, rest: buf.subarray(off) };
}
