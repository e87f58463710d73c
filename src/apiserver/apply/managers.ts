// metadata.managedFields: who owns which fields, and how each write changes that. Follows
// upstream's field manager (structured-merge-diff): an Update takes every field it changed from
// whoever owned it; an Apply owns exactly the fields of its configuration, conflicts (409) with
// other managers over fields whose value it would change unless forced, and removes fields it
// applied before and no longer applies when nobody else owns them.
import type { ManagedFieldsEntry } from 'kubernetes-types/meta/v1';
import type { KubeObject, ResourceDef } from '../resources.js';
import { ApiError } from '../status.js';
import { comparePaths, pathString, PathSet, type Path } from './fieldpath.js';
import { compare, fieldSet, merge, removeAt, rootNode, type TypeNode } from './typed.js';

type Obj = Record<string, unknown>;

export type Operation = 'Apply' | 'Update';

export interface Manager {
  manager: string;
  operation: Operation;
  apiVersion: string;
  /** 'status' for writes to the status subresource; '' for the object itself. */
  subresource: string;
  time: string;
  set: PathSet;
  /** The stored entry and the set decoded from it: reused as is while `set` is still that set. */
  stored?: { entry: ManagedFieldsEntry; set: PathSet };
}

/** Upstream's manager identifier: appliers are one manager whatever apiVersion they send. */
function identity(m: Pick<Manager, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  return JSON.stringify([m.manager, m.operation, m.operation === 'Apply' ? '' : m.apiVersion, m.subresource]);
}

function decode(entries: readonly ManagedFieldsEntry[] | undefined): Map<string, Manager> {
  const out = new Map<string, Manager>();
  for (const e of entries ?? []) {
    if (e.fieldsType !== undefined && e.fieldsType !== 'FieldsV1') continue;
    const m: Manager = {
      manager: e.manager ?? '',
      operation: e.operation === 'Apply' ? 'Apply' : 'Update',
      apiVersion: e.apiVersion ?? '',
      subresource: e.subresource ?? '',
      time: e.time ?? '',
      set: PathSet.fromFieldsV1(e.fieldsV1),
    };
    m.stored = { entry: e, set: m.set };
    const id = identity(m);
    const prev = out.get(id);
    if (prev) {
      prev.set = prev.set.union(m.set);
      delete prev.stored;
    } else out.set(id, m);
  }
  return out;
}

function encode(managers: Map<string, Manager>): ManagedFieldsEntry[] {
  const list = [...managers.values()].filter((m) => m.set.size > 0);
  // Upstream's order: by operation (Apply before Update), then time, manager, apiVersion, subresource.
  list.sort(
    (a, b) =>
      cmp(a.operation, b.operation) || cmp(a.time, b.time) || cmp(a.manager, b.manager) || cmp(a.apiVersion, b.apiVersion) || cmp(a.subresource, b.subresource),
  );
  return list.map((m) => {
    if (m.stored && m.stored.set === m.set && m.stored.entry.time === m.time) return m.stored.entry;
    const e: ManagedFieldsEntry = {
      manager: m.manager,
      operation: m.operation,
      apiVersion: m.apiVersion,
      time: m.time,
      fieldsType: 'FieldsV1',
      fieldsV1: m.set.toFieldsV1() as ManagedFieldsEntry['fieldsV1'],
    };
    if (m.subresource) e.subresource = m.subresource;
    return e;
  });
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const SERVER_META = ['name', 'namespace', 'uid', 'resourceVersion', 'creationTimestamp', 'generation', 'managedFields', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds'];

/**
 * The part of an object managers can own: no type or identity fields, and, where the resource has
 * a status subresource, only the spec side for the object and only the status for /status.
 */
export function ownable(def: ResourceDef, o: Obj, subresource: string): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(o)) {
    if (k === 'apiVersion' || k === 'kind') continue;
    if (def.statusSubresource && (subresource === 'status') !== (k === 'status')) continue;
    if (k === 'metadata' && v !== null && typeof v === 'object') {
      const meta: Obj = { ...(v as Obj) };
      for (const f of SERVER_META) delete meta[f];
      if (Object.keys(meta).length > 0) out[k] = meta;
      continue;
    }
    out[k] = v;
  }
  return out;
}

export interface Writer {
  manager: string;
  subresource: string;
  /** RFC 3339 time of the write. */
  time: string;
}

/**
 * managedFields after an Update-style write (create, PUT, non-apply PATCH) by `w`, on top of the
 * ownership in `old` (the live object, or the live object with the managedFields the request set).
 */
