// The OpenAPI documents: one v2 (Swagger 2.0) document for the whole server, and one v3 document
// per served group version plus the v3 index that names them with a content hash, as
// kube-apiserver publishes them. Built once from the generated definitions and the resource
// table, then kept (the served types do not change while the server runs).
import { createHash } from 'node:crypto';
import { groupVersions, type GroupVersion } from '../resources.js';
import { VERSION_INFO } from '../discovery.js';
import { resourcePaths, type Operation, type Parameter, type PathItem } from './paths.js';
import { V3_ONE_OF } from './facts.js';
import { closure, definitions, withRefs, type Definitions, type Schema } from './schema.js';

export interface Document {
  json: string;
  /** Upper-case hex SHA-512 of `json`, as kube-apiserver's v3 hashes and ETags. */
  hash: string;
  value: Record<string, unknown>;
}

function document(value: Record<string, unknown>): Document {
  const json = JSON.stringify(value);
  return { json, value, hash: createHash('sha512').update(json).digest('hex').toUpperCase() };
}

const INFO = { title: 'Kubernetes', version: `v${VERSION_INFO.major}.${VERSION_INFO.minor}.0` };
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** `api/v1`, `apis/coordination.k8s.io/v1`: the v3 index key (and URL suffix) of a group version. */
export function groupVersionKey(gv: { group: string; version: string }): string {
  return gv.group === '' ? `api/${gv.version}` : `apis/${gv.group}/${gv.version}`;
}

interface Collected {
  paths: Record<string, PathItem>;
  roots: string[];
}

function collect(defs: Definitions, gvs: GroupVersion[]): Collected {
  const out: Collected = { paths: {}, roots: [] };
  for (const gv of gvs) {
    for (const r of gv.resources) {
      const rp = resourcePaths(defs, r);
      if (!rp) continue;
      Object.assign(out.paths, rp.paths);
      out.roots.push(...rp.roots);
    }
  }
  return out;
}

function sortedPaths<T>(paths: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(paths).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

// ---- v2 -------------------------------------------------------------------------------------------

function v2Ref(name: string): string {
  return `#/definitions/${name}`;
}

function v2Parameter(p: Parameter): Parameter {
  return p.schema ? { ...p, schema: withRefs(p.schema, v2Ref) } : p;
}

function v2Operation(o: Operation): Operation {
  const responses: Operation['responses'] = {};
  for (const [code, r] of Object.entries(o.responses)) responses[code] = r.schema ? { ...r, schema: withRefs(r.schema, v2Ref) } : r;
  return { ...o, parameters: o.parameters.map(v2Parameter), responses };
}

function buildV2(): Document {
  const defs = definitions();
  const { paths, roots } = collect(defs, groupVersions());
  const outPaths: Record<string, Record<string, unknown>> = {};
  for (const [path, item] of Object.entries(sortedPaths(paths))) {
    const o: Record<string, unknown> = {};
    for (const m of METHODS) if (item[m]) o[m] = v2Operation(item[m]!);
    o['parameters'] = item.parameters.map(v2Parameter);
    outPaths[path] = o;
  }
  const outDefs: Record<string, Schema> = {};
  for (const name of closure(defs, roots)) outDefs[name] = withRefs(defs[name]!, v2Ref);
  return document({
    swagger: '2.0',
    info: INFO,
    paths: outPaths,
    definitions: outDefs,
    securityDefinitions: { BearerToken: { type: 'apiKey', name: 'authorization', in: 'header', description: 'Bearer token authentication' } },
    security: [{ BearerToken: [] }],
  });
}

// ---- v3 -------------------------------------------------------------------------------------------

function v3Ref(name: string): string {
  return `#/components/schemas/${name}`;
}

/** v3 forbids siblings of $ref: a described reference becomes allOf [ref], as upstream writes it. */
function v3Schema(s: Schema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === '$ref' || k === 'items' || k === 'additionalProperties' || k === 'properties') continue;
    out[k] = v;
  }
  if (s.$ref) {
    const hasSiblings = Object.keys(out).length > 0;
    if (!hasSiblings) return { $ref: v3Ref(s.$ref) };
    out['allOf'] = [{ $ref: v3Ref(s.$ref) }];
  }
  if (s.items) out['items'] = v3Schema(s.items);
  if (s.additionalProperties) out['additionalProperties'] = v3Schema(s.additionalProperties);
  if (s.properties) out['properties'] = Object.fromEntries(Object.entries(s.properties).map(([k, p]) => [k, v3Schema(p)]));
  return out;
}

