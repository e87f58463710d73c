// The REST verbs on stored objects: get, list, create, update (PUT), patch, delete,
// deletecollection. Each takes a parsed request and returns what to answer; streaming verbs (watch,
// logs) live in watch.ts and logs.ts. All checks and the write happen in one synchronous stretch
// after the body has been read, so racing writers are ordered and exactly one wins a stale race.
import type { ManagedFieldsEntry } from 'kubernetes-types/meta/v1';
import type { Logger } from '../log/index.js';
import { APPLY_PATCH_TYPE, checkPatchOptions, managerName, parseApplyBody, planApply, recordUpdate, writer } from './apply/index.js';
import { decodeObject, parseJson, parseMediaType } from './body.js';
import { pruneEvents, type EventLimits } from './events.js';
import { markDeleting, podDeletionGrace } from './graceful.js';
import { encodeList, encodeObject, type Encoded, type ListMore, type Output } from './output.js';
import { listPage } from './paging.js';
import { applyPatch, PATCH_TYPES, type Json, type PatchType } from './patch.js';
import { namespaces, pods, resourceKey, ALL_RESOURCES, type KubeObject, type ResourceDef, type SubresourceName } from './resources.js';
import { stringsParam } from './query.js';
import { staticPodsOnly } from './refusals.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import type { Store } from './store.js';
import {
  alreadyExists,
  badRequest,
  conflict,
  forbidden,
  notFound,
  STALE_RESOURCE_VERSION,
  unsupportedMediaType,
  ApiError,
} from './status.js';
import { MIRROR_ANNOTATION, prepareCreate, prepareUpdate, unchanged } from './validate.js';

export const PROTECTED_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export interface HandlerContext {
  store: Store;
  logger: Logger;
  nodeName: string;
  eventLimits: EventLimits;
}

export interface ResourceRequest {
  def: ResourceDef;
  /** Namespace from the URL; undefined for cluster-scoped resources and all-namespace lists. */
  namespace: string | undefined;
  name: string | undefined;
  subresource: SubresourceName | undefined;
  query: URLSearchParams;
  /** The client's User-Agent: names the field manager when the request has no fieldManager. */
  userAgent?: string;
}

/** managedFields for the object about to be stored (server-side apply computes its own). */
type OwnershipFn = (prepared: KubeObject) => ManagedFieldsEntry[] | undefined;

function withManagedFields(o: KubeObject, mf: ManagedFieldsEntry[] | undefined): KubeObject {
  const metadata = { ...o.metadata };
  if (mf) metadata.managedFields = mf;
  else delete metadata.managedFields;
  return { ...o, metadata };
}

function sentManagedFields(body: Record<string, unknown>): ManagedFieldsEntry[] | undefined {
  const meta = body['metadata'];
  if (!meta || typeof meta !== 'object' || Array.isArray(meta)) return undefined;
  const mf = (meta as Record<string, unknown>)['managedFields'];
  if (mf === undefined || mf === null) return undefined;
  if (!Array.isArray(mf) || mf.some((e) => e === null || typeof e !== 'object' || Array.isArray(e))) {
    throw badRequest('metadata.managedFields must be a list of ManagedFieldsEntry objects (or [{}] to clear them)');
  }
  return mf.length > 0 ? (mf as ManagedFieldsEntry[]) : undefined;
}

function updateOwnership(r: ResourceRequest, old: KubeObject | undefined): OwnershipFn {
  const w = writer(managerName(r.query, r.userAgent), r.subresource, Date.now());
  return (prepared) => recordUpdate(r.def, old, prepared, w);
}

export interface Answer {
  code: number;
  encoded: Encoded;
}

function isDryRun(q: URLSearchParams, body?: Record<string, unknown>): boolean {
  if (stringsParam(q, 'dryRun').includes('All')) return true;
  const d = body?.['dryRun'];
  return Array.isArray(d) && d.includes('All');
}