export function afterUpdate(def: ResourceDef, old: KubeObject | undefined, next: KubeObject, w: Writer): ManagedFieldsEntry[] | undefined {
  const n = rootNode(def);
  const managers = decode(old?.metadata.managedFields);
  const c = compare(old ? ownable(def, old, w.subresource) : {}, ownable(def, next, w.subresource), n);
  const changed = c.added.union(c.modified);
  if (changed.size === 0 && c.removed.size === 0) {
    const same = encode(managers);
    return same.length ? same : undefined;
  }
  const me: Manager = { manager: w.manager, operation: 'Update', apiVersion: def.apiVersion, subresource: w.subresource, time: w.time, set: new PathSet() };
  const id = identity(me);
  for (const [k, m] of managers) if (k !== id) m.set = m.set.minus(changed).minus(c.removed);
  const mine = managers.get(id) ?? me;
  mine.set = mine.set.minus(c.removed).union(changed);
  mine.time = w.time;
  managers.set(id, mine);
  const out = encode(managers);
  return out.length ? out : undefined;
}

export interface ApplyPlan {
  /** The object to write: the live object with the configuration merged in and stale fields pruned. */
  body: Obj;
  /** managedFields for the prepared object; throws the 409 conflict unless forced. */
  managedFields(prepared: KubeObject): ManagedFieldsEntry[] | undefined;
}

/** Plans an apply of `config` by `w` onto `live` (undefined: the object does not exist yet). */
export function planApply(def: ResourceDef, live: KubeObject | undefined, config: Obj, w: Writer, force: boolean): ApplyPlan {
  const n: TypeNode = rootNode(def);
  const managers = decode(live?.metadata.managedFields);
  const me: Manager = { manager: w.manager, operation: 'Apply', apiVersion: def.apiVersion, subresource: w.subresource, time: w.time, set: fieldSet(ownable(def, config, w.subresource), n) };
  const id = identity(me);
  const last = managers.get(id)?.set ?? new PathSet();
  let others = new PathSet();
  for (const [k, m] of managers) if (k !== id) others = others.union(m.set);

  const body = structuredClone(merge(live ?? {}, config, n)) as Obj;
  // Fields this manager applied last time and no longer applies go, unless someone else owns them.
  const prune = last.minus(me.set).minus(others).paths().sort((a, b) => comparePaths(b, a));
  for (const p of prune) removeAt(body, p);

  return {
    body,
    managedFields(prepared) {
      const c = compare(live ? ownable(def, live, w.subresource) : {}, ownable(def, prepared, w.subresource), n);
      const touched = c.modified.union(c.added);
      const conflicts: { m: Manager; paths: Path[] }[] = [];
      for (const [k, m] of managers) {
        if (k === id) continue;
        const clash = m.set.intersect(touched);
        if (clash.size > 0) conflicts.push({ m, paths: clash.paths().sort(comparePaths) });
      }
      if (conflicts.length > 0 && !force) throw conflictError(conflicts);
      for (const [k, m] of managers) if (k !== id) m.set = m.set.minus(touched).minus(c.removed);
      const previous = managers.get(id);
      const noop = previous && touched.size === 0 && c.removed.size === 0 && me.set.minus(previous.set).size === 0 && previous.set.minus(me.set).size === 0;
      // Re-applying the same configuration is no write at all (no new time, no new resourceVersion).
      if (!noop) managers.set(id, me);
      const out = encode(managers);
      return out.length ? out : undefined;
    },
  };
}

function describe(m: Manager): string {
  let s = JSON.stringify(m.manager);
  if (m.subresource) s += ` with subresource ${JSON.stringify(m.subresource)}`;
  if (m.operation === 'Update') s += ` using ${m.apiVersion}`;
  return s;
}

/** 409 as kube-apiserver words it, with one FieldManagerConflict cause per field. */
function conflictError(conflicts: { m: Manager; paths: Path[] }[]): ApiError {
  const all = conflicts.flatMap((c) => c.paths.map((p) => ({ who: describe(c.m), key: identity(c.m), path: pathString(p) })));
  let message: string;
  if (all.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${all[0]!.who}: ${all[0]!.path}`;
  } else {
    const byManager = [...conflicts].sort((a, b) => cmp(identity(a.m), identity(b.m)));
    const lines: string[] = [];
    for (const c of byManager) {
      lines.push(`conflicts with ${describe(c.m)}:`);
      for (const p of c.paths) lines.push(`- ${pathString(p)}`);
    }
    message = `Apply failed with ${all.length} conflicts: ${lines.join('\n')}`;
  }
  return new ApiError(409, 'Conflict', message, {
    causes: all.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${c.who}`, field: c.path })),
  });
}
