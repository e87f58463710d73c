// Validation of a decoded static pod: the part of upstream ValidatePodCreate that matters for a
// node agent, plus the static-pod rule that no API object may be referenced. Every check appends
// to one list so that a file's problems are all reported at once, not one per edit.
import type { ManifestProblem } from './problem.js';
import { msg, ProblemList } from './errors.js';
import { FORBIDDEN_PROJECTIONS, FORBIDDEN_VOLUME_SOURCES, VOLUME_SOURCES } from './forbidden.js';
import { isObject, isUnset, type JsonObject } from './json.js';
import {
  DNS1123_SUBDOMAIN_MAX,
  dns1123Label,
  dns1123Subdomain,
  envVarName,
  labelValue,
  portName,
  qualifiedName,
} from './names.js';
import { parseQuantity, QUANTITY_REGEX_TEXT } from './quantity.js';

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'] as const;
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'] as const;
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'] as const;
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'] as const;
const TERMINATION_MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'] as const;
const HOST_PATH_TYPES = ['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice'];
const STANDARD_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage', 'storage', 'pods']);
const MAX_ANNOTATIONS_BYTES = 256 * 1024;
const ENV_FIELD_PATHS = [
  'metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.serviceAccountName',
  'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs',
];
const ENV_RESOURCES = ['limits.cpu', 'limits.memory', 'requests.cpu', 'requests.memory'];
const VOLUME_FIELD_PATHS = ['metadata.name', 'metadata.namespace', 'metadata.uid', 'metadata.labels', 'metadata.annotations'];
const SUBSCRIPT_FIELD_PATH = /^metadata\.(labels|annotations)\['(.+)'\]$/;

const NAME_FIX = "use only lower case letters, digits and '-' (and '.' in metadata.name), starting and ending with a letter or digit";

/** Full validation of a decoded pod object (unknown input); field paths relative to the object. */
export function validatePod(pod: unknown, origin: string): ManifestProblem[] {
  return validatePodAt(pod, origin, '');
}

/** As validatePod, with every field path prefixed (e.g. `items[3]` inside a PodList). */
export function validatePodAt(pod: unknown, origin: string, prefix: string): ManifestProblem[] {
  const p = new ProblemList(origin, 'FailedValidation', prefix);
  new PodValidator(p).pod(pod);
  return p.items;
}

class PodValidator {
  private readonly hostPorts = new Map<string, string>();
  private volumeNames = new Set<string>();

  constructor(private readonly p: ProblemList) {}

  pod(pod: unknown): void {
    if (!isObject(pod)) {
      this.p.add('', msg.invalid(pod, 'must be an object'), 'write the manifest as a single Pod object');
      return;
    }
    this.metadata(pod.metadata);
    if (pod.spec === undefined || pod.spec === null) {
      this.p.add('spec', msg.required(), 'add a spec with at least one container');
    } else if (!isObject(pod.spec)) {
      this.p.add('spec', msg.invalid(pod.spec, 'must be an object'), 'make spec a mapping with a containers list');
    } else {
      this.spec(pod.spec);
    }
  }

  // ---- helpers -------------------------------------------------------------------------------

