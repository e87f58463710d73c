// JSON <-> protobuf for one message type, driven by the schema: the JSON form of an object is what
// the API server stores and serves, the protobuf form is what client-go and kubectl may send and ask
// for. Each message type is compiled once into a plan (field numbers, wire types, nested plans), and
// the few Kubernetes types whose JSON and protobuf forms differ are converted here:
//   Time        RFC3339 seconds   <-> {seconds}         (upstream drops nanos on the wire too)
//   MicroTime   RFC3339 micros    <-> {seconds, nanos}  (nanos truncated to microseconds)
//   Quantity    "100m"            <-> {string}
//   IntOrString 8080 | "http"     <-> {type, intVal | strVal}
//   FieldsV1    {...}             <-> {Raw: JSON bytes}
//   inline      Go embedded structs (Volume's VolumeSource, Probe's handler, ...) are flattened in JSON
// Presence is kept both ways: a field absent from the JSON is not written, and only fields on the
// wire come back, so a stored object round-trips exactly.
import protobuf from 'protobufjs/minimal.js';
import type * as reflection from 'protobufjs';
import { ProtobufDecodeError, ProtobufEncodeError } from './errors.js';
import { protobufjs } from './schema.js';

type Json = Record<string, unknown>;

type Kind =
  | 'string'
  | 'int32'
  | 'int64'
  | 'bool'
  | 'bytes'
  | 'message'
  | 'time'
  | 'microtime'
  | 'quantity'
  | 'intorstring'
  | 'fieldsv1'
  | 'raw';

interface ValuePlan {
  kind: Kind;
  /** For kind 'message'. */
  plan?: MessagePlan;
}

interface FieldPlan extends ValuePlan {
  name: string;
  id: number;
  /** The key (field number and wire type) written before each value. */
  tag: number;
  repeated: boolean;
  inline: boolean;
  /** For map fields: the value (keys are always strings here). */
  mapValue?: ValuePlan;
}

export interface MessagePlan {
  name: string;
  fields: FieldPlan[];
  byId: Map<number, FieldPlan>;
}

const META = '.k8s.io.apimachinery.pkg.apis.meta.v1.';
const SPECIAL: Record<string, Kind> = {
  [`${META}Time`]: 'time',
  [`${META}MicroTime`]: 'microtime',
  [`${META}FieldsV1`]: 'fieldsv1',
  '.k8s.io.apimachinery.pkg.api.resource.Quantity': 'quantity',
  '.k8s.io.apimachinery.pkg.util.intstr.IntOrString': 'intorstring',
  '.k8s.io.apimachinery.pkg.runtime.RawExtension': 'raw',
};
const SCALARS = new Set<Kind>(['string', 'int32', 'int64', 'bool', 'bytes']);
const VARINT = new Set<Kind>(['int32', 'int64', 'bool']);

const plans = new Map<string, MessagePlan>();

function valuePlan(type: string, resolved: reflection.ReflectionObject | null, where: string): ValuePlan {
  if (resolved instanceof protobufjs().Type) {
    const special = SPECIAL[resolved.fullName];
    return special ? { kind: special } : { kind: 'message', plan: planFor(resolved) };
  }
  if (SCALARS.has(type as Kind)) return { kind: type as Kind };
  throw new Error(`${where}: protobuf type ${type} is not one the Kubernetes schema uses`);
}

