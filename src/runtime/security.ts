// What the kubelet derives from a pod's security fields before it asks a runtime for a container
// (pkg/kubelet/kuberuntime security_context*.go, pkg/securitycontext), shared by the CRI and
// Docker runtimes, and the fields neither engine runtime can honour: those refuse the pod with
// CreateContainerConfigError naming the field and the runtime, instead of being dropped.
import { join } from 'node:path';
import type { Container, Pod } from 'kubernetes-types/core/v1';
import { RuntimeError } from './types.js';

/** /proc and /sys paths hidden in every unprivileged container with procMount Default. */
export const DEFAULT_MASKED_PATHS = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];
/** ... and made read-only. */
export const DEFAULT_READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export const DEFAULT_SECCOMP_PROFILE_ROOT = '/var/lib/berth/seccomp';

export interface ProcPaths {
  masked: string[];
  readonly: string[];
}

/** procMount Default: the kubelet's masked and read-only paths; Unmasked (or privileged): none. */
export function procPaths(container: Container): ProcPaths {
  const context = container.securityContext;
  if (context?.privileged || context?.procMount === 'Unmasked') return { masked: [], readonly: [] };
  return { masked: [...DEFAULT_MASKED_PATHS], readonly: [...DEFAULT_READONLY_PATHS] };
}

export type SecurityProfileType = 'RuntimeDefault' | 'Unconfined' | 'Localhost';

export interface SecurityProfile {
  type: SecurityProfileType;
  /** Localhost: for seccomp the profile file on the node; for AppArmor the loaded profile's name. */
  localhost?: string;
}

/**
 * The container's seccomp profile (container over pod). Without one the kubelet runs containers
 * Unconfined (its --seccomp-default is off by default); so does berth.
 */
export function seccompProfile(pod: Pod, container: Container, profileRoot: string, where: string): SecurityProfile {
  const profile = container.securityContext?.seccompProfile ?? pod.spec?.securityContext?.seccompProfile;
  if (!profile) return { type: 'Unconfined' };
  if (profile.type === 'RuntimeDefault' || profile.type === 'Unconfined') return { type: profile.type };
  if (profile.type === 'Localhost') {
    const name = profile.localhostProfile ?? '';
    if (!name || name.startsWith('/') || name.split('/').includes('..')) {
      throw new RuntimeError(
        'CreateContainerConfigError',
        `${where}: securityContext.seccompProfile.localhostProfile must be a relative path under ${profileRoot} without "..", got "${name}"`,
      );
    }
    return { type: 'Localhost', localhost: join(profileRoot, name) };
  }
  throw new RuntimeError('CreateContainerConfigError', `${where}: securityContext.seccompProfile.type "${profile.type}" is not one of RuntimeDefault, Unconfined, Localhost`);
}

/**
 * The container's AppArmor profile: the appArmorProfile field (container over pod), else the
 * older annotation container.apparmor.security.beta.kubernetes.io/<container>. Undefined: the
 * runtime's default.
 */
export function appArmorProfile(pod: Pod, container: Container, where: string): SecurityProfile | undefined {
  const field = container.securityContext?.appArmorProfile ?? pod.spec?.securityContext?.appArmorProfile;
  if (field) {
    if (field.type === 'RuntimeDefault' || field.type === 'Unconfined') return { type: field.type };
    if (field.type === 'Localhost' && field.localhostProfile) return { type: 'Localhost', localhost: field.localhostProfile };
    throw new RuntimeError('CreateContainerConfigError', `${where}: securityContext.appArmorProfile needs type RuntimeDefault, Unconfined, or Localhost with localhostProfile`);
  }
  const annotation = pod.metadata?.annotations?.[`container.apparmor.security.beta.kubernetes.io/${container.name}`];
  if (annotation === undefined) return undefined;
  if (annotation === 'runtime/default') return { type: 'RuntimeDefault' };
  if (annotation === 'unconfined') return { type: 'Unconfined' };
  if (annotation.startsWith('localhost/') && annotation.length > 'localhost/'.length) return { type: 'Localhost', localhost: annotation.slice('localhost/'.length) };
  throw new RuntimeError(
    'CreateContainerConfigError',
    `${where}: annotation container.apparmor.security.beta.kubernetes.io/${container.name}: "${annotation}" is not runtime/default, unconfined or localhost/<profile>`,
  );
}