  /** A string field; reports a wrong type and returns undefined for unset or wrong-typed values. */
  private str(obj: JsonObject, key: string, path: string): string | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') {
      this.p.add(path, msg.invalid(v, 'must be a string'), `put the ${key} value in quotes so that YAML reads it as a string`);
      return undefined;
    }
    return v;
  }

  /** An integer field; reports wrong types and values below `min` / above `max`. */
  private int(obj: JsonObject, key: string, path: string, min?: number, max?: number): number | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      this.p.add(path, msg.invalid(v, 'must be an integer'), `set ${key} to a whole number`);
      return undefined;
    }
    if (min !== undefined && max !== undefined && (v < min || v > max)) {
      this.p.add(path, msg.invalid(v, `must be between ${min} and ${max}, inclusive`), `set ${key} to a number from ${min} to ${max}`);
    } else if (min !== undefined && v < min) {
      this.p.add(path, msg.invalid(v, `must be greater than or equal to ${min}`), `set ${key} to ${min} or more`);
    }
    return v;
  }

  private bool(obj: JsonObject, key: string, path: string): void {
    const v = obj[key];
    if (v !== undefined && v !== null && typeof v !== 'boolean') {
      this.p.add(path, msg.invalid(v, 'must be a boolean'), `set ${key} to true or false`);
    }
  }

  private oneOf(obj: JsonObject, key: string, path: string, supported: readonly string[]): void {
    const v = this.str(obj, key, path);
    if (v !== undefined && v !== '' && !supported.includes(v)) {
      this.p.add(path, msg.unsupported(v, supported), `set ${key} to one of ${supported.filter(Boolean).join(', ')}`);
    }
  }

  private stringList(obj: JsonObject, key: string, path: string): void {
    const v = obj[key];
    if (v === undefined || v === null) return;
    if (!Array.isArray(v)) {
      this.p.add(path, msg.invalid(v, 'must be a list of strings'), `write ${key} as a YAML list, e.g. ["sh", "-c", "..."]`);
      return;
    }
    v.forEach((item, i) => {
      if (typeof item !== 'string') {
        this.p.add(`${path}[${i}]`, msg.invalid(item, 'must be a string'), `quote ${key} item ${i} so that it is a string`);
      }
    });
  }

  /** A list of objects; reports a non-list and each non-object item, returns [item, index] pairs. */
  private objects(obj: JsonObject, key: string, path: string): Array<[JsonObject, number]> {
    const v = obj[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      this.p.add(path, msg.invalid(v, 'must be a list'), `write ${key} as a YAML list of mappings ("- name: ...")`);
      return [];
    }
    const out: Array<[JsonObject, number]> = [];
    v.forEach((item, i) => {
      if (isObject(item)) out.push([item, i]);
      else this.p.add(`${path}[${i}]`, msg.invalid(item, 'must be an object'), `make each ${key} item a mapping`);
    });
    return out;
  }

  /** An optional nested object; reports a wrong type. */
  private object(obj: JsonObject, key: string, path: string): JsonObject | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (!isObject(v)) {
      this.p.add(path, msg.invalid(v, 'must be an object'), `make ${key} a mapping`);
      return undefined;
    }
    return v;
  }

  // ---- metadata ------------------------------------------------------------------------------

  private metadata(meta: unknown): void {
    if (meta === undefined || meta === null) {
      this.p.add('metadata.name', msg.required(), 'add metadata.name (static pods must be named)');
      return;
    }
    if (!isObject(meta)) {
      this.p.add('metadata', msg.invalid(meta, 'must be an object'), 'make metadata a mapping with a name');
      return;
    }
    const name = this.str(meta, 'name', 'metadata.name');
    if (name === undefined || name === '') {
      if (meta.name === undefined || meta.name === null || meta.name === '') {
        this.p.add('metadata.name', msg.required(), 'add metadata.name (static pods must be named)');
      }
    } else {
      for (const e of dns1123Subdomain(name)) {
        const fix =
          name.length > DNS1123_SUBDOMAIN_MAX
            ? `shorten metadata.name (Berth appends "-<node name>" to it; the total may be at most ${DNS1123_SUBDOMAIN_MAX} characters)`
            : `rename the pod: ${NAME_FIX}`;
        this.p.add('metadata.name', msg.invalid(name, e), fix);
      }
    }
    const ns = this.str(meta, 'namespace', 'metadata.namespace');
    if (ns !== undefined && ns !== '') {
      for (const e of dns1123Label(ns)) this.p.add('metadata.namespace', msg.invalid(ns, e), `set metadata.namespace to a valid name: ${NAME_FIX}`);
    }
    this.str(meta, 'uid', 'metadata.uid');
    this.labels(meta);
    this.annotations(meta);
  }

  private labels(meta: JsonObject): void {
    const labels = this.object(meta, 'labels', 'metadata.labels');
    if (!labels) return;
    for (const [k, v] of Object.entries(labels)) {
      for (const e of qualifiedName(k)) {
        this.p.add('metadata.labels', msg.invalid(k, e), `rename label key "${k}": optional "prefix/" then at most 63 letters, digits, '-', '_' or '.'`);
      }
      if (v === null) continue;
      if (typeof v !== 'string') {
        this.p.add(`metadata.labels`, msg.invalid(v, 'must be a string'), `quote the value of label "${k}"`);
        continue;
      }
      for (const e of labelValue(v)) {
        this.p.add('metadata.labels', msg.invalid(v, e), `change the value of label "${k}" to at most 63 letters, digits, '-', '_' or '.' (or empty)`);
      }
    }
  }

  private annotations(meta: JsonObject): void {
    const annotations = this.object(meta, 'annotations', 'metadata.annotations');
    if (!annotations) return;
    let total = 0;
    for (const [k, v] of Object.entries(annotations)) {
      for (const e of qualifiedName(k.toLowerCase())) {
        this.p.add('metadata.annotations', msg.invalid(k, e), `rename annotation key "${k}": optional "prefix/" then at most 63 letters, digits, '-', '_' or '.'`);
      }
      if (v !== null && typeof v !== 'string') {
        this.p.add('metadata.annotations', msg.invalid(v, 'must be a string'), `quote the value of annotation "${k}"`);
        continue;
      }
      total += k.length + (v?.length ?? 0);
    }
    if (total > MAX_ANNOTATIONS_BYTES) {
      this.p.add('metadata.annotations', msg.tooLong(MAX_ANNOTATIONS_BYTES), 'move large data out of annotations into a file on the host');
    }
  }

  // ---- spec ----------------------------------------------------------------------------------

  private spec(spec: JsonObject): void {
    this.volumes(spec);
    const hostNetwork = spec.hostNetwork === true;
    this.bool(spec, 'hostNetwork', 'spec.hostNetwork');

    const seen = new Map<string, string>();
    const init = this.objects(spec, 'initContainers', 'spec.initContainers');
    for (const [c, i] of init) this.container(c, `spec.initContainers[${i}]`, seen, hostNetwork, true);
    const containers = this.objects(spec, 'containers', 'spec.containers');
    if (containers.length === 0 && (!Array.isArray(spec.containers) || spec.containers.length === 0)) {
      this.p.add('spec.containers', msg.required(), 'add at least one container under spec.containers');
    }
    for (const [c, i] of containers) this.container(c, `spec.containers[${i}]`, seen, hostNetwork, false);
    if (Array.isArray(spec.ephemeralContainers) && spec.ephemeralContainers.length > 0) {
      this.p.add('spec.ephemeralContainers', msg.forbidden('cannot be set on create'), 'remove spec.ephemeralContainers');
    }

    this.oneOf(spec, 'restartPolicy', 'spec.restartPolicy', RESTART_POLICIES);
    this.oneOf(spec, 'dnsPolicy', 'spec.dnsPolicy', DNS_POLICIES);
    if (spec.dnsPolicy === 'None') {
      const cfg = isObject(spec.dnsConfig) ? spec.dnsConfig : undefined;
      if (!cfg || !Array.isArray(cfg.nameservers) || cfg.nameservers.length === 0) {
        this.p.add('spec.dnsConfig.nameservers', msg.required('must provide at least one DNS nameserver when `dnsPolicy` is None'), 'add spec.dnsConfig.nameservers or use another dnsPolicy');
      }
    }
    this.int(spec, 'terminationGracePeriodSeconds', 'spec.terminationGracePeriodSeconds', 0);
    this.int(spec, 'activeDeadlineSeconds', 'spec.activeDeadlineSeconds', 1);
    this.str(spec, 'nodeName', 'spec.nodeName');

    for (const key of ['serviceAccountName', 'serviceAccount']) {
      const v = spec[key];
      if (!isUnset(v)) {
        this.p.add(`spec.${key}`, msg.forbidden('static pods may not reference a service account'), `remove ${key}; static pods run without API credentials`);
      }
    }
    if (Array.isArray(spec.resourceClaims) && spec.resourceClaims.length > 0) {
      this.p.add('spec.resourceClaims', msg.forbidden('static pods may not reference resourceclaims'), 'remove spec.resourceClaims; static pods cannot use dynamic resource allocation');
    }
  }

  // ---- volumes -------------------------------------------------------------------------------

  private volumes(spec: JsonObject): void {
    const names = new Set<string>();
    for (const [v, i] of this.objects(spec, 'volumes', 'spec.volumes')) {
      const path = `spec.volumes[${i}]`;
      const name = this.str(v, 'name', `${path}.name`);
      if (name === undefined || name === '') {
        if (isUnset(v.name)) this.p.add(`${path}.name`, msg.required(), 'give every volume a name');
      } else {
        for (const e of dns1123Label(name)) this.p.add(`${path}.name`, msg.invalid(name, e), `rename the volume: ${NAME_FIX}`);
        if (names.has(name)) this.p.add(`${path}.name`, msg.duplicate(name), 'give every volume a different name');
        names.add(name);
      }
      const sources = VOLUME_SOURCES.filter((s) => v[s] !== undefined && v[s] !== null);
      if (sources.length === 0) {
        this.p.add(path, msg.required('must specify a volume type'), 'add a volume source such as hostPath: {path: /srv/data} or emptyDir: {}');
      } else if (sources.length > 1) {
        this.p.add(path, msg.forbidden('may not specify more than 1 volume type'), `keep only one of ${sources.join(', ')}`);
      }
      for (const s of sources) this.volumeSource(v, s, `${path}.${s}`);
    }
    this.volumeNames = names;
  }

  private volumeSource(v: JsonObject, source: string, path: string): void {
    const forbidden = FORBIDDEN_VOLUME_SOURCES[source];
    if (forbidden) {
      this.p.add(path, msg.forbidden(`static pods may not reference ${forbidden.what}`), forbidden.fix);
      return;
    }
    const src = this.object(v, source, path);
    if (!src) return;
    if (source === 'hostPath') {
      const p = this.str(src, 'path', `${path}.path`);
      if (p === undefined || p === '') {
        if (isUnset(src.path)) this.p.add(`${path}.path`, msg.required(), 'set hostPath.path to a directory or file on the host');
      }
      this.oneOf(src, 'type', `${path}.type`, HOST_PATH_TYPES);
    } else if (source === 'emptyDir') {
      this.oneOf(src, 'medium', `${path}.medium`, ['', 'Memory', 'HugePages']);
      if (src.sizeLimit !== undefined && src.sizeLimit !== null) this.quantity(src.sizeLimit, `${path}.sizeLimit`, 'sizeLimit');
    } else if (source === 'downwardAPI') {
      this.int(src, 'defaultMode', `${path}.defaultMode`, 0, 0o777);
      for (const [item, i] of this.objects(src, 'items', `${path}.items`)) {
        const ip = `${path}.items[${i}]`;
        const file = this.str(item, 'path', `${ip}.path`);
        if (file === undefined || file === '') {
          if (isUnset(item.path)) this.p.add(`${ip}.path`, msg.required(), 'set the file name for this downward API item');
        } else if (file.startsWith('/') || file.split('/').includes('..')) {
          this.p.add(`${ip}.path`, msg.invalid(file, "must be a relative path without '..'"), 'use a relative file name such as "labels"');
        }
        const fieldRef = this.object(item, 'fieldRef', `${ip}.fieldRef`);
        if (fieldRef) this.fieldRef(fieldRef, `${ip}.fieldRef`, VOLUME_FIELD_PATHS);
        else if (isUnset(item.resourceFieldRef)) {
          this.p.add(ip, msg.required('one of fieldRef and resourceFieldRef is required'), 'add a fieldRef such as {fieldPath: metadata.labels}');
        }
      }
    } else if (source === 'projected') {
      for (const [proj, i] of this.objects(src, 'sources', `${path}.sources`)) {
        for (const [key, ref] of Object.entries(FORBIDDEN_PROJECTIONS)) {
          if (proj[key] !== undefined && proj[key] !== null) {
            this.p.add(`${path}.sources[${i}].${key}`, msg.forbidden(`static pods may not reference ${ref.what}`), ref.fix);
          }
        }
      }
    }
  }

  // ---- containers ----------------------------------------------------------------------------

  private container(c: JsonObject, path: string, seen: Map<string, string>, hostNetwork: boolean, isInit: boolean): void {
    const name = this.str(c, 'name', `${path}.name`);
    if (name === undefined || name === '') {
      if (isUnset(c.name)) this.p.add(`${path}.name`, msg.required(), 'give every container a name');
    } else {
      for (const e of dns1123Label(name)) this.p.add(`${path}.name`, msg.invalid(name, e), `rename the container: ${NAME_FIX}`);
      const first = seen.get(name);
      if (first !== undefined) {
        this.p.add(`${path}.name`, msg.duplicate(name), `rename this container; ${first} already uses the name "${name}"`);
      } else {
        seen.set(name, `${path}.name`);
      }
    }
    this.str(c, 'image', `${path}.image`);
    this.stringList(c, 'command', `${path}.command`);
    this.stringList(c, 'args', `${path}.args`);
    this.str(c, 'workingDir', `${path}.workingDir`);
    this.oneOf(c, 'imagePullPolicy', `${path}.imagePullPolicy`, PULL_POLICIES);
    this.oneOf(c, 'terminationMessagePolicy', `${path}.terminationMessagePolicy`, TERMINATION_MESSAGE_POLICIES);
    this.str(c, 'terminationMessagePath', `${path}.terminationMessagePath`);
    if (isInit) {
      this.oneOf(c, 'restartPolicy', `${path}.restartPolicy`, ['Always']);
    } else if (!isUnset(c.restartPolicy)) {
      this.p.add(`${path}.restartPolicy`, msg.forbidden('may not be set for non-init containers'), 'remove the container restartPolicy; use spec.restartPolicy');
    }
    this.ports(c, path, hostNetwork);
    this.env(c, path);
    this.envFrom(c, path);
    this.resources(c, path);
    this.volumeMounts(c, path);
    for (const kind of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
      const probe = this.object(c, kind, `${path}.${kind}`);
      if (probe) this.probe(probe, `${path}.${kind}`, kind);
    }
  }

  private ports(c: JsonObject, path: string, hostNetwork: boolean): void {
    const names = new Set<string>();
    for (const [port, i] of this.objects(c, 'ports', `${path}.ports`)) {
      const pp = `${path}.ports[${i}]`;
      const name = this.str(port, 'name', `${pp}.name`);
      if (name !== undefined && name !== '') {
        for (const e of portName(name)) this.p.add(`${pp}.name`, msg.invalid(name, e), 'use a port name of at most 15 lower case letters, digits and single hyphens, with at least one letter');
        if (names.has(name)) this.p.add(`${pp}.name`, msg.duplicate(name), 'give every port of a container a different name');
        names.add(name);
      }
      if (isUnset(port.containerPort) || port.containerPort === 0) {
        this.p.add(`${pp}.containerPort`, msg.required(), 'set containerPort to the port the process listens on (1-65535)');
      }
      const containerPort = this.int(port, 'containerPort', `${pp}.containerPort`, port.containerPort === 0 ? undefined : 1, port.containerPort === 0 ? undefined : 65535);
      const hostPort = this.int(port, 'hostPort', `${pp}.hostPort`, 0, 65535);
      this.oneOf(port, 'protocol', `${pp}.protocol`, PROTOCOLS);
      const hostIP = this.str(port, 'hostIP', `${pp}.hostIP`) ?? '';
      if (hostNetwork && hostPort !== undefined && hostPort !== 0 && containerPort !== undefined && hostPort !== containerPort) {
        this.p.add(`${pp}.hostPort`, msg.invalid(hostPort, 'must match `containerPort` when `hostNetwork` is true'), 'remove hostPort or make it equal to containerPort');
      }
      if (hostPort !== undefined && hostPort > 0 && hostPort <= 65535) {
        const protocol = typeof port.protocol === 'string' && port.protocol !== '' ? port.protocol : 'TCP';
        const key = `${hostPort}/${protocol}`;
        const slot = `${hostIP}|${key}`;
        const first = this.hostPorts.get(slot);
        if (first !== undefined) this.p.add(`${pp}.hostPort`, msg.duplicate(key), `use another hostPort; ${first} already uses ${key}`);
        else this.hostPorts.set(slot, `${pp}.hostPort`);
      }
    }
  }

  private env(c: JsonObject, path: string): void {
    for (const [env, i] of this.objects(c, 'env', `${path}.env`)) {
      const ep = `${path}.env[${i}]`;
      const name = this.str(env, 'name', `${ep}.name`);
      if (name === undefined || name === '') {
        if (isUnset(env.name)) this.p.add(`${ep}.name`, msg.required(), 'give every environment variable a name');
      } else {
        for (const e of envVarName(name)) this.p.add(`${ep}.name`, msg.invalid(name, e), 'rename the variable: letters, digits, "_", "-" or ".", not starting with a digit');
      }
      const value = this.str(env, 'value', `${ep}.value`);
      const from = this.object(env, 'valueFrom', `${ep}.valueFrom`);
      if (!from) continue;
      if (value !== undefined && value !== '') {
        this.p.add(`${ep}.valueFrom`, msg.invalid('', 'may not be specified when `value` is not empty'), 'keep either value or valueFrom, not both');
      }
      const kinds = ['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef', 'fileKeyRef'].filter((k) => !isUnset(from[k]));
      if (kinds.length === 0) {
        this.p.add(`${ep}.valueFrom`, msg.required('must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'), 'add valueFrom.fieldRef (e.g. fieldPath: metadata.name) or use value');
      } else if (kinds.length > 1) {
        this.p.add(`${ep}.valueFrom`, msg.invalid('', 'may not have more than one field specified at a time'), `keep only one of ${kinds.join(', ')}`);
      }
      if (!isUnset(from.configMapKeyRef)) {
        this.p.add(`${ep}.valueFrom.configMapKeyRef`, msg.forbidden('static pods may not reference configmaps'), 'set the value directly with value: instead of configMapKeyRef');
      }
      if (!isUnset(from.secretKeyRef)) {
        this.p.add(`${ep}.valueFrom.secretKeyRef`, msg.forbidden('static pods may not reference secrets'), 'set the value directly, or have the process read it from a hostPath file');
      }
      const resourceRef = this.object(from, 'resourceFieldRef', `${ep}.valueFrom.resourceFieldRef`);
      if (resourceRef) this.resourceFieldRef(resourceRef, `${ep}.valueFrom.resourceFieldRef`);
      if (!isUnset(from.fileKeyRef)) {
        this.p.add(`${ep}.valueFrom.fileKeyRef`, msg.forbidden('not supported by Berth for static pods'), 'set the value directly with value:');
      }
      const fieldRef = this.object(from, 'fieldRef', `${ep}.valueFrom.fieldRef`);
      if (fieldRef) this.fieldRef(fieldRef, `${ep}.valueFrom.fieldRef`, ENV_FIELD_PATHS);
    }
  }

  private fieldRef(ref: JsonObject, path: string, supported: readonly string[]): void {
    const apiVersion = this.str(ref, 'apiVersion', `${path}.apiVersion`);
    if (apiVersion !== undefined && apiVersion !== '' && apiVersion !== 'v1') {
      this.p.add(`${path}.apiVersion`, msg.unsupported(apiVersion, ['v1']), 'set fieldRef.apiVersion to v1 or remove it');
    }
    const fieldPath = this.str(ref, 'fieldPath', `${path}.fieldPath`);
    if (fieldPath === undefined || fieldPath === '') {
      if (isUnset(ref.fieldPath)) this.p.add(`${path}.fieldPath`, msg.required(), 'set fieldPath, e.g. metadata.name');
      return;
    }
    const sub = SUBSCRIPT_FIELD_PATH.exec(fieldPath);
    if (sub) {
      const key = sub[2]!;
      for (const e of qualifiedName(sub[1] === 'annotations' ? key.toLowerCase() : key)) {
        this.p.add(`${path}.fieldPath`, msg.invalid(key, e), 'use a valid label or annotation key inside the brackets');
      }
      return;
    }
    if (!supported.includes(fieldPath)) {
      this.p.add(`${path}.fieldPath`, msg.unsupported(fieldPath, supported), `use one of ${supported.join(', ')}`);
    }
  }

  /** The runtime resolves requests/limits of cpu and memory (src/runtime/env.ts); nothing else. */
  private resourceFieldRef(ref: JsonObject, path: string): void {
    const resource = this.str(ref, 'resource', `${path}.resource`);
    if (resource === undefined || resource === '') {
      if (isUnset(ref.resource)) this.p.add(`${path}.resource`, msg.required(), 'set resource, e.g. limits.memory');
    } else if (!ENV_RESOURCES.includes(resource)) {
      this.p.add(`${path}.resource`, msg.unsupported(resource, ENV_RESOURCES), `use one of ${ENV_RESOURCES.join(', ')}`);
    }
    this.str(ref, 'containerName', `${path}.containerName`);
    if (!isUnset(ref.divisor)) {
      const q = this.quantity(ref.divisor, `${path}.divisor`, 'divisor');
      if (q === 0) this.p.add(`${path}.divisor`, msg.invalid(ref.divisor, 'must be greater than 0'), 'use a positive divisor such as 1, 1m or 1Mi');
    }
  }

  private envFrom(c: JsonObject, path: string): void {
    for (const [src, i] of this.objects(c, 'envFrom', `${path}.envFrom`)) {
      const sp = `${path}.envFrom[${i}]`;
      if (!isUnset(src.configMapRef)) {
        this.p.add(`${sp}.configMapRef`, msg.forbidden('static pods may not reference configmaps'), 'list the variables under env with value: instead of envFrom');
      }
      if (!isUnset(src.secretRef)) {
        this.p.add(`${sp}.secretRef`, msg.forbidden('static pods may not reference secrets'), 'list the variables under env with value:, or have the process read them from a hostPath file');
      }
      if (isUnset(src.configMapRef) && isUnset(src.secretRef)) {
        this.p.add(sp, msg.required('must specify one of: `configMapRef` or `secretRef`'), 'remove this envFrom item');
      }
    }
  }

  private quantity(value: unknown, path: string, what: string): number | undefined {
    const q = parseQuantity(value);
    if (q === undefined) {
      this.p.add(path, msg.invalid(value, `quantities must match the regular expression '${QUANTITY_REGEX_TEXT}'`), `write ${what} as a quantity such as 500m, 2, 128Mi or 1Gi`);
      return undefined;
    }
    if (q < 0) {
      this.p.add(path, msg.invalid(value, 'must be greater than or equal to 0'), `make ${what} zero or positive`);
      return undefined;
    }
    return q;
  }

  private resources(c: JsonObject, path: string): void {
    const res = this.object(c, 'resources', `${path}.resources`);
    if (!res) return;
    const parsed: Record<'limits' | 'requests', Map<string, number>> = { limits: new Map(), requests: new Map() };
    for (const kind of ['limits', 'requests'] as const) {
      const list = this.object(res, kind, `${path}.resources.${kind}`);
      if (!list) continue;
      for (const [name, value] of Object.entries(list)) {
        const rp = `${path}.resources.${kind}[${name}]`;
        if (!STANDARD_RESOURCES.has(name) && !name.startsWith('hugepages-') && !name.includes('/')) {
          this.p.add(rp, msg.invalid(name, 'must be a standard resource type or fully qualified'), 'use cpu, memory, ephemeral-storage, hugepages-<size> or a domain-qualified name such as example.com/gpu');
        }
        const q = this.quantity(value, rp, `${kind}.${name}`);
        if (q !== undefined) parsed[kind].set(name, q);
      }
    }
    for (const [name, request] of parsed.requests) {
      const limit = parsed.limits.get(name);
      if (limit !== undefined && request > limit) {
        const shown = (res.limits as JsonObject)[name];
        this.p.add(`${path}.resources.requests[${name}]`, msg.invalid((res.requests as JsonObject)[name], `must be less than or equal to ${name} limit of ${String(shown)}`), `lower the ${name} request or raise the ${name} limit`);
      }
    }
    if (Array.isArray(res.claims) && res.claims.length > 0) {
      this.p.add(`${path}.resources.claims`, msg.forbidden('static pods may not reference resourceclaims'), 'remove resources.claims');
    }
  }

  private volumeMounts(c: JsonObject, path: string): void {
    const mountPaths = new Set<string>();
    for (const [m, i] of this.objects(c, 'volumeMounts', `${path}.volumeMounts`)) {
      const mp = `${path}.volumeMounts[${i}]`;
      const name = this.str(m, 'name', `${mp}.name`);
      if (name === undefined || name === '') {
        if (isUnset(m.name)) this.p.add(`${mp}.name`, msg.required(), 'set the name of the volume to mount');
      } else if (!this.volumeNames.has(name)) {
        this.p.add(`${mp}.name`, msg.notFound(name), `add a volume named "${name}" under spec.volumes or fix the name`);
      }
      const mountPath = this.str(m, 'mountPath', `${mp}.mountPath`);
      if (mountPath === undefined || mountPath === '') {
        if (isUnset(m.mountPath)) this.p.add(`${mp}.mountPath`, msg.required(), 'set mountPath to where the volume appears in the container');
      } else {
        if (mountPaths.has(mountPath)) this.p.add(`${mp}.mountPath`, msg.invalid(mountPath, 'must be unique'), 'mount each path only once per container');
        mountPaths.add(mountPath);
      }
      this.bool(m, 'readOnly', `${mp}.readOnly`);
      this.str(m, 'subPath', `${mp}.subPath`);
    }
  }

  private probe(probe: JsonObject, path: string, kind: 'livenessProbe' | 'readinessProbe' | 'startupProbe'): void {
    const handlers = ['exec', 'httpGet', 'tcpSocket', 'grpc'].filter((h) => !isUnset(probe[h]));
    if (handlers.length === 0) {
      this.p.add(path, msg.required('must specify a handler type'), 'add one of exec, httpGet, tcpSocket or grpc to the probe');
    } else if (handlers.length > 1) {
      this.p.add(path, msg.forbidden('may not specify more than 1 handler type'), `keep only one of ${handlers.join(', ')}`);
    }
    this.int(probe, 'initialDelaySeconds', `${path}.initialDelaySeconds`, 0);
    this.int(probe, 'timeoutSeconds', `${path}.timeoutSeconds`, 0);
    this.int(probe, 'periodSeconds', `${path}.periodSeconds`, 0);
    this.int(probe, 'failureThreshold', `${path}.failureThreshold`, 0);
    this.int(probe, 'terminationGracePeriodSeconds', `${path}.terminationGracePeriodSeconds`, 1);
    const success = this.int(probe, 'successThreshold', `${path}.successThreshold`, 0);
    if (kind !== 'readinessProbe' && success !== undefined && success !== 1) {
      this.p.add(`${path}.successThreshold`, msg.invalid(success, 'must be 1'), 'set successThreshold to 1 (only readiness probes may use another value)');
    }
    const exec = this.object(probe, 'exec', `${path}.exec`);
    if (exec) {
      if (!Array.isArray(exec.command) || exec.command.length === 0) {
        this.p.add(`${path}.exec.command`, msg.required(), 'set exec.command to the command to run, e.g. ["cat", "/tmp/healthy"]');
      } else {
        this.stringList(exec, 'command', `${path}.exec.command`);
      }
    }
    for (const h of ['httpGet', 'tcpSocket'] as const) {
      const action = this.object(probe, h, `${path}.${h}`);
      if (action) this.probePort(action.port, `${path}.${h}.port`);
    }
    const httpGet = isObject(probe.httpGet) ? probe.httpGet : undefined;
    if (httpGet) this.oneOf(httpGet, 'scheme', `${path}.httpGet.scheme`, ['HTTP', 'HTTPS']);
    const grpc = this.object(probe, 'grpc', `${path}.grpc`);
    if (grpc) {
      if (isUnset(grpc.port)) this.p.add(`${path}.grpc.port`, msg.required(), 'set grpc.port to the port number');
      else this.int(grpc, 'port', `${path}.grpc.port`, 1, 65535);
    }
  }

  private probePort(port: unknown, path: string): void {
    if (isUnset(port)) {
      this.p.add(path, msg.required(), 'set the port to probe: a number or the name of a container port');
    } else if (typeof port === 'number') {
      if (!Number.isInteger(port) || port < 1 || port > 65535) {
        this.p.add(path, msg.invalid(port, 'must be between 1 and 65535, inclusive'), 'use a port number from 1 to 65535');
      }
    } else if (typeof port === 'string') {
      if (!/^[0-9]+$/.test(port)) {
        for (const e of portName(port)) this.p.add(path, msg.invalid(port, e), 'use a port number or the name of a container port');
      }
    } else {
      this.p.add(path, msg.invalid(port, 'must be a number or a port name'), 'use a port number or the name of a container port');
    }
  }
}
