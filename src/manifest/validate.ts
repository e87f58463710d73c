// Validation of a decoded static pod as upstream ValidatePodCreate does it (the kubelet runs it on
// every static pod, pkg/kubelet/config/common.go), in upstream's order, field paths and wording,
// plus the static-pod rule that no API object may be referenced. Every check appends to one list so
// that a file's problems are all reported at once, not one per edit.
import { isIP } from 'node:net';
import { Checker, inclusiveRange } from './check.js';
import { msg, ProblemList } from './errors.js';
import { isObject, isUnset, type JsonObject } from './json.js';
import { DNS1123_SUBDOMAIN_MAX, dns1123Label, dns1123Subdomain, labelValue, qualifiedName } from './names.js';
import type { ManifestProblem } from './problem.js';
import { checkAffinity } from './validate-affinity.js';
import { checkContainer, type ContainerContext } from './validate-container.js';
import { checkPodSecurityContext } from './validate-security.js';
import { checkTopologySpreadConstraints } from './validate-topology-spread.js';
import { checkVolumes, NAME_FIX } from './validate-volumes.js';

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const TOLERATION_OPERATORS = ['Equal', 'Exists'];
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const MAX_ANNOTATIONS_BYTES = 256 * 1024;
const MAX_DNS_NAMESERVERS = 3;
const MAX_DNS_SEARCHES = 32;
const MAX_INT32 = 2147483647;
const DEFAULT_GRACE_SECONDS = 30;
const DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';
const SECCOMP_POD = 'seccomp.security.alpha.kubernetes.io/pod';
const SECCOMP_CONTAINER = 'container.seccomp.security.alpha.kubernetes.io/';
const APPARMOR_CONTAINER = 'container.apparmor.security.beta.kubernetes.io/';
const PREEMPTION_POLICIES = ['Never', 'PreemptLowerPriority'];
const OS_NAMES = ['linux', 'windows'];

/** Full validation of a decoded pod object (unknown input); field paths relative to the object. */
export function validatePod(pod: unknown, origin: string): ManifestProblem[] {
  return validatePodAt(pod, origin, '');
}

/** As validatePod, with every field path prefixed (e.g. `items[3]` inside a PodList). */
export function validatePodAt(pod: unknown, origin: string, prefix: string): ManifestProblem[] {
  const p = new ProblemList(origin, 'FailedValidation', prefix);
  new PodValidator(new Checker(p)).pod(pod);
  return p.items;
}

class PodValidator {
  constructor(private readonly c: Checker) {}

  pod(pod: unknown): void {
    if (!isObject(pod)) {
      this.c.add('', msg.invalid(pod, 'must be an object'), 'write the manifest as a single Pod object');
      return;
    }
    this.metadata(pod.metadata);
    if (pod.spec === undefined || pod.spec === null) {
      this.c.add('spec', msg.required(), 'add a spec with at least one container');
    } else if (!isObject(pod.spec)) {
      this.c.add('spec', msg.invalid(pod.spec, 'must be an object'), 'make spec a mapping with a containers list');
    } else {
      this.spec(pod.spec, pod.metadata);
    }
  }

  // ---- metadata ------------------------------------------------------------------------------

  private metadata(meta: unknown): void {
    if (meta === undefined || meta === null) {
      this.c.add('metadata.name', msg.required(), 'add metadata.name (static pods must be named)');
      return;
    }
    if (!isObject(meta)) {
      this.c.add('metadata', msg.invalid(meta, 'must be an object'), 'make metadata a mapping with a name');
      return;
    }
    const name = this.c.str(meta, 'name', 'metadata.name');
    if (name === undefined || name === '') {
      if (isUnset(meta.name)) this.c.add('metadata.name', msg.required(), 'add metadata.name (static pods must be named)');
    } else {
      for (const e of dns1123Subdomain(name)) {
        const fix =
          name.length > DNS1123_SUBDOMAIN_MAX
            ? `shorten metadata.name (Berth appends "-<node name>" to it; the total may be at most ${DNS1123_SUBDOMAIN_MAX} characters)`
            : `rename the pod: ${NAME_FIX}`;
        this.c.add('metadata.name', msg.invalid(name, e), fix);
      }
    }
    const ns = this.c.str(meta, 'namespace', 'metadata.namespace');
    if (ns !== undefined && ns !== '') {
      for (const e of dns1123Label(ns)) this.c.add('metadata.namespace', msg.invalid(ns, e), `set metadata.namespace to a valid name: ${NAME_FIX}`);
    }
    this.c.str(meta, 'uid', 'metadata.uid');
    this.labels(meta);
    this.annotations(meta);
  }

