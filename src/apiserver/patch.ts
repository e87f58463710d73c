// PATCH bodies: JSON merge patch (RFC 7386), a strategic merge patch good enough for what clients
// send (lists with a known merge key merge by that key, `$patch` / `$setElementOrder` /
// `$deleteFromPrimitiveList` / `$retainKeys` directives), and JSON patch (RFC 6902).
// All functions are pure: they return a new document and never touch their inputs.
import { ApiError } from './status.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

export const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
] as const;
export type PatchType = (typeof PATCH_TYPES)[number];

function isObject(v: unknown): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function clone<T extends Json>(v: T): T {
  return structuredClone(v);
}

export function applyPatch(type: PatchType, target: Json, patch: Json): Json {
  switch (type) {
    case 'application/merge-patch+json':
      return mergePatch(target, patch);
    case 'application/strategic-merge-patch+json':
      return strategicMergePatch(target, patch);
    case 'application/json-patch+json':
      return jsonPatch(target, patch);
  }
}

// ---- RFC 7386 -------------------------------------------------------------------------------------

export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k] ?? null, v);
  }
  return out;
}

// ---- strategic merge ------------------------------------------------------------------------------

/**
 * Merge keys of the list fields clients patch (from the Kubernetes types' patchMergeKey tags).
 * Lists not named here are replaced, as in kube for lists without a merge strategy.
 */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  containerStatuses: 'name',
  initContainerStatuses: 'name',
  ephemeralContainerStatuses: 'name',
  conditions: 'type',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  ports: 'containerPort',
  ownerReferences: 'uid',
  imagePullSecrets: 'name',
  podIPs: 'ip',
  hostIPs: 'ip',
  addresses: 'type',
  readinessGates: 'conditionType',
  hostAliases: 'ip',
  resourceClaims: 'name',
  images: 'names',
};

/** Primitive lists with patchStrategy merge: union instead of replace. */
const MERGE_PRIMITIVE_LISTS = new Set(['finalizers']);

export function strategicMergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  if (patch['$patch'] === 'replace') {
    const { $patch: _ignored, ...rest } = patch;
    return stripDirectives(rest);
  }
  if (patch['$patch'] === 'delete') return {};
  const out: JsonObject = isObject(target) ? { ...target } : {};
  const orders: [string, Json][] = [];
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch') continue;
    if (k === '$retainKeys') continue;
    if (k.startsWith('$setElementOrder/')) {
      orders.push([k.slice('$setElementOrder/'.length), v]);
      continue;
    }
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      const cur = out[field];
      if (Array.isArray(cur) && Array.isArray(v)) {
        const drop = new Set(v.map((x) => JSON.stringify(x)));
        out[field] = cur.filter((x) => !drop.has(JSON.stringify(x)));
      }
      continue;
    }
    if (v === null) {
      delete out[k];
    } else if (Array.isArray(v)) {
      out[k] = mergeList(k, out[k], v);
    } else if (isObject(v)) {
      out[k] = strategicMergePatch(out[k] ?? null, v);
    } else {
      out[k] = v;
    }
  }
  for (const [field, order] of orders) {
    const cur = out[field];
    if (Array.isArray(cur) && Array.isArray(order)) out[field] = reorder(field, cur, order);
  }
  const retain = patch['$retainKeys'];
  if (Array.isArray(retain)) {
    const keep = new Set(retain.filter((x): x is string => typeof x === 'string'));
    for (const k of Object.keys(out)) if (!keep.has(k) && !(k in patch)) delete out[k];
  }
  return out;
}

function stripDirectives(v: Json): Json {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) if (!k.startsWith('$')) out[k] = stripDirectives(x);
  return out;
}

function mergeList(field: string, current: Json | undefined, patch: Json[]): Json {
  const key = MERGE_KEYS[field];
  const cur = Array.isArray(current) ? current : [];
  if (patch.some((x) => isObject(x) && x['$patch'] === 'replace')) {
    return patch.filter((x) => !(isObject(x) && x['$patch'] === 'replace')).map(stripDirectives);
  }
  if (MERGE_PRIMITIVE_LISTS.has(field) && patch.every((x) => !isObject(x))) {
    const seen = new Set(cur.map((x) => JSON.stringify(x)));
    const out = [...cur];
    for (const x of patch) if (!seen.has(JSON.stringify(x))) out.push(x);
    return out;
  }
  if (!key || !patch.every((x) => isObject(x) && key in x)) return patch.map(stripDirectives);
  const out: Json[] = [...cur];
  for (const item of patch as JsonObject[]) {
    const id = JSON.stringify(item[key]);
    const at = out.findIndex((x) => isObject(x) && JSON.stringify(x[key]) === id);
    if (item['$patch'] === 'delete') {
      if (at >= 0) out.splice(at, 1);
    } else if (at >= 0) {
      out[at] = strategicMergePatch(out[at]!, item);
    } else {
      out.push(strategicMergePatch(null, item));
    }
  }
  return out;
}

