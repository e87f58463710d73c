// One container of spec.containers or spec.initContainers (upstream validateContainerCommon,
// validateContainers and validateInitContainers): name, image, ports, env, resources, mounts,
// security context, probes and hooks, and the init/sidecar rules.
import type { Checker } from './check.js';
import { inclusiveRange } from './check.js';
import { msg } from './errors.js';
import { isUnset, type JsonObject } from './json.js';
import { dns1123Label, portName, relaxedEnvVarName } from './names.js';
import { checkContainerSecurityContext } from './validate-security.js';
import { checkLifecycle, checkProbe } from './validate-handlers.js';
import { checkLocalDescendingPath } from './validate-paths.js';
import { checkFieldRef, NAME_FIX } from './validate-volumes.js';

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const TERMINATION_MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'];
const MOUNT_PROPAGATION = ['Bidirectional', 'HostToContainer', 'None'];
const STANDARD_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);
const ENV_FIELD_PATHS = [
  'metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.serviceAccountName',
  'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs',
];
// The runtimes resolve exactly these (src/runtime/env.ts); anything else would be silently empty.
const ENV_RESOURCES = ['limits.cpu', 'limits.memory', 'requests.cpu', 'requests.memory'];
const PROBES = ['livenessProbe', 'readinessProbe', 'startupProbe'] as const;
const RESIZE_RESOURCES = ['cpu', 'memory'];
const RESIZE_RESTART_POLICIES = ['NotRequired', 'RestartContainer'];

/** What the containers of one pod share while being checked. */
export interface ContainerContext {
  volumeNames: ReadonlySet<string>;
  /** Names already used by containers checked before this one. */
  names: Set<string>;
  /** `hostIP/protocol/port` keys already used (upstream AccumulateUniqueHostPorts). */
  hostPorts: Set<string>;
  /** The pod's effective terminationGracePeriodSeconds (negative counts as 1). */
  gracePeriod: number;
  /** spec.restartPolicy (defaulted: Always). */
  podRestartPolicy: string;
  /** spec.os.name, when set. */
  osName: string | undefined;
}

export function checkContainer(c: Checker, ctr: JsonObject, path: string, ctx: ContainerContext, init: boolean): void {
  const name = c.str(ctr, 'name', `${path}.name`);
  if (name === undefined || name === '') {
    if (isUnset(ctr.name)) c.add(`${path}.name`, msg.required(), 'give every container a name');
  } else {
    for (const e of dns1123Label(name)) c.add(`${path}.name`, msg.invalid(name, e), `rename the container: ${NAME_FIX}`);
    if (ctx.names.has(name)) c.add(`${path}.name`, msg.duplicate(name), `rename this container; another container of the pod is already named "${name}"`);
    ctx.names.add(name);
  }
  const image = c.str(ctr, 'image', `${path}.image`);
  if (image === undefined || image === '') {
    if (isUnset(ctr.image)) {
      c.add(`${path}.image`, msg.required(), 'set image (e.g. image: busybox:1.36); the process runtime does not use it, but Kubernetes requires it');
    }
  } else if (image.trim() !== image) {
    c.add(`${path}.image`, msg.invalid(image, 'must not have leading or trailing whitespace'), `remove the spaces around the image name: image: ${image.trim()}`);
  }
  c.stringList(ctr, 'command', `${path}.command`);
  c.stringList(ctr, 'args', `${path}.args`);
  c.str(ctr, 'workingDir', `${path}.workingDir`);
  c.bool(ctr, 'stdin', `${path}.stdin`);
  c.bool(ctr, 'stdinOnce', `${path}.stdinOnce`);
  c.bool(ctr, 'tty', `${path}.tty`);
  c.str(ctr, 'terminationMessagePath', `${path}.terminationMessagePath`);
  c.oneOf(ctr, 'terminationMessagePolicy', `${path}.terminationMessagePolicy`, TERMINATION_MESSAGE_POLICIES, true);
  c.oneOf(ctr, 'imagePullPolicy', `${path}.imagePullPolicy`, PULL_POLICIES, true);
  ports(c, ctr, path, init ? new Set() : ctx.hostPorts);
  env(c, ctr, path);
  envFrom(c, ctr, path);
  volumeMounts(c, ctr, path, ctx.volumeNames);
  resources(c, ctr, path);
  resizePolicy(c, ctr, path, ctx.podRestartPolicy);
  checkContainerSecurityContext(c, ctr, path);

  let sidecar = false;
  if (init) {
    const policy = c.oneOf(ctr, 'restartPolicy', `${path}.restartPolicy`, ['Always']);
    sidecar = policy === 'Always';
  } else if (!isUnset(ctr.restartPolicy)) {
    c.add(`${path}.restartPolicy`, msg.forbidden('may not be set for non-init containers'), 'remove the container restartPolicy; use spec.restartPolicy for app containers');
  }
  if (init && Array.isArray(ctr.resizePolicy) && ctr.resizePolicy.length > 0) {
    c.add(`${path}.resizePolicy`, msg.invalid(ctr.resizePolicy, 'must not be set for init containers'), 'remove resizePolicy from this init container');
  }
  if (init && !sidecar) {
    // A plain init container runs to completion once: probes and hooks have no meaning there.
    for (const key of ['lifecycle', ...PROBES]) {
      if (!isUnset(ctr[key])) {
        c.add(`${path}.${key}`, msg.forbidden('may not be set for init containers without restartPolicy=Always'), `remove ${key}, or make this init container a sidecar with restartPolicy: Always`);
      }
    }
    return;
  }
  const lifecycle = c.object(ctr, 'lifecycle', `${path}.lifecycle`);
  if (lifecycle) {
    checkLifecycle(c, lifecycle, `${path}.lifecycle`, ctx.gracePeriod);
    checkStopSignal(c, lifecycle, `${path}.lifecycle.stopSignal`, ctx.osName);
  }
  for (const kind of PROBES) {
    const probe = c.object(ctr, kind, `${path}.${kind}`);
    if (probe) checkProbe(c, probe, `${path}.${kind}`, kind, ctx.gracePeriod);
  }
}