/** Where a container sits in the pod, for messages: spec.containers[0] (web). */
export function containerPath(pod: Pod, container: Container): string {
  const i = pod.spec?.containers?.findIndex((c) => c.name === container.name) ?? -1;
  if (i >= 0) return `spec.containers[${i}] (${container.name})`;
  const j = pod.spec?.initContainers?.findIndex((c) => c.name === container.name) ?? -1;
  return j >= 0 ? `spec.initContainers[${j}] (${container.name})` : `container "${container.name}"`;
}

/** Resource names a runtime turns into cgroup settings, and those only the scheduler reads. */
const RUNTIME_RESOURCES = new Set(['cpu', 'memory']);
const SCHEDULING_ONLY_REQUESTS = new Set(['ephemeral-storage']);

/**
 * The pod and container fields the kubelet honours that neither engine runtime of berth can:
 * refused with CreateContainerConfigError, the field path and the runtime's name. (Fields the
 * runtimes do honour are set where the container config is built.)
 */
export function refuseUnsupported(pod: Pod, container: Container, runtime: string): void {
  const where = containerPath(pod, container);
  const refuse = (field: string, why: string): never => {
    throw new RuntimeError('CreateContainerConfigError', `${field}: ${why}; the ${runtime} runtime of berth cannot honour it, so the pod is not started (remove the field to run it)`);
  };
  const spec = pod.spec;
  if (spec?.hostUsers === false) refuse('spec.hostUsers', 'user namespaces (hostUsers: false) are not supported');
  if (spec?.runtimeClassName) refuse('spec.runtimeClassName', `RuntimeClass "${spec.runtimeClassName}" is an API object a static pod cannot resolve`);
  if (spec?.setHostnameAsFQDN && spec.subdomain) refuse('spec.setHostnameAsFQDN', 'a fully qualified hostname needs the cluster domain of cluster DNS');
  for (const [name] of Object.entries(container.resources?.limits ?? {})) {
    if (RUNTIME_RESOURCES.has(name)) continue;
    const why = name === 'ephemeral-storage' ? 'the kubelet enforces it by evicting the pod; berth has no eviction' : `resource "${name}" needs hugepages or a device plugin`;
    refuse(`${where}.resources.limits[${name}]`, why);
  }
  for (const [name] of Object.entries(container.resources?.requests ?? {})) {
    if (RUNTIME_RESOURCES.has(name) || SCHEDULING_ONLY_REQUESTS.has(name)) continue;
    refuse(`${where}.resources.requests[${name}]`, `resource "${name}" needs hugepages or a device plugin`);
  }
  if (container.volumeDevices?.length) refuse(`${where}.volumeDevices`, 'raw block volumes need a PersistentVolumeClaim');
  for (const [index, mount] of (container.volumeMounts ?? []).entries()) {
    if (mount.subPathExpr) refuse(`${where}.volumeMounts[${index}].subPathExpr`, 'expanding subPathExpr is not supported; use subPath');
    if (mount.recursiveReadOnly && mount.recursiveReadOnly !== 'Disabled') {
      refuse(`${where}.volumeMounts[${index}].recursiveReadOnly`, `"${mount.recursiveReadOnly}" needs a runtime with recursive read-only mounts`);
    }
  }
}

/**
 * The pod's sysctls, checked as the kubelet's admission does: network ones cannot go into the
 * node's network namespace, IPC ones not into the node's IPC namespace.
 */
export function podSysctls(pod: Pod, where: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [index, sysctl] of (pod.spec?.securityContext?.sysctls ?? []).entries()) {
    const name = sysctl.name.replace(/\//g, '.');
    const field = `spec.securityContext.sysctls[${index}] (${sysctl.name})`;
    if (pod.spec?.hostNetwork && name.startsWith('net.')) {
      throw new RuntimeError('CreateContainerConfigError', `${where}: ${field}: a network sysctl cannot be set for a hostNetwork pod (it would change the node's own network settings)`);
    }
    if (pod.spec?.hostIPC && (name.startsWith('kernel.shm') || name.startsWith('kernel.msg') || name === 'kernel.sem' || name.startsWith('fs.mqueue.'))) {
      throw new RuntimeError('CreateContainerConfigError', `${where}: ${field}: an IPC sysctl cannot be set for a hostIPC pod`);
    }
    result[name] = sysctl.value;
  }
  return result;
}