/** A predicate for the request's label and field selectors (400 when they do not parse). */
export function selectorFor(def: ResourceDef, q: URLSearchParams, name?: string): (o: KubeObject) => boolean {
  const labels = parseLabelSelector(q.get('labelSelector') ?? '');
  const fields = parseFieldSelector(q.get('fieldSelector') ?? '', Object.keys(def.fields), def.plural);
  const get = (o: KubeObject) => (f: string) => def.fields[f]!(o);
  return (o) =>
    (name === undefined || o.metadata.name === name) &&
    (labels.empty || labels.matches(o.metadata.labels)) &&
    (fields.empty || fields.matches(get(o)));
}

function mustGet(ctx: HandlerContext, r: ResourceRequest): KubeObject {
  const o = ctx.store.get(resourceKey(r.def), r.namespace, r.name!);
  if (!o) throw notFound(r.def, r.name!);
  return o;
}

export function getObject(ctx: HandlerContext, r: ResourceRequest, out: Output): Answer {
  return { code: 200, encoded: encodeObject(r.def, mustGet(ctx, r), out, Date.now()) };
}

export function listObjects(ctx: HandlerContext, r: ResourceRequest, out: Output): Answer {
  const matches = selectorFor(r.def, r.query);
  const filtered = (r.query.get('labelSelector') ?? '') !== '' || (r.query.get('fieldSelector') ?? '') !== '';
  const page = listPage(ctx.store, resourceKey(r.def), r.namespace, matches, r.query, filtered);
  const more: ListMore = {};
  if (page.continue !== undefined) more.continue = page.continue;
  if (page.remainingItemCount !== undefined) more.remainingItemCount = page.remainingItemCount;
  return { code: 200, encoded: encodeList(r.def, page.items, page.resourceVersion, out, Date.now(), more) };
}

function admitCreate(ctx: HandlerContext, def: ResourceDef, obj: KubeObject): void {
  if (def.plural === 'pods' && obj.metadata.annotations?.[MIRROR_ANNOTATION] === undefined) {
    throw staticPodsOnly(ctx.nodeName, obj.metadata.name ?? '');
  }
  if (def.namespaced) {
    const ns = obj.metadata.namespace!;
    if (!ctx.store.get(resourceKey(namespaces), undefined, ns)) throw notFound(namespaces, ns);
  }
}

function afterWrite(ctx: HandlerContext, def: ResourceDef): void {
  if (def.plural === 'events') {
    const key = resourceKey(def);
    if (ctx.store.count(key) <= ctx.eventLimits.max) return;
    // The write itself succeeded; a prune the store cannot save (disk full) is retried on the next write.
    const failed = (err: unknown) => ctx.logger.warn('apiserver: pruning events failed', { err: (err as Error).message });
    try {
      pruneEvents(ctx.store, key, ctx.eventLimits, Date.now(), setImmediate, failed);
    } catch (err) {
      failed(err);
    }
  }
}

function create(ctx: HandlerContext, r: ResourceRequest, body: Record<string, unknown>, ownership?: OwnershipFn): Answer {
  let obj = prepareCreate(r.def, body, r.namespace, Date.now());
  admitCreate(ctx, r.def, obj);
  obj = withManagedFields(obj, (ownership ?? updateOwnership(r, undefined))(obj));
  const key = resourceKey(r.def);
  if (ctx.store.get(key, obj.metadata.namespace, obj.metadata.name!)) throw alreadyExists(r.def, obj.metadata.name!);
  if (isDryRun(r.query)) return { code: 201, encoded: encodeObject(r.def, obj, { kind: 'json' }, Date.now()) };
  const stored = ctx.store.write(key, obj);
  afterWrite(ctx, r.def);
  return { code: 201, encoded: encodeObject(r.def, stored, { kind: 'json' }, Date.now()) };
}

export function createObject(ctx: HandlerContext, r: ResourceRequest, raw: Buffer, contentType: string | undefined): Answer {
  return create(ctx, r, decodeObject(raw, contentType));
}

