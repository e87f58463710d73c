// Turns a request body into the object to store: checks it against the URL (apiVersion, kind,
// namespace, name), validates what the rest of the server relies on (names, labels, pod
// containers), and fills in what the server owns (uid, creationTimestamp, generation). Updates keep
// what a client may not change, as kube does: identity, and the status when a status subresource
// exists (or everything but the status when writing that subresource).
import { randomBytes, randomUUID } from 'node:crypto';
import type { ObjectMeta as ReadonlyObjectMeta } from 'kubernetes-types/meta/v1';
import type { KubeObject, ResourceDef } from './resources.js';
import { labelKeyError, labelValueError } from './selectors.js';
import { badRequest, conflict, invalid, STALE_RESOURCE_VERSION, type FieldError } from './status.js';

export const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** kubernetes-types marks server-owned fields readonly; the server is the one that sets them. */
type ObjectMeta = { -readonly [K in keyof ReadonlyObjectMeta]: ReadonlyObjectMeta[K] };

const MAX_ANNOTATIONS_BYTES = 256 * 1024;

/** RFC 3339 with whole seconds, as metav1.Time serialises. */
export function nowTimestamp(now = Date.now()): string {
  return new Date(Math.floor(now / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Why a name breaks the resource's naming rule, or undefined. */
export function nameError(def: ResourceDef, name: string): string | undefined {
  switch (def.nameRule) {
    case 'label':
      if (name.length > 63 || !DNS1123_LABEL.test(name)) {
        return `a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', start and end with an alphanumeric character, and be at most 63 characters (e.g. 'my-name')`;
      }
      return undefined;
    case 'subdomain':
      if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
        return `a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com')`;
      }
      return undefined;
    case 'segment':
      if (name === '.' || name === '..' || name.includes('/') || name.includes('%')) return `may not be '.', '..' or contain '/' or '%'`;
      return undefined;
  }
}

function checkTypeMeta(def: ResourceDef, body: Record<string, unknown>): void {
  const av = body['apiVersion'];
  if (av !== undefined && av !== def.apiVersion) {
    throw badRequest(`the API version in the data (${String(av)}) does not match the expected API version (${def.apiVersion})`);
  }
  const kind = body['kind'];
  if (kind !== undefined && kind !== def.kind) {
    throw badRequest(`the kind in the data (${String(kind)}) does not match the expected kind (${def.kind}) for ${def.plural}`);
  }
}

function metadataOf(body: Record<string, unknown>): ObjectMeta {
  const m = body['metadata'];
  if (m === undefined) return {};
  if (!isPlainObject(m)) throw badRequest('metadata must be an object');
  return m as ObjectMeta;
}

function checkNamespace(def: ResourceDef, meta: ObjectMeta, urlNs: string | undefined): void {
  if (!def.namespaced) {
    delete meta.namespace;
    return;
  }
  if (meta.namespace === undefined || meta.namespace === '') meta.namespace = urlNs;
  else if (meta.namespace !== urlNs) {
    throw badRequest(
      `the namespace of the provided object (${meta.namespace}) does not match the namespace sent on the request (${urlNs})`,
    );
  }
}

function validateStringMap(field: string, v: unknown, keys: boolean, values: boolean, errs: FieldError[]): void {
  if (v === undefined || v === null) return;
  if (!isPlainObject(v)) {
    errs.push({ field, reason: 'FieldValueInvalid', message: 'Invalid value: must be a map of string keys to string values' });
    return;
  }
  let bytes = 0;
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string') {
      errs.push({ field: `${field}[${k}]`, reason: 'FieldValueInvalid', message: 'Invalid value: must be a string' });
      continue;
    }
    bytes += k.length + val.length;
    const ke = keys ? labelKeyError(k) : undefined;
    if (ke) errs.push({ field, reason: 'FieldValueInvalid', message: `Invalid value: "${k}": ${ke}` });
    const ve = values ? labelValueError(val) : undefined;
    if (ve) errs.push({ field: `${field}[${k}]`, reason: 'FieldValueInvalid', message: `Invalid value: ${ve}` });
  }
  if (field.endsWith('annotations') && bytes > MAX_ANNOTATIONS_BYTES) {
    errs.push({ field, reason: 'FieldValueTooLong', message: `Too long: must have at most ${MAX_ANNOTATIONS_BYTES} bytes` });
  }
}

function validatePodSpec(spec: unknown, errs: FieldError[]): void {
  if (!isPlainObject(spec)) {
    errs.push({ field: 'spec', reason: 'FieldValueRequired', message: 'Required value' });
    return;
  }
  const seen = new Set<string>();
  for (const list of ['containers', 'initContainers', 'ephemeralContainers'] as const) {
    const cs = spec[list];
    if (cs === undefined && list !== 'containers') continue;
    if (!Array.isArray(cs) || (list === 'containers' && cs.length === 0)) {
      errs.push({ field: `spec.${list}`, reason: 'FieldValueRequired', message: 'Required value: a pod needs at least one container' });
      continue;
    }
    cs.forEach((c, i) => {
      const f = `spec.${list}[${i}].name`;
      const name = isPlainObject(c) ? c['name'] : undefined;
      if (typeof name !== 'string' || name === '') {
        errs.push({ field: f, reason: 'FieldValueRequired', message: 'Required value' });
      } else if (name.length > 63 || !DNS1123_LABEL.test(name)) {
        errs.push({ field: f, reason: 'FieldValueInvalid', message: `Invalid value: "${name}": must be a lowercase RFC 1123 label` });
      } else if (seen.has(name)) {
        errs.push({ field: f, reason: 'FieldValueDuplicate', message: `Duplicate value: "${name}"` });
      } else {
        seen.add(name);
      }
    });
  }
}

