// Server-side apply and field ownership (metadata.managedFields) for every write. Handlers call
// `recordUpdate` after preparing any create/update and `planApply` for an
// `application/apply-patch+yaml` PATCH; nothing else needs to know how ownership is tracked.
import { parse as parseYaml } from 'yaml';
import type { ManagedFieldsEntry } from 'kubernetes-types/meta/v1';
import type { KubeObject, ResourceDef } from '../resources.js';
import { ApiError, badRequest } from '../status.js';
import { afterUpdate, planApply as plan, type ApplyPlan, type Writer } from './managers.js';

export type { ApplyPlan, Writer } from './managers.js';
export { PathSet, pathString, type FieldsV1, type Path } from './fieldpath.js';

export const APPLY_PATCH_TYPE = 'application/apply-patch+yaml';

const MAX_MANAGER_LENGTH = 128;

function invalidOptions(field: string, message: string): ApiError {
  return new ApiError(422, 'Invalid', `PatchOptions.meta.k8s.io "" is invalid: ${field}: ${message}`, {
    group: 'meta.k8s.io',
    kind: 'PatchOptions',
    name: '',
    causes: [{ reason: message.startsWith('Required') ? 'FieldValueRequired' : 'FieldValueInvalid', message, field }],
  });
}

/**
 * Who is writing: the fieldManager parameter, or (as kube-apiserver does) the User-Agent up to its
 * first '/', e.g. "kubectl" or "berth". Throws 422 for an over-long manager name.
 */
export function managerName(query: URLSearchParams, userAgent: string | undefined): string {
  const given = query.get('fieldManager');
  if (given !== null && given !== '') {
    if (given.length > MAX_MANAGER_LENGTH) {
      throw invalidOptions('fieldManager', `Too long: may not be more than ${MAX_MANAGER_LENGTH} bytes`);
    }
    return given;
  }
  return (userAgent ?? '').split('/')[0]!.slice(0, MAX_MANAGER_LENGTH) || 'unknown';
}

/** RFC 3339 with whole seconds, as managedFields times are written. */
function stamp(now: number): string {
  return new Date(Math.floor(now / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function writer(manager: string, subresource: string | undefined, now: number): Writer {
  return { manager, subresource: subresource ?? '', time: stamp(now) };
}

/** managedFields for an Update-style write (create, PUT, JSON/merge/strategic PATCH). */
export function recordUpdate(def: ResourceDef, old: KubeObject | undefined, next: KubeObject, w: Writer): ManagedFieldsEntry[] | undefined {
  return afterUpdate(def, old, next, w);
}

/** Parses and checks an apply patch body: a YAML or JSON object of the URL's kind and name. */
export function parseApplyBody(def: ResourceDef, raw: Buffer, urlName: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = parseYaml(raw.toString('utf8'));
  } catch (err) {
    throw badRequest(`the apply patch is not valid YAML or JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw badRequest(`an apply patch must be a ${def.kind} object (with apiVersion, kind and metadata.name), not ${Array.isArray(value) ? 'a list' : JSON.stringify(value)}`);
  }
  const o = value as Record<string, unknown>;
  if (typeof o['apiVersion'] !== 'string' || o['apiVersion'] === '') throw badRequest(`the apply patch has no apiVersion: set apiVersion: ${def.apiVersion}`);
  if (typeof o['kind'] !== 'string' || o['kind'] === '') throw badRequest(`the apply patch has no kind: set kind: ${def.kind}`);
  const meta = o['metadata'];
  const m = meta && typeof meta === 'object' && !Array.isArray(meta) ? (meta as Record<string, unknown>) : {};
  if (m['managedFields'] !== undefined && m['managedFields'] !== null) {
    throw badRequest('metadata.managedFields must be nil: an apply configuration lists fields, the server records who manages them');
  }
  const name = m['name'];
  if (name !== undefined && name !== urlName) {
    throw badRequest(`the name in the apply patch (${String(name)}) does not match the name on the URL (${urlName})`);
  }
  return o;
}

/** Checks the PATCH options that belong to apply only; throws 422 as kube does. */
export function checkPatchOptions(isApply: boolean, query: URLSearchParams): boolean {
  const force = query.get('force');
  const forced = force !== null && force.toLowerCase() !== 'false' && force !== '0';
  if (!isApply && force !== null) throw invalidOptions('force', 'Forbidden: may not be specified for non-apply patch');
  if (isApply && !query.get('fieldManager')) throw invalidOptions('fieldManager', 'Required value: is required for apply patch');
  return forced;
}

export function planApply(def: ResourceDef, live: KubeObject | undefined, config: Record<string, unknown>, w: Writer, force: boolean): ApplyPlan {
  return plan(def, live, config, w, force);
}