function update(ctx: HandlerContext, r: ResourceRequest, body: Record<string, unknown>, old: KubeObject, ownership?: OwnershipFn): Answer {
  const sent = r.subresource ? undefined : sentManagedFields(body);
  let next = prepareUpdate({ def: r.def, urlNs: r.namespace, urlName: r.name!, status: r.subresource === 'status' }, body, old);
  // A write that sets managedFields (e.g. to [{}] to clear them) replaces the ownership the rest of
  // the write is recorded on, as in kube; [] or the live entries change nothing.
  const base = sent ? withManagedFields(old, sent) : old;
  next = withManagedFields(next, (ownership ?? updateOwnership(r, base))(next));
  if (unchanged(next, old) || isDryRun(r.query)) {
    return { code: 200, encoded: encodeObject(r.def, unchanged(next, old) ? old : next, { kind: 'json' }, Date.now()) };
  }
  const stored = ctx.store.write(resourceKey(r.def), next);
  afterWrite(ctx, r.def);
  return { code: 200, encoded: encodeObject(r.def, stored, { kind: 'json' }, Date.now()) };
}

export function updateObject(ctx: HandlerContext, r: ResourceRequest, raw: Buffer, contentType: string | undefined): Answer {
  const body = decodeObject(raw, contentType);
  const old = ctx.store.get(resourceKey(r.def), r.namespace, r.name!);
  if (!old) {
    if (!r.def.allowCreateOnUpdate || r.subresource) throw notFound(r.def, r.name!);
    const meta = (body['metadata'] ?? {}) as Record<string, unknown>;
    if (meta['name'] !== undefined && meta['name'] !== r.name) {
      throw badRequest(`the name of the object (${String(meta['name'])}) does not match the name on the URL (${r.name})`);
    }
    if (meta['resourceVersion']) throw conflict(r.def, r.name!, STALE_RESOURCE_VERSION);
    return create(ctx, r, { ...body, metadata: { ...meta, name: r.name } });
  }
  return update(ctx, r, body, old);
}

export function patchObject(ctx: HandlerContext, r: ResourceRequest, raw: Buffer, contentType: string | undefined): Answer {
  const type = parseMediaType(contentType).type;
  const isApply = type === APPLY_PATCH_TYPE;
  if (!isApply && !(PATCH_TYPES as readonly string[]).includes(type)) throw unsupportedMediaType(type, [...PATCH_TYPES, APPLY_PATCH_TYPE]);
  const force = checkPatchOptions(isApply, r.query);
  if (isApply) return applyObject(ctx, r, raw, force);
  const patch = parseJson(raw) as Json;
  if (type !== 'application/json-patch+json' && (patch === null || typeof patch !== 'object' || Array.isArray(patch))) {
    throw badRequest(`a ${type} body must be a JSON object`);
  }
  const old = mustGet(ctx, r);
  const result = applyPatch(type as PatchType, old as unknown as Json, patch);
  if (result === null || typeof result !== 'object' || Array.isArray(result)) {
    throw new ApiError(422, 'Invalid', `the patch turned ${r.def.plural} "${r.name}" into something that is not an object`);
  }
  const body = result as Record<string, unknown>;
  const meta = body['metadata'];
  // A patch that carries a resourceVersion is a precondition; one that removes it is unconditional.
  if (meta && typeof meta === 'object' && !Array.isArray(meta)) {
    const rv = (meta as Record<string, unknown>)['resourceVersion'];
    if (rv !== undefined && rv !== null && rv !== old.metadata.resourceVersion) {
      throw conflict(r.def, r.name!, STALE_RESOURCE_VERSION);
    }
  }
  return update(ctx, r, body, old);
}

/** Server-side apply: merge the configuration, track ownership, create the object if missing. */
function applyObject(ctx: HandlerContext, r: ResourceRequest, raw: Buffer, force: boolean): Answer {
  const config = parseApplyBody(r.def, raw, r.name!);
  const old = ctx.store.get(resourceKey(r.def), r.namespace, r.name!);
  if (!old && r.subresource) throw notFound(r.def, r.name!);
  const plan = planApply(r.def, old, config, writer(managerName(r.query, r.userAgent), r.subresource, Date.now()), force);
  if (!old) {
    const meta = (plan.body['metadata'] ?? {}) as Record<string, unknown>;
    return create(ctx, r, { ...plan.body, metadata: { ...meta, name: r.name } }, plan.managedFields);
  }
  return update(ctx, r, plan.body, old, plan.managedFields);
}

