// Objects walked together with their OpenAPI schema: which fields an object sets (its field set),
// the value at a path, the structural merge of an apply configuration into a live object, and the
// removal of paths. The schema decides how a list is tracked (atomic, set, or associative by its
// map keys) and which maps are atomic, exactly as the published OpenAPI says (x-kubernetes-*).
// Where there is no schema (free-form objects), maps are granular and lists atomic.
import { definitions, definitionOf, type Schema } from '../openapi/index.js';
import type { ResourceDef } from '../resources.js';
import { PathSet, type Path } from './fieldpath.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A position in the schema: the property's own schema (carrying x-kubernetes-*) and its target. */
export interface TypeNode {
  prop: Schema | undefined;
  resolved: Schema | undefined;
}

const UNTYPED: TypeNode = { prop: undefined, resolved: undefined };

function node(prop: Schema | undefined): TypeNode {
  if (!prop) return UNTYPED;
  return { prop, resolved: prop.$ref ? definitions()[prop.$ref] : prop };
}

/** The schema of a resource's objects; untyped when the build produced no definition for it. */
export function rootNode(def: ResourceDef): TypeNode {
  let defs;
  try {
    defs = definitions();
  } catch {
    return UNTYPED;
  }
  const name = definitionOf(defs, { group: def.group, version: def.version, kind: def.kind });
  return name ? { prop: undefined, resolved: defs[name] } : UNTYPED;
}

function fieldNode(n: TypeNode, name: string): TypeNode {
  const r = n.resolved;
  if (!r) return UNTYPED;
  if (r.properties?.[name]) return node(r.properties[name]);
  if (r.additionalProperties) return node(r.additionalProperties);
  return UNTYPED;
}

function itemNode(n: TypeNode): TypeNode {
  return node(n.resolved?.items ?? n.prop?.items);
}

function atomicMap(n: TypeNode): boolean {
  return n.prop?.['x-kubernetes-map-type'] === 'atomic' || n.resolved?.['x-kubernetes-map-type'] === 'atomic';
}

type ListKind = { kind: 'atomic' } | { kind: 'set' } | { kind: 'map'; keys: string[] };

function listKind(n: TypeNode, items: unknown[]): ListKind {
  const s = n.prop;
  const t = s?.['x-kubernetes-list-type'];
  if (t === 'set') return { kind: 'set' };
  let keys: string[] | undefined;
  if (t === 'map') keys = s?.['x-kubernetes-list-map-keys'] as string[] | undefined;
  // Lists with a patch merge key and no list type are associative by that key, as upstream treats them.
  else if (t === undefined && typeof s?.['x-kubernetes-patch-merge-key'] === 'string') keys = [s['x-kubernetes-patch-merge-key'] as string];
  if (!keys || keys.length === 0) return { kind: 'atomic' };
  // An item with none of the keys cannot be addressed: track the list as a whole.
  if (!items.every((i) => isObj(i) && keys!.some((k) => i[k] !== undefined))) return { kind: 'atomic' };
  return { kind: 'map', keys };
}

function keyElement(item: Obj, keys: string[]): string {
  const k: Obj = {};
  for (const name of [...keys].sort()) if (item[name] !== undefined) k[name] = item[name];
  return `k:${JSON.stringify(k)}`;
}

// ---- field sets ----------------------------------------------------------------------------------

/** The set of leaf paths (and associative items) an object sets. */
export function fieldSet(value: Obj, n: TypeNode): PathSet {
  const out = new PathSet();
  walkObject(value, n, [], out);
  return out;
}

function walkObject(o: Obj, n: TypeNode, prefix: Path, out: PathSet): void {
  for (const [k, v] of Object.entries(o)) {
    if (v === null || v === undefined) continue;
    walkValue(v, fieldNode(n, k), [...prefix, `f:${k}`], out);
  }
}