/** The compiled plan of a message type (cached; recursive types share their plan). */
export function planFor(type: reflection.Type): MessagePlan {
  let p = plans.get(type.fullName);
  if (p) return p;
  p = { name: type.fullName.slice(1), fields: [], byId: new Map() };
  plans.set(type.fullName, p);
  for (const f of [...type.fieldsArray].sort((a, b) => a.id - b.id)) {
    const where = `${p.name}.${f.name}`;
    const fp: FieldPlan = {
      name: f.name,
      id: f.id,
      tag: 0,
      repeated: f.repeated,
      inline: f.options?.['(inline)'] === true,
      kind: 'message',
    };
    if (f instanceof protobufjs().MapField) {
      if (f.keyType !== 'string') throw new Error(`${where}: map keys of type ${f.keyType} are not used by Kubernetes`);
      fp.mapValue = valuePlan(f.type, f.resolvedType, where);
    } else {
      Object.assign(fp, valuePlan(f.type, f.resolvedType, where));
    }
    fp.tag = (f.id << 3) | (fp.mapValue === undefined && VARINT.has(fp.kind) ? 0 : 2);
    p.fields.push(fp);
    p.byId.set(f.id, fp);
  }
  return p;
}

// ---- JSON -> protobuf --------------------------------------------------------------------------

/**
 * Where a value is, for error messages. Encoding runs without paths (undefined: no string building
 * per field on the hot path); only when it fails is the object encoded again with them, to name
 * the field.
 */
type Path = string | undefined;
const sub = (p: Path, s: string): Path => (p === undefined ? undefined : p + s);

function wrongType(path: Path, want: string, v: unknown): ProtobufEncodeError {
  return new ProtobufEncodeError(`${path ?? '?'}: expected ${want}, found ${JSON.stringify(v)?.slice(0, 80) ?? String(v)}`);
}

const RFC3339 = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/i;

function parseTime(path: Path, v: unknown): { seconds: number; nanos: number } {
  const m = typeof v === 'string' ? RFC3339.exec(v) : null;
  const ms = m ? Date.parse(`${m[1]}${m[3]}`) : NaN;
  if (!m || Number.isNaN(ms)) throw wrongType(path, 'an RFC3339 time such as "2024-05-01T12:00:00Z"', v);
  return { seconds: Math.floor(ms / 1000), nanos: Number(((m[2] ?? '') + '000000000').slice(0, 9)) };
}

function writeInt(w: protobuf.Writer, kind: Kind, path: Path, v: unknown): void {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw wrongType(path, 'an integer', v);
  if (kind === 'int32') w.int32(v);
  else w.int64(v);
}

/** Writes one value whose key has already been written. */
function writeValue(w: protobuf.Writer, vp: ValuePlan, path: Path, v: unknown): void {
  switch (vp.kind) {
    case 'string':
      if (typeof v !== 'string') throw wrongType(path, 'a string', v);
      w.string(v);
      return;
    case 'int32':
    case 'int64':
      writeInt(w, vp.kind, path, v);
      return;
    case 'bool':
      if (typeof v !== 'boolean') throw wrongType(path, 'true or false', v);
      w.bool(v);
      return;
    case 'bytes':
      if (typeof v !== 'string') throw wrongType(path, 'base64 data', v);
      w.bytes(Buffer.from(v, 'base64'));
      return;
    case 'message':
      w.fork();
      writeMessage(w, vp.plan!, path, v);
      w.ldelim();
      return;
    case 'time': {
      // Upstream writes an unset (zero) Time as an empty message and only ever the seconds.
      const t = parseTime(path, v);
      w.fork().uint32(8).int64(t.seconds).ldelim();
      return;
    }
    case 'microtime': {
      const t = parseTime(path, v);
      w.fork().uint32(8).int64(t.seconds);
      const nanos = t.nanos - (t.nanos % 1000);
      if (nanos !== 0) w.uint32(16).int32(nanos);
      w.ldelim();
      return;
    }
    case 'quantity':
      // A quantity may be written as a bare number in JSON/YAML; on the wire it is always its string.
      if (typeof v !== 'string' && typeof v !== 'number') throw wrongType(path, 'a quantity such as "100m" or "1Gi"', v);
      w.fork().uint32(10).string(String(v)).ldelim();
      return;
    case 'intorstring':
      if (typeof v === 'number' && Number.isInteger(v)) w.fork().uint32(8).int64(0).uint32(16).int32(v).ldelim();
      else if (typeof v === 'string') w.fork().uint32(8).int64(1).uint32(26).string(v).ldelim();
      else throw wrongType(path, 'an integer or a string', v);
      return;
    case 'fieldsv1':
    case 'raw':
      w.fork().uint32(10).bytes(Buffer.from(JSON.stringify(v))).ldelim();
      return;
  }
}