function parseDeleteOptions(raw: Buffer, contentType: string | undefined): Record<string, unknown> {
  if (raw.length === 0 || raw.toString('utf8').trim() === '') return {};
  const type = parseMediaType(contentType).type;
  if (type !== '' && type !== 'application/json') return decodeObject(raw, contentType);
  const v = parseJson(raw);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw badRequest('DeleteOptions must be a JSON object');
  return v as Record<string, unknown>;
}

function admitDelete(ctx: HandlerContext, def: ResourceDef, o: KubeObject): void {
  if (def === namespaces && PROTECTED_NAMESPACES.includes(o.metadata.name ?? '')) {
    throw forbidden(def, o.metadata.name ?? '', `this namespace may not be deleted (node "${ctx.nodeName}" needs it)`);
  }
}

function removeOne(ctx: HandlerContext, def: ResourceDef, o: KubeObject): KubeObject {
  if (def === namespaces) {
    // Deleting a namespace deletes what it holds, at once (there are no finalizers here).
    const ns = o.metadata.name!;
    for (const r of ALL_RESOURCES) {
      if (!r.namespaced) continue;
      const key = resourceKey(r);
      for (const x of ctx.store.list(key, ns)) ctx.store.remove(key, ns, x.metadata.name!);
    }
  }
  return ctx.store.remove(resourceKey(def), o.metadata.namespace, o.metadata.name!)!;
}

export function deleteObject(ctx: HandlerContext, r: ResourceRequest, raw: Buffer, contentType: string | undefined): Answer {
  const opts = parseDeleteOptions(raw, contentType);
  const o = mustGet(ctx, r);
  const pre = opts['preconditions'];
  if (pre && typeof pre === 'object') {
    const { uid, resourceVersion } = pre as { uid?: unknown; resourceVersion?: unknown };
    if (typeof uid === 'string' && uid !== '' && uid !== o.metadata.uid) {
      throw conflict(r.def, r.name!, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${o.metadata.uid ?? ''}`);
    }
    if (typeof resourceVersion === 'string' && resourceVersion !== '' && resourceVersion !== o.metadata.resourceVersion) {
      throw conflict(
        r.def,
        r.name!,
        `Precondition failed: ResourceVersion in precondition: ${resourceVersion}, ResourceVersion in object meta: ${o.metadata.resourceVersion ?? ''}`,
      );
    }
  }
  admitDelete(ctx, r.def, o);
  if (isDryRun(r.query, opts)) return { code: 200, encoded: encodeObject(r.def, o, { kind: 'json' }, Date.now()) };
  const grace = r.def === pods ? podDeletionGrace(o, opts) : 0;
  if (grace > 0) {
    const marked = markDeleting(o, grace, Date.now());
    const stored = marked ? ctx.store.write(resourceKey(r.def), marked) : o;
    return { code: 200, encoded: encodeObject(r.def, stored, { kind: 'json' }, Date.now()) };
  }
  const gone = removeOne(ctx, r.def, o);
  return { code: 200, encoded: encodeObject(r.def, gone, { kind: 'json' }, Date.now()) };
}

export function deleteCollection(ctx: HandlerContext, r: ResourceRequest, raw: Buffer, contentType: string | undefined): Answer {
  const opts = parseDeleteOptions(raw, contentType);
  const matches = selectorFor(r.def, r.query);
  const items = ctx.store.list(resourceKey(r.def), r.namespace).filter(matches);
  for (const o of items) admitDelete(ctx, r.def, o);
  const gone = isDryRun(r.query, opts) ? items : items.map((o) => removeOne(ctx, r.def, o));
  return { code: 200, encoded: encodeList(r.def, gone, String(ctx.store.resourceVersion), { kind: 'json' }, Date.now()) };
}