  private labels(meta: JsonObject): void {
    for (const [k, v] of this.c.stringMap(meta, 'labels', 'metadata.labels')) {
      for (const e of qualifiedName(k)) {
        this.c.add('metadata.labels', msg.invalid(k, e), `rename label key "${k}": optional "prefix/" then at most 63 letters, digits, '-', '_' or '.'`);
      }
      for (const e of labelValue(v)) {
        this.c.add('metadata.labels', msg.invalid(v, e), `change the value of label "${k}" to at most 63 letters, digits, '-', '_' or '.' (or empty)`);
      }
    }
  }

  private annotations(meta: JsonObject): void {
    let total = 0;
    for (const [k, v] of this.c.stringMap(meta, 'annotations', 'metadata.annotations')) {
      for (const e of qualifiedName(k.toLowerCase())) {
        this.c.add('metadata.annotations', msg.invalid(k, e), `rename annotation key "${k}": optional "prefix/" then at most 63 letters, digits, '-', '_' or '.'`);
      }
      total += k.length + v.length;
    }
    if (total > MAX_ANNOTATIONS_BYTES) {
      this.c.add('metadata.annotations', msg.tooLong(MAX_ANNOTATIONS_BYTES), 'move large data out of annotations into a file on the host');
    }
  }

  /** Annotations with a meaning for pods (upstream ValidatePodSpecificAnnotations). */
  private podAnnotations(meta: unknown, spec: JsonObject): void {
    if (!isObject(meta) || !isObject(meta.annotations)) return;
    const names = new Set<string>();
    for (const list of ['containers', 'initContainers']) {
      if (Array.isArray(spec[list])) for (const ctr of spec[list] as unknown[]) if (isObject(ctr) && typeof ctr.name === 'string') names.add(ctr.name);
    }
    for (const [key, value] of Object.entries(meta.annotations)) {
      if (typeof value !== 'string') continue;
      const path = `metadata.annotations[${key}]`;
      if (key === DELETION_COST && (!/^[+-]?[0-9]+$/.test(value) || Number(value) < -MAX_INT32 - 1 || Number(value) > MAX_INT32)) {
        this.c.add(path, msg.invalid(value, 'must be a 32bit integer'), 'set the pod deletion cost to a whole number, or remove the annotation');
      }
      if (key === SECCOMP_POD || key.startsWith(SECCOMP_CONTAINER)) {
        if (!['runtime/default', 'docker/default', 'unconfined'].includes(value) && !value.startsWith('localhost/')) {
          this.c.add(path, msg.invalid(value, 'must be a valid seccomp profile'), 'use spec.securityContext.seccompProfile instead (this annotation has no effect since Kubernetes 1.27)');
        }
      }
      if (key.startsWith(APPARMOR_CONTAINER)) {
        const container = key.slice(APPARMOR_CONTAINER.length);
        if (!names.has(container)) this.c.add(path, msg.invalid(container, 'container not found'), `name an existing container after "${APPARMOR_CONTAINER}", or remove the annotation`);
        if (!['runtime/default', 'unconfined'].includes(value) && !value.startsWith('localhost/')) {
          this.c.add(path, msg.invalid(value, `invalid AppArmor profile name: ${JSON.stringify(value)}`), 'use runtime/default, unconfined or localhost/<profile>, or better securityContext.appArmorProfile');
        }
      }
    }
  }

  // ---- spec (upstream ValidatePodSpec order) -------------------------------------------------