/**
 * Writes the fields of `obj` as message `plan` (without its own key and length). `cache`, when
 * given, holds the already encoded `items` of a list (stored objects, which never change).
 */
function writeMessage(w: protobuf.Writer, plan: MessagePlan, path: Path, obj: unknown, cache?: WeakMap<object, Uint8Array>): void {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw wrongType(path, 'an object', obj);
  const o = obj as Json;
  for (const f of plan.fields) {
    if (f.inline) {
      w.uint32(f.tag).fork();
      writeMessage(w, f.plan!, path, o);
      w.ldelim();
      continue;
    }
    const v = o[f.name];
    if (v === undefined || v === null) continue;
    const fpath = sub(path, `.${f.name}`);
    if (f.mapValue) {
      if (typeof v !== 'object' || Array.isArray(v)) throw wrongType(fpath, 'an object (a map)', v);
      for (const [k, val] of Object.entries(v as Json)) {
        w.uint32(f.tag).fork().uint32(10).string(k);
        if (val !== null && val !== undefined) {
          w.uint32(f.mapValue.kind !== 'message' && VARINT.has(f.mapValue.kind) ? 16 : 18);
          writeValue(w, f.mapValue, sub(fpath, `.${k}`), val);
        }
        w.ldelim();
      }
    } else if (f.repeated) {
      if (!Array.isArray(v)) throw wrongType(fpath, 'a list', v);
      const cached = cache && f.name === 'items' && f.kind === 'message' ? cache : undefined;
      for (let i = 0; i < v.length; i++) {
        const el: unknown = v[i];
        if (el === null || el === undefined) continue;
        w.uint32(f.tag);
        if (cached && typeof el === 'object') {
          let bytes = cached.get(el);
          if (!bytes) {
            bytes = encodeMessage(f.plan!, sub(fpath, `[${i}]`) ?? '', el);
            cached.set(el, bytes);
          }
          w.bytes(bytes);
        } else {
          writeValue(w, f, sub(fpath, `[${i}]`), el);
        }
      }
    } else {
      w.uint32(f.tag);
      writeValue(w, f, fpath, v);
    }
  }
}

/** The bytes of one message (no key, no length prefix). */
export function encodeMessage(plan: MessagePlan, path: string, obj: unknown, cache?: WeakMap<object, Uint8Array>): Uint8Array {
  try {
    const w = protobuf.Writer.create();
    writeMessage(w, plan, undefined, obj, cache);
    return w.finish();
  } catch (err) {
    if (!(err instanceof ProtobufEncodeError)) throw err;
    // Again, slowly, to say which field does not fit.
    writeMessage(protobuf.Writer.create(), plan, path, obj);
    throw err;
  }
}

// ---- protobuf -> JSON --------------------------------------------------------------------------

export interface DecodeOptions {
  /**
   * Leave out singular string fields that are empty. Go clients write every non-pointer string,
   * empty or not, and to Go an empty string is the same as none; a request body decoded with this
   * reads as the same JSON the client would have sent.
   */
  dropEmptyStrings?: boolean;
}

function malformed(path: string, why: string): ProtobufDecodeError {
  return new ProtobufDecodeError(`${path}: ${why}`);
}

/** An int64 as a JS number (protobufjs hands out a Long when the long package is installed). */
function toNumber(v: number | protobuf.Long): number {
  return typeof v === 'number' ? v : v.high * 4294967296 + (v.low >>> 0);
}

