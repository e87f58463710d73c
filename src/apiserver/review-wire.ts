// The protobuf bodies kubectl sends for its self-reviews (`auth can-i`, `auth can-i --list`,
// `auth whoami` POST `application/vnd.kubernetes.protobuf`), decoded into the JSON shape of the same
// objects. Only the few fields a review's spec has are read, by their public field numbers in
// k8s.io/api authorization/v1 and authentication/v1 generated.proto; the answer goes back as
// JSON, which kubectl accepts. Everything else in the message is skipped.
import protobuf from 'protobufjs/minimal.js';
import { badRequest } from './status.js';

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]); // "k8s\0"

/** Reads one length-delimited message with the given field decoders into a plain object. */
function message(bytes: Uint8Array, names: Record<number, string>, nested: Record<number, (b: Uint8Array) => unknown> = {}): Record<string, unknown> {
  const r = protobuf.Reader.create(bytes);
  const out: Record<string, unknown> = {};
  while (r.pos < r.len) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    const name = names[field];
    if (wire === 2 && name !== undefined) {
      const sub = nested[field];
      if (sub) out[name] = sub(r.bytes());
      else {
        const v = r.string();
        if (v !== '') out[name] = v;
      }
    } else {
      r.skipType(wire);
    }
  }
  return out;
}

const resourceAttributes = (b: Uint8Array) =>
  message(b, { 1: 'namespace', 2: 'verb', 3: 'group', 4: 'version', 5: 'resource', 6: 'subresource', 7: 'name' });
const nonResourceAttributes = (b: Uint8Array) => message(b, { 1: 'path', 2: 'verb' });
const accessSpec = (b: Uint8Array) =>
  message(b, { 1: 'resourceAttributes', 2: 'nonResourceAttributes' }, { 1: resourceAttributes, 2: nonResourceAttributes });
const rulesSpec = (b: Uint8Array) => message(b, { 1: 'namespace' });

/** Decodes a `k8s\0`-enveloped review into { apiVersion, kind, spec }. */
export function decodeReviewProtobuf(body: Buffer): Record<string, unknown> {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) {
    throw badRequest('the protobuf body does not start with the Kubernetes envelope "k8s\\x00"; send a runtime.Unknown envelope or JSON');
  }
  try {
    const unknown = message(body.subarray(4), { 1: 'typeMeta', 2: 'raw' }, { 1: (b) => message(b, { 1: 'apiVersion', 2: 'kind' }), 2: (b) => b });
    const typeMeta = (unknown['typeMeta'] ?? {}) as Record<string, string>;
    const raw = unknown['raw'] as Uint8Array | undefined;
    const obj: Record<string, unknown> = { apiVersion: typeMeta['apiVersion'], kind: typeMeta['kind'] };
    if (!raw) return obj;
    const spec = typeMeta['kind'] === 'SelfSubjectRulesReview' ? rulesSpec : accessSpec;
    const decoded = message(raw, { 2: 'spec' }, { 2: spec });
    if (typeMeta['kind'] !== 'SelfSubjectReview' && decoded['spec']) obj['spec'] = decoded['spec'];
    return obj;
  } catch (err) {
    throw badRequest(`the protobuf body could not be decoded (${(err as Error).message}); it is truncated or not a review message`);
  }
}