function reorder(field: string, list: Json[], order: Json[]): Json[] {
  const key = MERGE_KEYS[field];
  const id = (x: Json): string => (key && isObject(x) ? JSON.stringify(x[key]) : JSON.stringify(x));
  const rank = new Map<string, number>();
  order.forEach((x, i) => rank.set(id(x), i));
  const ranked = list.map((x, i) => ({ x, i, r: rank.get(id(x)) }));
  // Items named in the order come first in that order; the others keep their relative position after.
  ranked.sort((a, b) => {
    if (a.r !== undefined && b.r !== undefined) return a.r - b.r;
    if (a.r !== undefined) return -1;
    if (b.r !== undefined) return 1;
    return a.i - b.i;
  });
  return ranked.map((e) => e.x);
}

// ---- RFC 6902 -------------------------------------------------------------------------------------

function patchError(message: string): ApiError {
  return new ApiError(422, 'Invalid', `the JSON patch cannot be applied: ${message}`);
}

function parsePointer(p: unknown): string[] {
  if (typeof p !== 'string') throw patchError(`"path" must be a string, got ${JSON.stringify(p)}`);
  if (p === '') return [];
  if (!p.startsWith('/')) throw patchError(`path "${p}" must start with "/"`);
  return p
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function getAt(doc: Json, path: string[], raw: string): Json {
  let cur: Json = doc;
  for (const part of path) {
    if (Array.isArray(cur)) {
      const i = Number(part);
      if (!/^\d+$/.test(part) || i >= cur.length) throw patchError(`path "${raw}" does not exist`);
      cur = cur[i]!;
    } else if (isObject(cur) && Object.prototype.hasOwnProperty.call(cur, part)) {
      cur = cur[part]!;
    } else {
      throw patchError(`path "${raw}" does not exist`);
    }
  }
  return cur;
}

function parentOf(doc: Json, path: string[], raw: string): { parent: Json; last: string } {
  if (path.length === 0) throw patchError(`path "${raw}" cannot target the whole document here`);
  return { parent: getAt(doc, path.slice(0, -1), raw), last: path[path.length - 1]! };
}

function addAt(doc: Json, path: string[], value: Json, raw: string): Json {
  if (path.length === 0) return value;
  const { parent, last } = parentOf(doc, path, raw);
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : Number(last);
    if (!(last === '-' || /^\d+$/.test(last)) || i > parent.length) throw patchError(`index in "${raw}" is out of range`);
    parent.splice(i, 0, value);
  } else if (isObject(parent)) {
    parent[last] = value;
  } else {
    throw patchError(`parent of "${raw}" is not an object or array`);
  }
  return doc;
}

function removeAt(doc: Json, path: string[], raw: string): Json {
  const { parent, last } = parentOf(doc, path, raw);
  if (Array.isArray(parent)) {
    const i = Number(last);
    if (!/^\d+$/.test(last) || i >= parent.length) throw patchError(`path "${raw}" does not exist`);
    return parent.splice(i, 1)[0]!;
  }
  if (isObject(parent) && Object.prototype.hasOwnProperty.call(parent, last)) {
    const v = parent[last]!;
    delete parent[last];
    return v;
  }
  throw patchError(`path "${raw}" does not exist`);
}

export function jsonPatch(target: Json, patch: Json): Json {
  if (!Array.isArray(patch)) throw new ApiError(400, 'BadRequest', 'a JSON patch must be an array of operations');
  let doc = clone(target);
  patch.forEach((op, n) => {
    if (!isObject(op)) throw patchError(`operation ${n} is not an object`);
    const raw = op['path'];
    const path = parsePointer(raw);
    const rawStr = String(raw);
    switch (op['op']) {
      case 'add':
        if (!('value' in op)) throw patchError(`operation ${n} (add) has no "value"`);
        doc = addAt(doc, path, clone(op['value']!), rawStr);
        break;
      case 'remove':
        removeAt(doc, path, rawStr);
        break;
      case 'replace':
        if (!('value' in op)) throw patchError(`operation ${n} (replace) has no "value"`);
        if (path.length === 0) {
          doc = clone(op['value']!);
        } else {
          removeAt(doc, path, rawStr);
          doc = addAt(doc, path, clone(op['value']!), rawStr);
        }
        break;
      case 'move':
      case 'copy': {
        const fromRaw = op['from'];
        const from = parsePointer(fromRaw);
        const value = op['op'] === 'move' ? removeAt(doc, from, String(fromRaw)) : clone(getAt(doc, from, String(fromRaw)));
        doc = addAt(doc, path, value, rawStr);
        break;
      }
      case 'test': {
        const v = getAt(doc, path, rawStr);
        if (JSON.stringify(v) !== JSON.stringify(op['value'] ?? null)) throw patchError(`test at "${rawStr}" failed`);
        break;
      }
      default:
        throw patchError(`operation ${n} has unknown "op" ${JSON.stringify(op['op'])}`);
    }
  });
  return doc;
}
