// The OpenAPI v2 document in protobuf, as gnostic's `openapi.v2.Document` message: what
// client-go's `OpenAPISchema()` asks for (`Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf`,
// with no JSON fallback), so kubectl 1.20 needs it for validation and `explain`. Only encoding is
// needed, of the parts our document uses; field numbers are those of gnostic's OpenAPIv2.proto.
// Vendor extensions travel as YAML text (JSON is YAML), as upstream encodes them.

import protobuf from 'protobufjs/minimal.js';

type Op = { kind: 'string'; field: number; value: string } | { kind: 'bool'; field: number } | { kind: 'message'; field: number; value: Message };

/** A message built as a tree of fields, then written in one pass (nested lengths by fork/ldelim). */
class Message {
  private readonly ops: Op[] = [];

  string(field: number, s: string | undefined): this {
    if (s !== undefined && s !== '') this.ops.push({ kind: 'string', field, value: s });
    return this;
  }

  strings(field: number, list: readonly string[] | undefined): this {
    for (const s of list ?? []) this.ops.push({ kind: 'string', field, value: s });
    return this;
  }

  bool(field: number, v: boolean | undefined): this {
    if (v) this.ops.push({ kind: 'bool', field });
    return this;
  }

  message(field: number, m: Message | undefined): this {
    if (m) this.ops.push({ kind: 'message', field, value: m });
    return this;
  }

  private write(w: protobuf.Writer): void {
    for (const op of this.ops) {
      if (op.kind === 'string') w.uint32((op.field << 3) | 2).string(op.value);
      else if (op.kind === 'bool') w.uint32(op.field << 3).bool(true);
      else {
        w.uint32((op.field << 3) | 2).fork();
        op.value.write(w);
        w.ldelim();
      }
    }
  }

  bytes(): Buffer {
    const w = protobuf.Writer.create();
    this.write(w);
    return Buffer.from(w.finish());
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** NamedAny entries for the `x-` keys of an object. */
function extensions(m: Message, field: number, o: Obj): void {
  for (const [k, v] of Object.entries(o)) {
    if (!k.startsWith('x-')) continue;
    // NamedAny { name = 1; Any value = 2 }, Any { string yaml = 2 }
    m.message(field, new Message().string(1, k).message(2, new Message().string(2, JSON.stringify(v))));
  }
}

function schema(s: Obj): Message {
  const m = new Message();
  m.string(1, s['$ref'] as string | undefined);
  m.string(2, s['format'] as string | undefined);
  m.string(4, s['description'] as string | undefined);
  m.strings(19, s['required'] as string[] | undefined);
  const ap = s['additionalProperties'];
  if (isObj(ap)) m.message(21, new Message().message(1, schema(ap)));
  if (typeof s['type'] === 'string') m.message(22, new Message().strings(1, [s['type']]));
  const items = s['items'];
  if (isObj(items)) m.message(23, new Message().message(1, schema(items)));
  const props = s['properties'];
  if (isObj(props)) {
    const p = new Message();
    for (const [name, v] of Object.entries(props)) if (isObj(v)) p.message(1, new Message().string(1, name).message(2, schema(v)));
    m.message(25, p);
  }
  extensions(m, 31, s);
  return m;
}

function parameter(p: Obj): Message {
  const param = new Message();
  if (p['in'] === 'body') {
    const b = new Message()
      .string(1, p['description'] as string)
      .string(2, p['name'] as string)
      .string(3, 'body')
      .bool(4, p['required'] as boolean);
    if (isObj(p['schema'])) b.message(5, schema(p['schema']));
    param.message(1, b);
  } else {
    const sub = new Message();
    if (p['in'] === 'path') {
      // PathParameterSubSchema
      sub.bool(1, p['required'] as boolean).string(2, 'path').string(3, p['description'] as string).string(4, p['name'] as string);
      sub.string(5, p['type'] as string).bool(19, p['uniqueItems'] as boolean);
    } else {
      // QueryParameterSubSchema
      sub.bool(1, p['required'] as boolean).string(2, 'query').string(3, p['description'] as string).string(4, p['name'] as string);
      sub.string(6, p['type'] as string).bool(20, p['uniqueItems'] as boolean);
    }
    param.message(2, new Message().message(p['in'] === 'path' ? 4 : 3, sub));
  }
  // ParametersItem { Parameter parameter = 1 }
  return new Message().message(1, param);
}

function operation(o: Obj): Message {
  const m = new Message();
  m.strings(1, o['tags'] as string[]);
  m.string(3, o['description'] as string);
  m.string(5, o['operationId'] as string);
  m.strings(6, o['produces'] as string[]);
  m.strings(7, o['consumes'] as string[]);
  for (const p of (o['parameters'] as Obj[]) ?? []) m.message(8, parameter(p));
  const responses = new Message();
  for (const [code, r] of Object.entries((o['responses'] as Obj) ?? {})) {
    if (!isObj(r)) continue;
    const resp = new Message().string(1, r['description'] as string);
    if (isObj(r['schema'])) resp.message(2, new Message().message(1, schema(r['schema'])));
    // NamedResponseValue { name = 1; ResponseValue { Response response = 1 } value = 2 }
    responses.message(1, new Message().string(1, code).message(2, new Message().message(1, resp)));
  }
  m.message(9, responses);
  m.strings(10, o['schemes'] as string[]);
  extensions(m, 13, o);
  return m;
}

const PATH_METHODS: [string, number][] = [
  ['get', 2],
  ['put', 3],
  ['post', 4],
  ['delete', 5],
  ['patch', 8],
];

/** Encodes our v2 document (the JSON value built in documents.ts) as an openapi.v2.Document. */
export function encodeV2Protobuf(doc: Obj): Buffer {
  const m = new Message();
  m.string(1, doc['swagger'] as string);
  const info = doc['info'] as Obj;
  m.message(2, new Message().string(1, info['title'] as string).string(2, info['version'] as string));
  const paths = new Message();
  for (const [path, item] of Object.entries(doc['paths'] as Obj)) {
    if (!isObj(item)) continue;
    const pi = new Message();
    for (const [method, field] of PATH_METHODS) if (isObj(item[method])) pi.message(field, operation(item[method]));
    for (const p of (item['parameters'] as Obj[]) ?? []) pi.message(9, parameter(p));
    paths.message(2, new Message().string(1, path).message(2, pi));
  }
  m.message(8, paths);
  const defs = new Message();
  for (const [name, s] of Object.entries(doc['definitions'] as Obj)) if (isObj(s)) defs.message(1, new Message().string(1, name).message(2, schema(s)));
  m.message(9, defs);
  for (const req of (doc['security'] as Obj[]) ?? []) {
    const sr = new Message();
    for (const [name, scopes] of Object.entries(req)) sr.message(1, new Message().string(1, name).message(2, new Message().strings(1, scopes as string[])));
    m.message(12, sr);
  }
  const sd = new Message();
  for (const [name, d] of Object.entries((doc['securityDefinitions'] as Obj) ?? {})) {
    if (!isObj(d)) continue;
    const key = new Message().string(1, d['type'] as string).string(2, d['name'] as string).string(3, d['in'] as string).string(4, d['description'] as string);
    // NamedSecurityDefinitionsItem { name = 1; SecurityDefinitionsItem { ApiKeySecurity api_key_security = 2 } value = 2 }
    sd.message(1, new Message().string(1, name).message(2, new Message().message(2, key)));
  }
  m.message(13, sd);
  return m.bytes();
}