function v3Operation(o: Operation): Record<string, unknown> {
  const out: Record<string, unknown> = {
    tags: o.tags,
    description: o.description,
    operationId: o.operationId,
  };
  const params = o.parameters.filter((p) => p.in !== 'body').map(v3Parameter);
  if (params.length) out['parameters'] = params;
  const b = o.parameters.find((p) => p.in === 'body');
  if (b?.schema) {
    out['requestBody'] = {
      content: Object.fromEntries(o.consumes.map((ct) => [ct, { schema: v3Schema(b.schema!) }])),
      required: true,
    };
  }
  const responses: Record<string, unknown> = {};
  for (const [code, r] of Object.entries(o.responses)) {
    responses[code] = r.schema
      ? { description: r.description, content: Object.fromEntries(o.produces.map((ct) => [ct, { schema: v3Schema(r.schema!) }])) }
      : { description: r.description };
  }
  out['responses'] = responses;
  out['x-kubernetes-action'] = o['x-kubernetes-action'];
  out['x-kubernetes-group-version-kind'] = o['x-kubernetes-group-version-kind'];
  return out;
}

function v3Parameter(p: Parameter): Record<string, unknown> {
  const out: Record<string, unknown> = { name: p.name, in: p.in, description: p.description, schema: { type: p.type, uniqueItems: p.uniqueItems } };
  if (p.required) out['required'] = true;
  return out;
}

function buildV3(gv: GroupVersion): Document {
  const defs = definitions();
  const { paths, roots } = collect(defs, [gv]);
  const outPaths: Record<string, Record<string, unknown>> = {};
  for (const [path, item] of Object.entries(sortedPaths(paths))) {
    const o: Record<string, unknown> = {};
    for (const m of METHODS) if (item[m]) o[m] = v3Operation(item[m]!);
    o['parameters'] = item.parameters.map(v3Parameter);
    outPaths[path] = o;
  }
  const schemas: Record<string, unknown> = {};
  for (const name of closure(defs, roots)) {
    const s = v3Schema(defs[name]!);
    const oneOf = V3_ONE_OF[name.replace(/^io\.k8s\./, '')];
    if (oneOf) {
      delete s['type'];
      s['oneOf'] = oneOf.map((type) => ({ type }));
    }
    schemas[name] = s;
  }
  return document({
    openapi: '3.0.0',
    info: INFO,
    paths: outPaths,
    components: {
      schemas,
      securitySchemes: { BearerToken: { type: 'apiKey', name: 'authorization', in: 'header', description: 'Bearer token authentication' } },
    },
  });
}

// ---- cache ----------------------------------------------------------------------------------------

let v2: Document | undefined;
const v3 = new Map<string, Document>();

export function v2Document(): Document {
  v2 ??= buildV2();
  return v2;
}

/** The v3 document of a group version key (`api/v1`), or undefined when it is not served. */
export function v3Document(key: string): Document | undefined {
  const cached = v3.get(key);
  if (cached) return cached;
  const gv = groupVersions().find((g) => groupVersionKey(g) === key);
  if (!gv) return undefined;
  const d = buildV3(gv);
  v3.set(key, d);
  return d;
}

export function v3Index(): Record<string, unknown> {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const gv of groupVersions()) {
    const key = groupVersionKey(gv);
    paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${v3Document(key)!.hash}` };
  }
  return { paths };
}
