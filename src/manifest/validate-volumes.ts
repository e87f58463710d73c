// spec.volumes (upstream ValidateVolumes / validateVolumeSource) plus the static-pod rule that no
// volume may reference an API object. Returns the volume names for the mount checks.
import type { Checker } from './check.js';
import { msg } from './errors.js';
import { FORBIDDEN_PROJECTIONS, FORBIDDEN_VOLUME_SOURCES, VOLUME_SOURCES } from './forbidden.js';
import { isUnset, type JsonObject } from './json.js';
import { dns1123Label, qualifiedName } from './names.js';
import { checkNoBacksteps, checkLocalNonReservedPath } from './validate-paths.js';

const HOST_PATH_TYPES = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'];
const STORAGE_MEDIA = ['', 'Memory', 'HugePages'];
const VOLUME_FIELD_PATHS = ['metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid'];
const VOLUME_RESOURCES = ['limits.cpu', 'limits.ephemeral-storage', 'limits.memory', 'requests.cpu', 'requests.ephemeral-storage', 'requests.memory'];
const SUBSCRIPT_FIELD_PATH = /^metadata\.(labels|annotations)\['(.+)'\]$/;

export const NAME_FIX = "use only lower case letters, digits and '-' (and '.' in metadata.name), starting and ending with a letter or digit";

export function checkVolumes(c: Checker, spec: JsonObject): Set<string> {
  const names = new Set<string>();
  for (const [v, i] of c.objects(spec, 'volumes', 'spec.volumes')) {
    const path = `spec.volumes[${i}]`;
    const name = c.str(v, 'name', `${path}.name`);
    if (name === undefined || name === '') {
      if (isUnset(v.name)) c.add(`${path}.name`, msg.required(), 'give every volume a name');
    } else {
      for (const e of dns1123Label(name)) c.add(`${path}.name`, msg.invalid(name, e), `rename the volume: ${NAME_FIX}`);
      if (names.has(name)) c.add(`${path}.name`, msg.duplicate(name), 'give every volume a different name');
      names.add(name);
    }
    // One source per volume; the second and later ones are reported where they are (as upstream).
    const sources = VOLUME_SOURCES.filter((s) => v[s] !== undefined && v[s] !== null);
    if (sources.length === 0) {
      c.add(path, msg.required('must specify a volume type'), 'add a volume source such as hostPath: {path: /srv/data} or emptyDir: {}');
    }
    sources.forEach((s, n) => {
      if (n > 0) c.add(`${path}.${s}`, msg.forbidden('may not specify more than 1 volume type'), `keep only one of ${sources.join(', ')}`);
      else volumeSource(c, v, s, `${path}.${s}`);
    });
  }
  return names;
}

function volumeSource(c: Checker, v: JsonObject, source: string, path: string): void {
  const forbidden = FORBIDDEN_VOLUME_SOURCES[source];
  if (forbidden) {
    c.add(path, msg.forbidden(`static pods may not reference ${forbidden.what}`), forbidden.fix);
    return;
  }
  const src = c.object(v, source, path);
  if (!src) return;
  if (source === 'hostPath') {
    const p = c.str(src, 'path', `${path}.path`);
    if (p === undefined || p === '') {
      if (isUnset(src.path)) c.add(`${path}.path`, msg.required(), 'set hostPath.path to a directory or file on the host');
      return;
    }
    checkNoBacksteps(c, p, `${path}.path`);
    c.oneOf(src, 'type', `${path}.type`, HOST_PATH_TYPES);
  } else if (source === 'emptyDir') {
    c.oneOf(src, 'medium', `${path}.medium`, STORAGE_MEDIA);
    if (!isUnset(src.sizeLimit)) c.quantity(src.sizeLimit, `${path}.sizeLimit`, 'sizeLimit');
  } else if (source === 'downwardAPI') {
    c.range(src, 'defaultMode', `${path}.defaultMode`, 0, 0o777);
    downwardApiItems(c, src, path);
  } else if (source === 'projected') {
    c.range(src, 'defaultMode', `${path}.defaultMode`, 0, 0o777);
    for (const [proj, i] of c.objects(src, 'sources', `${path}.sources`)) {
      for (const [key, ref] of Object.entries(FORBIDDEN_PROJECTIONS)) {
        if (proj[key] !== undefined && proj[key] !== null) {
          c.add(`${path}.sources[${i}].${key}`, msg.forbidden(`static pods may not reference ${ref.what}`), ref.fix);
        }
      }
      const dapi = c.object(proj, 'downwardAPI', `${path}.sources[${i}].downwardAPI`);
      if (dapi) downwardApiItems(c, dapi, `${path}.sources[${i}].downwardAPI`);
    }
  }
}