/** Reads a length prefix and checks the bytes it announces are there. Returns the end offset. */
function span(r: protobuf.Reader, end: number, path: string): number {
  const len = r.uint32();
  const to = r.pos + len;
  if (to > end) throw malformed(path, `the field announces ${len} bytes but only ${end - r.pos} remain (the body is truncated)`);
  return to;
}

function readSeconds(r: protobuf.Reader, end: number, path: string): { seconds: number; nanos: number; empty: boolean } {
  let seconds = 0;
  let nanos = 0;
  const empty = r.pos === end;
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag === 8) seconds = toNumber(r.int64());
    else if (tag === 16) nanos = r.int32();
    else r.skipType(tag & 7);
  }
  if (r.pos !== end) throw malformed(path, 'a time value runs past its end');
  return { seconds, nanos, empty };
}

function isoSeconds(seconds: number, path: string): string {
  const d = new Date(seconds * 1000);
  if (Number.isNaN(d.getTime())) throw malformed(path, `time ${seconds} seconds is out of range`);
  return d.toISOString().slice(0, 19);
}

/** Reads one length-delimited value of a special or message kind; undefined means "unset". */
function readDelimited(r: protobuf.Reader, vp: ValuePlan, end: number, path: string, opts: DecodeOptions): unknown {
  const to = span(r, end, path);
  switch (vp.kind) {
    case 'message': {
      const out: Json = {};
      readMessage(r, vp.plan!, to, path, opts, out);
      return out;
    }
    case 'time': {
      const t = readSeconds(r, to, path);
      return t.empty ? undefined : `${isoSeconds(t.seconds, path)}Z`;
    }
    case 'microtime': {
      const t = readSeconds(r, to, path);
      if (t.empty) return undefined;
      const micros = String(Math.floor(t.nanos / 1000)).padStart(6, '0');
      return `${isoSeconds(t.seconds, path)}.${micros}Z`;
    }
    case 'quantity': {
      let s = '0';
      while (r.pos < to) {
        const tag = r.uint32();
        if (tag === 10) s = readString(r, to, path);
        else r.skipType(tag & 7);
      }
      return s;
    }
    case 'intorstring': {
      let type = 0;
      let intVal = 0;
      let strVal = '';
      while (r.pos < to) {
        const tag = r.uint32();
        if (tag === 8) type = toNumber(r.int64());
        else if (tag === 16) intVal = r.int32();
        else if (tag === 26) strVal = readString(r, to, path);
        else r.skipType(tag & 7);
      }
      return type === 1 ? strVal : intVal;
    }
    case 'fieldsv1':
    case 'raw': {
      let raw: Uint8Array | undefined;
      while (r.pos < to) {
        const tag = r.uint32();
        if (tag === 10) {
          const e = span(r, to, path);
          raw = r.buf.subarray(r.pos, e);
          r.pos = e;
        } else r.skipType(tag & 7);
      }
      if (!raw || raw.length === 0) return undefined;
      try {
        return JSON.parse(Buffer.from(raw.buffer, raw.byteOffset, raw.length).toString('utf8'));
      } catch {
        throw malformed(path, 'the embedded JSON is not valid');
      }
    }
    default:
      throw malformed(path, `internal: ${vp.kind} is not length-delimited`);
  }
}

function readString(r: protobuf.Reader, end: number, path: string): string {
  const to = span(r, end, path);
  const s = Buffer.from(r.buf.buffer, r.buf.byteOffset + r.pos, to - r.pos).toString('utf8');
  r.pos = to;
  return s;
}

function readScalar(r: protobuf.Reader, kind: Kind, end: number, path: string): unknown {
  switch (kind) {
    case 'string':
      return readString(r, end, path);
    case 'int32':
      return r.int32();
    case 'int64':
      return toNumber(r.int64());
    case 'bool':
      return r.bool();
    case 'bytes': {
      const to = span(r, end, path);
      const b = Buffer.from(r.buf.buffer, r.buf.byteOffset + r.pos, to - r.pos).toString('base64');
      r.pos = to;
      return b;
    }
    default:
      throw malformed(path, `internal: ${kind} is not a scalar`);
  }
}