function validate(def: ResourceDef, obj: KubeObject, old: KubeObject | undefined): void {
  const errs: FieldError[] = [];
  const name = obj.metadata.name ?? '';
  const ne = nameError(def, name);
  if (ne) errs.push({ field: 'metadata.name', reason: 'FieldValueInvalid', message: `Invalid value: "${name}": ${ne}` });
  validateStringMap('metadata.labels', obj.metadata.labels, true, true, errs);
  validateStringMap('metadata.annotations', obj.metadata.annotations, true, false, errs);
  if (def.plural === 'pods') {
    validatePodSpec(obj['spec'], errs);
    if (old) {
      const before = old.metadata.annotations?.[MIRROR_ANNOTATION];
      const after = obj.metadata.annotations?.[MIRROR_ANNOTATION];
      if (before !== after) {
        errs.push({
          field: `metadata.annotations[${MIRROR_ANNOTATION}]`,
          reason: 'FieldValueInvalid',
          message: `Invalid value: ${JSON.stringify(after ?? null)}: field is immutable`,
        });
      }
    }
  }
  if (errs.length) throw invalid(def.kind, def, name, errs);
}

function randomSuffix(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  const b = randomBytes(5);
  let s = '';
  for (const x of b) s += alphabet[x % alphabet.length];
  return s;
}

/** The object to store for a create (POST). Throws 400/422 ApiErrors. */
export function prepareCreate(def: ResourceDef, body: Record<string, unknown>, urlNs: string | undefined, now: number): KubeObject {
  checkTypeMeta(def, body);
  const meta: ObjectMeta = { ...metadataOf(body) };
  checkNamespace(def, meta, urlNs);
  if (!meta.name) {
    if (meta.generateName) meta.name = meta.generateName + randomSuffix();
    else {
      throw invalid(def.kind, def, '', [
        { field: 'metadata.name', reason: 'FieldValueRequired', message: 'Required value: name or generateName is required' },
      ]);
    }
  }
  meta.uid = randomUUID();
  meta.creationTimestamp = nowTimestamp(now);
  meta.generation = 1;
  delete meta.resourceVersion;
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  delete meta.managedFields;
  delete meta.selfLink;
  const obj: KubeObject = { ...body, apiVersion: def.apiVersion, kind: def.kind, metadata: meta };
  applyDefaults(def, obj);
  validate(def, obj, undefined);
  return obj;
}

function applyDefaults(def: ResourceDef, obj: KubeObject): void {
  if (def.plural === 'pods') {
    const status = isPlainObject(obj['status']) ? { ...obj['status'] } : {};
    if (!status['phase']) status['phase'] = 'Pending';
    obj['status'] = status;
  } else if (def.plural === 'namespaces') {
    const status = isPlainObject(obj['status']) ? { ...obj['status'] } : {};
    if (!status['phase']) status['phase'] = 'Active';
    obj['status'] = status;
  }
}

export interface UpdateTarget {
  def: ResourceDef;
  urlNs: string | undefined;
  urlName: string;
  /** Writing the status subresource: only the status changes. */
  status: boolean;
}

/**
 * The object to store for an update (PUT, or the result of a PATCH) of `old`. Enforces the
 * resourceVersion precondition carried in the body (409 when stale) and keeps immutable fields.
 */
export function prepareUpdate(t: UpdateTarget, body: Record<string, unknown>, old: KubeObject): KubeObject {
  const { def } = t;
  checkTypeMeta(def, body);
  const meta: ObjectMeta = { ...metadataOf(body) };
  checkNamespace(def, meta, t.urlNs);
  if (meta.name === undefined || meta.name === '') meta.name = t.urlName;
  if (meta.name !== t.urlName) {
    throw badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${t.urlName})`);
  }
  if (meta.resourceVersion !== undefined && meta.resourceVersion !== '' && meta.resourceVersion !== old.metadata.resourceVersion) {
    throw conflict(def, t.urlName, STALE_RESOURCE_VERSION);
  }
  if (meta.uid && meta.uid !== old.metadata.uid) {
    throw conflict(def, t.urlName, `Precondition failed: UID in precondition: ${meta.uid}, UID in object meta: ${old.metadata.uid ?? ''}`);
  }
  let next: KubeObject;
  if (t.status) {
    next = { ...old, metadata: old.metadata };
    if (body['status'] === undefined) delete next['status'];
    else next['status'] = body['status'];
  } else {
    const kept: ObjectMeta = {
      ...meta,
      uid: old.metadata.uid,
      creationTimestamp: old.metadata.creationTimestamp,
      generation: old.metadata.generation,
    };
    if (def.namespaced) kept.namespace = old.metadata.namespace;
    if (old.metadata.deletionTimestamp) kept.deletionTimestamp = old.metadata.deletionTimestamp;
    else delete kept.deletionTimestamp;
    delete kept.managedFields;
    delete kept.selfLink;
    next = { ...body, apiVersion: def.apiVersion, kind: def.kind, metadata: kept };
    if (def.statusSubresource) {
      if (old['status'] === undefined) delete next['status'];
      else next['status'] = old['status'];
    }
    if (JSON.stringify(next['spec']) !== JSON.stringify(old['spec'])) {
      kept.generation = (old.metadata.generation ?? 0) + 1;
    }
  }
  validate(def, next, old);
  return next;
}

/** True when `next` says nothing new (kube then skips the write: no new resourceVersion, no event). */
export function unchanged(next: KubeObject, old: KubeObject): boolean {
  const strip = (o: KubeObject) => JSON.stringify({ ...o, metadata: { ...o.metadata, resourceVersion: undefined } });
  return strip(next) === strip(old);
}