function downwardApiItems(c: Checker, src: JsonObject, path: string): void {
  for (const [item, i] of c.objects(src, 'items', `${path}.items`)) {
    const ip = `${path}.items[${i}]`;
    const file = c.str(item, 'path', `${ip}.path`);
    if (file === undefined || file === '') {
      if (isUnset(item.path)) c.add(`${ip}.path`, msg.required(), 'set the file name for this downward API item');
    } else {
      checkLocalNonReservedPath(c, file, `${ip}.path`);
    }
    c.range(item, 'mode', `${ip}.mode`, 0, 0o777);
    const fieldRef = c.object(item, 'fieldRef', `${ip}.fieldRef`);
    const resourceRef = c.object(item, 'resourceFieldRef', `${ip}.resourceFieldRef`);
    if (fieldRef && resourceRef) {
      c.add(ip, msg.invalid('resource', 'fieldRef and resourceFieldRef can not be specified simultaneously'), 'keep either fieldRef or resourceFieldRef');
    } else if (fieldRef) {
      checkFieldRef(c, fieldRef, `${ip}.fieldRef`, VOLUME_FIELD_PATHS);
    } else if (resourceRef) {
      const resource = c.str(resourceRef, 'resource', `${ip}.resourceFieldRef.resource`);
      if (resource === undefined || resource === '') c.add(`${ip}.resourceFieldRef.resource`, msg.required(), 'set resource, e.g. limits.memory');
      else if (!VOLUME_RESOURCES.includes(resource)) c.add(`${ip}.resourceFieldRef.resource`, msg.unsupported(resource, VOLUME_RESOURCES), `use one of ${VOLUME_RESOURCES.join(', ')}`);
    } else {
      c.add(ip, msg.required('one of fieldRef and resourceFieldRef is required'), 'add a fieldRef such as {fieldPath: metadata.labels}');
    }
  }
}

/** A downward API fieldRef (env or volume); `supported` lists the plain paths allowed there. */
export function checkFieldRef(c: Checker, ref: JsonObject, path: string, supported: readonly string[]): void {
  const apiVersion = c.str(ref, 'apiVersion', `${path}.apiVersion`);
  if (apiVersion !== undefined && apiVersion !== '' && apiVersion !== 'v1') {
    c.add(`${path}.apiVersion`, msg.unsupported(apiVersion, ['v1']), 'set fieldRef.apiVersion to v1 or remove it');
  }
  const fieldPath = c.str(ref, 'fieldPath', `${path}.fieldPath`);
  if (fieldPath === undefined || fieldPath === '') {
    if (isUnset(ref.fieldPath)) c.add(`${path}.fieldPath`, msg.required(), 'set fieldPath, e.g. metadata.name');
    return;
  }
  const sub = SUBSCRIPT_FIELD_PATH.exec(fieldPath);
  if (sub) {
    const key = sub[2]!;
    for (const e of qualifiedName(sub[1] === 'annotations' ? key.toLowerCase() : key)) {
      c.add(`${path}.fieldPath`, msg.invalid(key, e), 'use a valid label or annotation key inside the brackets');
    }
    return;
  }
  if (!supported.includes(fieldPath)) {
    c.add(`${path}.fieldPath`, msg.unsupported(fieldPath, supported), `use one of ${supported.join(', ')}`);
  }
}