  private spec(spec: JsonObject, meta: unknown): void {
    const c = this.c;
    this.podAnnotations(meta, spec);
    const volumeNames = checkVolumes(c, spec);
    if (Array.isArray(spec.resourceClaims) && spec.resourceClaims.length > 0) {
      c.add('spec.resourceClaims', msg.forbidden('static pods may not reference resourceclaims'), 'remove spec.resourceClaims; static pods cannot use dynamic resource allocation');
    }
    const grace = c.int(spec, 'terminationGracePeriodSeconds', 'spec.terminationGracePeriodSeconds');
    // Negative is accepted with a warning and treated as 1 (see warnings.ts and defaults.ts).
    const ctx: ContainerContext = {
      volumeNames,
      names: new Set(),
      hostPorts: new Set(),
      gracePeriod: grace === undefined ? DEFAULT_GRACE_SECONDS : Math.max(grace, 1),
      podRestartPolicy: typeof spec.restartPolicy === 'string' ? spec.restartPolicy : 'Always',
      osName: isObject(spec.os) && typeof spec.os.name === 'string' ? spec.os.name : undefined,
    };
    const containers = c.objects(spec, 'containers', 'spec.containers');
    if (containers.length === 0 && (!Array.isArray(spec.containers) || spec.containers.length === 0)) {
      c.add('spec.containers', msg.required(), 'add at least one container under spec.containers');
    }
    for (const [ctr, i] of containers) checkContainer(c, ctr, `spec.containers[${i}]`, ctx, false);
    for (const [ctr, i] of c.objects(spec, 'initContainers', 'spec.initContainers')) checkContainer(c, ctr, `spec.initContainers[${i}]`, ctx, true);
    if (Array.isArray(spec.ephemeralContainers) && spec.ephemeralContainers.length > 0) {
      c.add('spec.ephemeralContainers', msg.forbidden('cannot be set on create'), 'remove spec.ephemeralContainers');
    }
    const hostNetwork = c.bool(spec, 'hostNetwork', 'spec.hostNetwork') === true;
    c.bool(spec, 'hostPID', 'spec.hostPID');
    c.bool(spec, 'hostIPC', 'spec.hostIPC');
    if (hostNetwork) this.hostNetworkPorts(spec);

    this.required(spec, 'restartPolicy', 'spec.restartPolicy', RESTART_POLICIES);
    this.required(spec, 'dnsPolicy', 'spec.dnsPolicy', DNS_POLICIES);
    this.nodeSelector(spec);
    checkPodSecurityContext(c, spec);
    this.imagePullSecrets(spec);
    checkAffinity(c, spec);
    this.dnsConfig(spec);

    for (const key of ['serviceAccountName', 'serviceAccount']) {
      if (!isUnset(spec[key])) {
        c.add(`spec.${key}`, msg.forbidden('static pods may not reference a service account'), `remove ${key}; static pods run without API credentials`);
      }
    }
    // Berth sets spec.nodeName to the node's own name: that is the agent's configuration, not the manifest's.
    c.str(spec, 'nodeName', 'spec.nodeName');
    const deadline = c.int(spec, 'activeDeadlineSeconds', 'spec.activeDeadlineSeconds');
    if (deadline !== undefined && (deadline < 1 || deadline > MAX_INT32)) {
      c.add('spec.activeDeadlineSeconds', msg.invalid(deadline, inclusiveRange(1, MAX_INT32)), 'set activeDeadlineSeconds to 1 or more, or remove it');
    }
    for (const key of ['hostname', 'subdomain']) {
      const v = c.str(spec, key, `spec.${key}`);
      if (v) for (const e of dns1123Label(v)) c.add(`spec.${key}`, msg.invalid(v, e), `set spec.${key} to a DNS label: ${NAME_FIX}`);
    }
    this.tolerations(spec);
    this.hostAliases(spec);
    for (const key of ['priorityClassName', 'runtimeClassName']) {
      const v = c.str(spec, key, `spec.${key}`);
      if (v) for (const e of dns1123Subdomain(v)) c.add(`spec.${key}`, msg.invalid(v, e), `set spec.${key} to the name of a ${key === 'runtimeClassName' ? 'RuntimeClass' : 'PriorityClass'} (a DNS subdomain)`);
    }
    c.oneOf(spec, 'preemptionPolicy', 'spec.preemptionPolicy', PREEMPTION_POLICIES);
    const os = c.object(spec, 'os', 'spec.os');
    if (os) {
      const name = c.str(os, 'name', 'spec.os.name');
      if (!name) c.add('spec.os.name', msg.required(), 'set spec.os.name: linux, or remove spec.os');
      else if (!OS_NAMES.includes(name)) c.add('spec.os.name', msg.unsupported(name, OS_NAMES), 'set spec.os.name: linux (Berth runs Linux pods)');
    }
    this.hostUsers(spec);
    this.readinessGates(spec);
    this.schedulingGates(spec);
    checkTopologySpreadConstraints(c, spec);
    c.str(spec, 'schedulerName', 'spec.schedulerName');
    c.bool(spec, 'enableServiceLinks', 'spec.enableServiceLinks');
    c.bool(spec, 'automountServiceAccountToken', 'spec.automountServiceAccountToken');
  }

  /** With user namespaces (hostUsers: false) the host namespaces cannot be shared. */
  private hostUsers(spec: JsonObject): void {
    if (this.c.bool(spec, 'hostUsers', 'spec.hostUsers') !== false) return;
    for (const key of ['hostNetwork', 'hostPID', 'hostIPC']) {
      if (spec[key] === true) this.c.add(`spec.${key}`, msg.forbidden('when `hostUsers` is false'), `remove ${key} or hostUsers: false`);
    }
  }