function walkValue(v: unknown, n: TypeNode, p: Path, out: PathSet): void {
  if (isObj(v)) {
    if (atomicMap(n) || Object.keys(v).length === 0) out.add(p);
    else walkObject(v, n, p, out);
    return;
  }
  if (Array.isArray(v)) {
    const lk = listKind(n, v);
    if (lk.kind === 'atomic' || v.length === 0) {
      out.add(p);
      return;
    }
    if (lk.kind === 'set') {
      for (const item of v) out.add([...p, `v:${JSON.stringify(item)}`]);
      return;
    }
    const inode = itemNode(n);
    for (const item of v as Obj[]) {
      const ip = [...p, keyElement(item, lk.keys)];
      out.add(ip);
      walkObject(item, inode, ip, out);
    }
    return;
  }
  out.add(p);
}

// ---- values at paths -----------------------------------------------------------------------------

function find(list: unknown[], e: string): number {
  const body = JSON.parse(e.slice(2)) as unknown;
  if (e.startsWith('k:')) {
    const key = body as Obj;
    return list.findIndex((i) => isObj(i) && Object.entries(key).every(([k, v]) => equal(i[k], v)));
  }
  if (e.startsWith('v:')) return list.findIndex((i) => equal(i, body));
  return -1;
}

/** The value at a path, or undefined. */
export function valueAt(o: unknown, p: Path): unknown {
  let cur: unknown = o;
  for (const e of p) {
    if (e.startsWith('f:')) {
      if (!isObj(cur)) return undefined;
      cur = cur[e.slice(2)];
    } else if (e.startsWith('i:')) {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[Number(e.slice(2))];
    } else {
      if (!Array.isArray(cur)) return undefined;
      const i = find(cur, e);
      cur = i < 0 ? undefined : cur[i];
    }
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** Deep equality of JSON values, whatever the key order. */
export function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => equal(x, b[i]));
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => equal(a[k], b[k]));
  }
  return false;
}

export interface Comparison {
  added: PathSet;
  removed: PathSet;
  modified: PathSet;
}

/** What changed between two objects, path by path. */
export function compare(oldObj: Obj, newObj: Obj, n: TypeNode): Comparison {
  const a = fieldSet(oldObj, n);
  const b = fieldSet(newObj, n);
  const modified = new PathSet();
  for (const p of b.paths()) {
    if (!a.has(p)) continue;
    const last = p[p.length - 1]!;
    // An associative item is "the same" while it exists; its fields are compared on their own.
    if (last.startsWith('k:')) continue;
    if (!equal(valueAt(oldObj, p), valueAt(newObj, p))) modified.add(p);
  }
  return { added: b.minus(a), removed: a.minus(b), modified };
}

// ---- merge and removal ---------------------------------------------------------------------------

/** The live object with the apply configuration merged in (structurally, by the schema). */
export function merge(live: unknown, config: unknown, n: TypeNode): unknown {
  if (isObj(config)) {
    if (!isObj(live) || atomicMap(n)) return structuredClone(config);
    const out: Obj = { ...live };
    for (const [k, v] of Object.entries(config)) {
      if (v === null) delete out[k];
      else out[k] = merge(live[k], v, fieldNode(n, k));
    }
    return out;
  }
  if (Array.isArray(config)) {
    const lk = listKind(n, config);
    if (!Array.isArray(live) || lk.kind === 'atomic') return structuredClone(config);
    if (lk.kind === 'map' && listKind(n, live).kind !== 'map') return structuredClone(config);
    const out = [...live];
    for (const item of config) {
      const at = lk.kind === 'map' ? find(out, keyElement(item as Obj, lk.keys)) : out.findIndex((x) => equal(x, item));
      if (at < 0) out.push(structuredClone(item));
      else if (lk.kind === 'map') out[at] = merge(out[at], item, itemNode(n));
    }
    return out;
  }
  return config;
}

/** Removes the value at `p` from `o` (in place); a missing path is a no-op. */
export function removeAt(o: Obj, p: Path): void {
  const parent = valueAt(o, p.slice(0, -1));
  const last = p[p.length - 1];
  if (last === undefined) return;
  if (last.startsWith('f:')) {
    if (isObj(parent)) delete parent[last.slice(2)];
  } else if (Array.isArray(parent)) {
    const i = last.startsWith('i:') ? Number(last.slice(2)) : find(parent, last);
    if (i >= 0) parent.splice(i, 1);
  }
}