/** Upstream validateResizePolicy (errors on the list's path, as upstream reports them). */
function resizePolicy(c: Checker, ctr: JsonObject, path: string, podRestartPolicy: string): void {
  const rp = `${path}.resizePolicy`;
  const seen = new Set<string>();
  for (const [p, i] of c.objects(ctr, 'resizePolicy', rp)) {
    const resource = c.str(p, 'resourceName', `${rp}[${i}].resourceName`) ?? '';
    if (seen.has(resource)) c.add(`${rp}[${i}]`, msg.duplicate(resource), `list ${resource} once in resizePolicy`);
    seen.add(resource);
    if (resource === '') c.add(rp, msg.required(), 'set resourceName to cpu or memory');
    else if (!RESIZE_RESOURCES.includes(resource)) c.add(rp, msg.unsupported(resource, RESIZE_RESOURCES), 'set resourceName to cpu or memory');
    const policy = c.str(p, 'restartPolicy', `${rp}[${i}].restartPolicy`) ?? '';
    if (policy === '') c.add(rp, msg.required(), 'set restartPolicy to NotRequired or RestartContainer');
    else if (!RESIZE_RESTART_POLICIES.includes(policy)) c.add(rp, msg.unsupported(policy, RESIZE_RESTART_POLICIES), 'set restartPolicy to NotRequired or RestartContainer');
    if (podRestartPolicy === 'Never' && policy !== 'NotRequired') {
      c.add(rp, msg.invalid(policy, "must be 'NotRequired' when `restartPolicy` is 'Never'"), 'set this resizePolicy restartPolicy to NotRequired, or change the pod restartPolicy');
    }
  }
}

/**
 * lifecycle.stopSignal (Kubernetes 1.33+, validated as upstream validates it): only with
 * spec.os.name set, and a signal that OS has. Like a kubelet with default feature gates
 * (ContainerStopSignals is alpha, off), Berth accepts it but does not act on it: containers are
 * stopped with SIGTERM (or the image's STOPSIGNAL on an engine); `berth validate` notes that.
 */
function checkStopSignal(c: Checker, lifecycle: JsonObject, path: string, osName: string | undefined): void {
  const signal = c.str(lifecycle, 'stopSignal', path);
  if (signal === undefined) return;
  if (osName === undefined || osName === '') {
    c.add(path, msg.forbidden('may not be set for containers with empty `spec.os.name`'), 'set spec.os.name: linux, or remove stopSignal');
  } else if (signal === '') {
    c.add(path, msg.required(), 'set stopSignal to a signal name such as SIGTERM, or remove it');
  } else if (osName === 'windows') {
    if (!WINDOWS_STOP_SIGNALS.includes(signal)) c.add(path, msg.unsupported(signal, WINDOWS_STOP_SIGNALS), 'use SIGKILL or SIGTERM');
  } else if (osName === 'linux' && !LINUX_STOP_SIGNALS.includes(signal)) {
    c.add(path, msg.unsupported(signal, LINUX_STOP_SIGNALS), 'use a signal name such as SIGTERM, SIGINT, SIGQUIT or SIGUSR1');
  }
}