function readValue(r: protobuf.Reader, vp: ValuePlan, end: number, path: string, opts: DecodeOptions): unknown {
  return SCALARS.has(vp.kind) ? readScalar(r, vp.kind, end, path) : readDelimited(r, vp, end, path, opts);
}

function readMapEntry(r: protobuf.Reader, f: FieldPlan, end: number, path: string, opts: DecodeOptions, into: Json): void {
  const to = span(r, end, path);
  let key = '';
  let value: unknown;
  while (r.pos < to) {
    const tag = r.uint32();
    if (tag === 10) key = readString(r, to, path);
    else if (tag >>> 3 === 2) value = readValue(r, f.mapValue!, to, `${path}.${key}`, opts);
    else r.skipType(tag & 7);
  }
  if (r.pos !== to) throw malformed(path, 'a map entry runs past its end');
  if (value === undefined) value = f.mapValue!.kind === 'string' ? '' : f.mapValue!.kind === 'message' ? {} : value;
  into[key] = value;
}

/** Reads the fields of message `plan` from r.pos up to `end` into `out`. */
function readMessage(r: protobuf.Reader, plan: MessagePlan, end: number, path: string, opts: DecodeOptions, out: Json): void {
  while (r.pos < end) {
    const tag = r.uint32();
    const id = tag >>> 3;
    const wire = tag & 7;
    const f = plan.byId.get(id);
    if (!f) {
      // Fields newer than this schema are skipped, as every protobuf reader does.
      if (wire === 4 || wire > 5 || id === 0) throw malformed(path, `invalid field key ${tag} at byte ${r.pos}`);
      r.skipType(wire);
      continue;
    }
    const fpath = `${path}.${f.name}`;
    if (f.mapValue) {
      if (wire !== 2) throw malformed(fpath, `wire type ${wire} where a map entry (2) belongs`);
      const m = (out[f.name] ??= {}) as Json;
      readMapEntry(r, f, end, fpath, opts, m);
      continue;
    }
    const varint = VARINT.has(f.kind);
    if (f.repeated && varint && wire === 2) {
      // A packed list of numbers: one length, then the values.
      const to = span(r, end, fpath);
      const list = (out[f.name] ??= []) as unknown[];
      while (r.pos < to) list.push(readScalar(r, f.kind, to, fpath));
      continue;
    }
    if (wire !== (varint ? 0 : 2)) throw malformed(fpath, `wire type ${wire} where ${varint ? 'a number (0)' : 'length-delimited data (2)'} belongs`);
    if (f.inline) {
      const to = span(r, end, fpath);
      readMessage(r, f.plan!, to, path, opts, out);
      continue;
    }
    const v = readValue(r, f, end, fpath, opts);
    if (f.repeated) {
      if (v !== undefined) ((out[f.name] ??= []) as unknown[]).push(v);
    } else if (v !== undefined && !(opts.dropEmptyStrings && v === '' && f.kind === 'string')) {
      out[f.name] = v;
    }
  }
  if (r.pos !== end) throw malformed(path, 'a message runs past its end');
}

/** Decodes the bytes of one message into its JSON form. */
export function decodeMessage(plan: MessagePlan, bytes: Uint8Array, path: string, opts: DecodeOptions = {}): Json {
  const r = protobuf.Reader.create(bytes);
  const out: Json = {};
  try {
    readMessage(r, plan, bytes.length, path, opts, out);
  } catch (err) {
    if (err instanceof ProtobufDecodeError) throw err;
    // protobufjs' own bounds checks (a varint or string cut short).
    throw malformed(path, `the data is truncated or not protobuf (${(err as Error).message})`);
  }
  return out;
}