  private readinessGates(spec: JsonObject): void {
    for (const [gate, i] of this.c.objects(spec, 'readinessGates', 'spec.readinessGates')) {
      const type = this.c.str(gate, 'conditionType', `spec.readinessGates[${i}].conditionType`) ?? '';
      for (const e of qualifiedName(type)) this.c.add(`spec.readinessGates[${i}].conditionType`, msg.invalid(type, e), 'use a condition type such as example.com/feature-ready');
    }
  }

  private schedulingGates(spec: JsonObject): void {
    const seen = new Set<string>();
    for (const [gate, i] of this.c.objects(spec, 'schedulingGates', 'spec.schedulingGates')) {
      const name = this.c.str(gate, 'name', `spec.schedulingGates[${i}].name`) ?? '';
      for (const e of qualifiedName(name)) this.c.add(`spec.schedulingGates[${i}].name`, msg.invalid(name, e), 'use a gate name such as example.com/wait');
      if (seen.has(name)) this.c.add(`spec.schedulingGates[${i}].name`, msg.duplicate(name), 'list each scheduling gate once');
      seen.add(name);
    }
  }

  /** A field upstream defaults and then requires: empty is `Required value`, else one of `values`. */
  private required(spec: JsonObject, key: string, path: string, values: readonly string[]): void {
    const v = this.c.str(spec, key, path);
    if (v === '') this.c.add(path, msg.required(), `set ${key} to one of ${values.join(', ')}, or remove it for the default`);
    else if (v !== undefined && !values.includes(v)) this.c.add(path, msg.unsupported(v, values), `set ${key} to one of ${values.join(', ')}`);
  }

  /** With hostNetwork the container port is the host port: both must be equal (defaults copy it). */
  private hostNetworkPorts(spec: JsonObject): void {
    for (const list of ['containers', 'initContainers']) {
      if (!Array.isArray(spec[list])) continue;
      (spec[list] as unknown[]).forEach((ctr, i) => {
        if (!isObject(ctr) || !Array.isArray(ctr.ports)) return;
        ctr.ports.forEach((port, j) => {
          if (!isObject(port) || typeof port.containerPort !== 'number') return;
          const hostPort = typeof port.hostPort === 'number' ? port.hostPort : 0;
          if (hostPort !== 0 && hostPort !== port.containerPort) {
            this.c.add(`spec.${list}[${i}].ports[${j}].containerPort`, msg.invalid(port.containerPort, 'must match `hostPort` when `hostNetwork` is true'), 'remove hostPort or make it equal to containerPort (with hostNetwork the process listens on the host directly)');
          }
        });
      });
    }
  }

  private nodeSelector(spec: JsonObject): void {
    for (const [k, v] of this.c.stringMap(spec, 'nodeSelector', 'spec.nodeSelector')) {
      for (const e of qualifiedName(k)) this.c.add('spec.nodeSelector', msg.invalid(k, e), `rename nodeSelector key "${k}": optional "prefix/" then at most 63 letters, digits, '-', '_' or '.'`);
      for (const e of labelValue(v)) this.c.add('spec.nodeSelector', msg.invalid(v, e), `change the nodeSelector value of "${k}" to a valid label value`);
    }
  }

  /** Image pull secrets are Secret objects: a static pod cannot have them (as the kubelet refuses). */
  private imagePullSecrets(spec: JsonObject): void {
    for (const [, i] of this.c.objects(spec, 'imagePullSecrets', 'spec.imagePullSecrets')) {
      this.c.add(`spec.imagePullSecrets[${i}]`, msg.forbidden('static pods may not reference secrets'), 'remove imagePullSecrets; import the image on the node beforehand (e.g. ctr images import, docker load) or configure registry credentials in the container engine');
    }
  }