const WINDOWS_STOP_SIGNALS = ['SIGKILL', 'SIGTERM'];
/** core.Signal's Linux values, sorted as upstream lists them (sets.List). */
const LINUX_STOP_SIGNALS = [
  'SIGABRT', 'SIGALRM', 'SIGBUS', 'SIGCHLD', 'SIGCLD', 'SIGCONT', 'SIGFPE', 'SIGHUP', 'SIGILL', 'SIGINT', 'SIGIO', 'SIGIOT', 'SIGKILL',
  'SIGPIPE', 'SIGPOLL', 'SIGPROF', 'SIGPWR', 'SIGQUIT', 'SIGSEGV', 'SIGSTKFLT', 'SIGSTOP', 'SIGSYS', 'SIGTERM', 'SIGTRAP', 'SIGTSTP',
  'SIGTTIN', 'SIGTTOU', 'SIGURG', 'SIGUSR1', 'SIGUSR2', 'SIGVTALRM', 'SIGWINCH', 'SIGXCPU', 'SIGXFSZ',
  'SIGRTMIN', ...Array.from({ length: 15 }, (_, i) => `SIGRTMIN+${i + 1}`), ...Array.from({ length: 14 }, (_, i) => `SIGRTMAX-${14 - i}`), 'SIGRTMAX',
].sort();

function ports(c: Checker, ctr: JsonObject, path: string, hostPorts: Set<string>): void {
  const names = new Set<string>();
  for (const [port, i] of c.objects(ctr, 'ports', `${path}.ports`)) {
    const pp = `${path}.ports[${i}]`;
    const name = c.str(port, 'name', `${pp}.name`);
    if (name !== undefined && name !== '') {
      const errors = portName(name);
      for (const e of errors) c.add(`${pp}.name`, msg.invalid(name, e), 'use a port name of at most 15 lower case letters, digits and single hyphens, with at least one letter');
      if (errors.length === 0 && names.has(name)) c.add(`${pp}.name`, msg.duplicate(name), 'give every port of a container a different name');
      names.add(name);
    }
    const containerPort = c.int(port, 'containerPort', `${pp}.containerPort`);
    if (containerPort === 0 || (containerPort === undefined && isUnset(port.containerPort))) {
      c.add(`${pp}.containerPort`, msg.required(), 'set containerPort to the port the process listens on (1-65535)');
    } else if (containerPort !== undefined && (containerPort < 1 || containerPort > 65535)) {
      c.add(`${pp}.containerPort`, msg.invalid(containerPort, inclusiveRange(1, 65535)), 'use a containerPort from 1 to 65535');
    }
    const hostPort = c.int(port, 'hostPort', `${pp}.hostPort`);
    if (hostPort !== undefined && hostPort !== 0 && (hostPort < 1 || hostPort > 65535)) {
      c.add(`${pp}.hostPort`, msg.invalid(hostPort, inclusiveRange(1, 65535)), 'use a hostPort from 1 to 65535, or remove it');
    }
    const protocol = c.oneOf(port, 'protocol', `${pp}.protocol`, PROTOCOLS, true);
    const hostIP = c.str(port, 'hostIP', `${pp}.hostIP`) ?? '';
    if (hostPort !== undefined && hostPort > 0) {
      const key = `${hostIP}/${protocol ?? 'TCP'}/${hostPort}`;
      if (hostPorts.has(key)) c.add(`${pp}.hostPort`, msg.duplicate(key), `use another hostPort; another port of the pod already uses ${hostPort}/${protocol ?? 'TCP'}`);
      hostPorts.add(key);
    }
  }
}