  private dnsConfig(spec: JsonObject): void {
    const c = this.c;
    const cfg = c.object(spec, 'dnsConfig', 'spec.dnsConfig');
    if (spec.dnsPolicy === 'None' && !cfg) {
      c.add('spec.dnsConfig', msg.required('must provide `dnsConfig` when `dnsPolicy` is None'), 'add spec.dnsConfig with nameservers, or use another dnsPolicy');
      return;
    }
    if (!cfg) return;
    const nameservers = c.stringList(cfg, 'nameservers', 'spec.dnsConfig.nameservers') ?? [];
    if (nameservers.length > MAX_DNS_NAMESERVERS) {
      c.add('spec.dnsConfig.nameservers', msg.invalid(nameservers, `must not have more than ${MAX_DNS_NAMESERVERS} nameservers`), `keep at most ${MAX_DNS_NAMESERVERS} nameservers`);
    }
    nameservers.forEach((ns, i) => {
      if (isIP(ns) === 0) c.add(`spec.dnsConfig.nameservers[${i}]`, msg.invalid(ns, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'), 'write the nameserver as an IP address');
    });
    if (spec.dnsPolicy === 'None' && nameservers.length === 0) {
      c.add('spec.dnsConfig.nameservers', msg.required('must provide at least one DNS nameserver when `dnsPolicy` is None'), 'add spec.dnsConfig.nameservers or use another dnsPolicy');
    }
    const searches = c.stringList(cfg, 'searches', 'spec.dnsConfig.searches') ?? [];
    if (searches.length > MAX_DNS_SEARCHES) {
      c.add('spec.dnsConfig.searches', msg.invalid(searches, `must not have more than ${MAX_DNS_SEARCHES} search paths`), `keep at most ${MAX_DNS_SEARCHES} search domains`);
    }
    searches.forEach((s, i) => {
      const domain = s.endsWith('.') ? s.slice(0, -1) : s;
      for (const e of dns1123Subdomain(domain)) c.add(`spec.dnsConfig.searches[${i}]`, msg.invalid(domain, e), 'write the search domain as a DNS name such as svc.cluster.local');
    });
    for (const [opt, i] of c.objects(cfg, 'options', 'spec.dnsConfig.options')) {
      const name = c.str(opt, 'name', `spec.dnsConfig.options[${i}].name`);
      if (!name) c.add(`spec.dnsConfig.options[${i}]`, msg.required('Option.Name must not be empty'), 'give every DNS option a name, e.g. ndots');
      c.str(opt, 'value', `spec.dnsConfig.options[${i}].value`);
    }
  }

  /** Upstream ValidateTolerations. */
  private tolerations(spec: JsonObject): void {
    const c = this.c;
    for (const [t, i] of c.objects(spec, 'tolerations', 'spec.tolerations')) {
      const tp = `spec.tolerations[${i}]`;
      const key = c.str(t, 'key', `${tp}.key`) ?? '';
      const operator = c.str(t, 'operator', `${tp}.operator`) ?? '';
      const value = c.str(t, 'value', `${tp}.value`) ?? '';
      const effect = c.str(t, 'effect', `${tp}.effect`) ?? '';
      if (key !== '') {
        for (const e of qualifiedName(key)) c.add(`${tp}.key`, msg.invalid(key, e), 'use a taint key such as node.kubernetes.io/not-ready');
      }
      if (key === '' && operator !== 'Exists') {
        c.add(`${tp}.operator`, msg.invalid(operator, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'), 'set operator: Exists to tolerate every taint, or set a key');
      }
      const seconds = c.int(t, 'tolerationSeconds', `${tp}.tolerationSeconds`);
      if (seconds !== undefined && effect !== 'NoExecute') {
        c.add(`${tp}.effect`, msg.invalid(effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"), 'set effect: NoExecute or remove tolerationSeconds');
      }
      if (operator === '' || operator === 'Equal') {
        const errors = labelValue(value);
        if (errors.length > 0) c.add(`${tp}.operator`, msg.invalid(value, errors.join(';')), 'use a toleration value that is a valid label value');
      } else if (operator === 'Exists') {
        if (value !== '') c.add(`${tp}.operator`, msg.invalid(t, "value must be empty when `operator` is 'Exists'"), 'remove value, or use operator: Equal');
      } else {
        c.add(`${tp}.operator`, msg.unsupported(operator, TOLERATION_OPERATORS), 'set operator to Equal or Exists');
      }
      if (effect !== '' && !TAINT_EFFECTS.includes(effect)) {
        c.add(`${tp}.effect`, msg.unsupported(effect, TAINT_EFFECTS), 'set effect to NoSchedule, PreferNoSchedule or NoExecute, or remove it to match every effect');
      }
    }
  }

  private hostAliases(spec: JsonObject): void {
    for (const [alias, i] of this.c.objects(spec, 'hostAliases', 'spec.hostAliases')) {
      const ap = `spec.hostAliases[${i}]`;
      const ip = this.c.str(alias, 'ip', `${ap}.ip`) ?? '';
      if (ip === '') this.c.add(`${ap}.ip`, msg.required(), 'set the IP address the host names resolve to');
      else if (isIP(ip) === 0) this.c.add(`${ap}.ip`, msg.invalid(ip, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'), 'write ip as an IP address');
      const names = this.c.stringList(alias, 'hostnames', `${ap}.hostnames`) ?? [];
      for (const h of names) for (const e of dns1123Subdomain(h)) this.c.add(`${ap}.hostnames`, msg.invalid(h, e), 'write each host name as a DNS name');
    }
  }
}