function env(c: Checker, ctr: JsonObject, path: string): void {
  for (const [ev, i] of c.objects(ctr, 'env', `${path}.env`)) {
    const ep = `${path}.env[${i}]`;
    const name = c.str(ev, 'name', `${ep}.name`);
    if (name === undefined || name === '') {
      if (isUnset(ev.name)) c.add(`${ep}.name`, msg.required(), 'give every environment variable a name');
    } else {
      for (const e of relaxedEnvVarName(name)) c.add(`${ep}.name`, msg.invalid(name, e), "rename the variable: printable ASCII characters without '='");
    }
    const value = c.str(ev, 'value', `${ep}.value`);
    const from = c.object(ev, 'valueFrom', `${ep}.valueFrom`);
    if (!from) continue;
    const vp = `${ep}.valueFrom`;
    const kinds = ['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef', 'fileKeyRef'].filter((k) => !isUnset(from[k]));
    if (kinds.length === 0) {
      c.add(vp, msg.invalid('', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'), 'add valueFrom.fieldRef (e.g. fieldPath: metadata.name) or use value');
    } else if (kinds.length > 1) {
      c.add(vp, msg.invalid('', 'may not have more than one field specified at a time'), `keep only one of ${kinds.join(', ')}`);
    }
    if (value !== undefined && value !== '' && kinds.length > 0) {
      c.add(vp, msg.invalid('', 'may not be specified when `value` is not empty'), 'keep either value or valueFrom, not both');
    }
    if (!isUnset(from.configMapKeyRef)) {
      c.add(`${vp}.configMapKeyRef`, msg.forbidden('static pods may not reference configmaps'), 'set the value directly with value: instead of configMapKeyRef');
    }
    if (!isUnset(from.secretKeyRef)) {
      c.add(`${vp}.secretKeyRef`, msg.forbidden('static pods may not reference secrets'), 'set the value directly, or have the process read it from a hostPath file');
    }
    if (!isUnset(from.fileKeyRef)) {
      c.add(`${vp}.fileKeyRef`, msg.forbidden('not supported by Berth for static pods'), 'set the value directly with value:');
    }
    const fieldRef = c.object(from, 'fieldRef', `${vp}.fieldRef`);
    if (fieldRef) checkFieldRef(c, fieldRef, `${vp}.fieldRef`, ENV_FIELD_PATHS);
    const resourceRef = c.object(from, 'resourceFieldRef', `${vp}.resourceFieldRef`);
    if (resourceRef) resourceFieldRef(c, resourceRef, `${vp}.resourceFieldRef`);
  }
}

function resourceFieldRef(c: Checker, ref: JsonObject, path: string): void {
  const resource = c.str(ref, 'resource', `${path}.resource`);
  if (resource === undefined || resource === '') {
    if (isUnset(ref.resource)) c.add(`${path}.resource`, msg.required(), 'set resource, e.g. limits.memory');
  } else if (!ENV_RESOURCES.includes(resource)) {
    c.add(`${path}.resource`, msg.unsupported(resource, ENV_RESOURCES), `use one of ${ENV_RESOURCES.join(', ')}`);
  }
  c.str(ref, 'containerName', `${path}.containerName`);
  if (!isUnset(ref.divisor)) {
    const q = c.quantity(ref.divisor, `${path}.divisor`, 'divisor');
    if (q === 0) c.add(`${path}.divisor`, msg.invalid(ref.divisor, 'must be greater than 0'), 'use a positive divisor such as 1, 1m or 1Mi');
  }
}

function envFrom(c: Checker, ctr: JsonObject, path: string): void {
  for (const [src, i] of c.objects(ctr, 'envFrom', `${path}.envFrom`)) {
    const sp = `${path}.envFrom[${i}]`;
    const prefix = c.str(src, 'prefix', `${sp}.prefix`);
    if (prefix) for (const e of relaxedEnvVarName(prefix)) c.add(`${sp}.prefix`, msg.invalid(prefix, e), "use a prefix of printable ASCII characters without '='");
    if (!isUnset(src.configMapRef)) {
      c.add(`${sp}.configMapRef`, msg.forbidden('static pods may not reference configmaps'), 'list the variables under env with value: instead of envFrom');
    }
    if (!isUnset(src.secretRef)) {
      c.add(`${sp}.secretRef`, msg.forbidden('static pods may not reference secrets'), 'list the variables under env with value:, or have the process read them from a hostPath file');
    }
    if (isUnset(src.configMapRef) && isUnset(src.secretRef)) {
      c.add(sp, msg.invalid('', 'must specify one of: `configMapRef` or `secretRef`'), 'remove this envFrom item');
    }
  }
}

function resources(c: Checker, ctr: JsonObject, path: string): void {
  const res = c.object(ctr, 'resources', `${path}.resources`);
  if (!res) return;
  const parsed: Record<'limits' | 'requests', Map<string, number>> = { limits: new Map(), requests: new Map() };
  for (const kind of ['limits', 'requests'] as const) {
    const list = c.object(res, kind, `${path}.resources.${kind}`);
    if (!list) continue;
    for (const [name, value] of Object.entries(list)) {
      const rp = `${path}.resources.${kind}[${name}]`;
      if (!STANDARD_RESOURCES.has(name) && !name.startsWith('hugepages-') && !name.includes('/')) {
        c.add(rp, msg.invalid(name, 'must be a standard resource for containers'), 'use cpu, memory, ephemeral-storage, hugepages-<size> or a domain-qualified name such as example.com/gpu');
        continue;
      }
      const q = c.quantity(value, rp, `${kind}.${name}`);
      if (q === undefined) continue;
      // Extended resources (example.com/gpu) are counted in whole units.
      if (name.includes('/') && !Number.isInteger(q)) {
        c.add(rp, msg.invalid(value, 'must be an integer'), `write ${kind}.${name} as a whole number`);
      }
      parsed[kind].set(name, q);
    }
  }
  for (const [name, request] of parsed.requests) {
    const limit = parsed.limits.get(name);
    if (limit !== undefined && request > limit) {
      const shown = (res.limits as JsonObject)[name];
      c.add(`${path}.resources.requests[${name}]`, msg.invalid((res.requests as JsonObject)[name], `must be less than or equal to ${name} limit of ${String(shown)}`), `lower the ${name} request or raise the ${name} limit`);
    }
  }
  if (Array.isArray(res.claims) && res.claims.length > 0) {
    c.add(`${path}.resources.claims`, msg.forbidden('static pods may not reference resourceclaims'), 'remove resources.claims');
  }
}

function volumeMounts(c: Checker, ctr: JsonObject, path: string, volumeNames: ReadonlySet<string>): void {
  const mountPaths = new Set<string>();
  const privileged = isObjectWith(ctr.securityContext, 'privileged', true);
  for (const [m, i] of c.objects(ctr, 'volumeMounts', `${path}.volumeMounts`)) {
    const mp = `${path}.volumeMounts[${i}]`;
    const name = c.str(m, 'name', `${mp}.name`) ?? '';
    if (name === '' && isUnset(m.name)) c.add(`${mp}.name`, msg.required(), 'set the name of the volume to mount');
    if (!volumeNames.has(name)) c.add(`${mp}.name`, msg.notFound(name), name ? `add a volume named "${name}" under spec.volumes or fix the name` : 'set name to one of the volumes under spec.volumes');
    const mountPath = c.str(m, 'mountPath', `${mp}.mountPath`);
    if (mountPath === undefined || mountPath === '') {
      if (isUnset(m.mountPath)) c.add(`${mp}.mountPath`, msg.required(), 'set mountPath to where the volume appears in the container');
    } else {
      if (mountPaths.has(mountPath)) c.add(`${mp}.mountPath`, msg.invalid(mountPath, 'must be unique'), 'mount each path only once per container');
      mountPaths.add(mountPath);
    }
    c.bool(m, 'readOnly', `${mp}.readOnly`);
    const subPath = c.str(m, 'subPath', `${mp}.subPath`);
    const subPathExpr = c.str(m, 'subPathExpr', `${mp}.subPathExpr`);
    if (subPath) checkLocalDescendingPath(c, subPath, `${mp}.subPath`);
    if (subPathExpr) {
      if (subPath) c.add(`${mp}.subPathExpr`, msg.invalid(subPathExpr, 'subPathExpr and subPath are mutually exclusive'), 'keep either subPath or subPathExpr');
      checkLocalDescendingPath(c, subPathExpr, `${mp}.subPathExpr`);
    }
    const propagation = c.oneOf(m, 'mountPropagation', `${mp}.mountPropagation`, MOUNT_PROPAGATION);
    if (propagation === 'Bidirectional' && !privileged) {
      c.add(`${mp}.mountPropagation`, msg.forbidden('Bidirectional mount propagation is available only to privileged containers'), 'set securityContext.privileged: true or use HostToContainer');
    }
  }
}

function isObjectWith(value: unknown, key: string, expected: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as JsonObject)[key] === expected;
}
