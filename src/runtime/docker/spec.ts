// The Engine's container-create bodies for a pod's sandbox and its app containers, from the pod
// spec, as the kubelet's dockershim built them: app containers join the sandbox's network, IPC
// (and, with shareProcessNamespace, PID) namespaces; ports are published on the sandbox.
import { join } from 'node:path';
import type { Container, Pod, Volume } from 'kubernetes-types/core/v1';
import { parseQuantity } from '../../manifest/quantity.js';
import { RuntimeError } from '../types.js';
import type { ContainerEnvironment } from '../env.js';
import { terminationMessageSpec } from '../termination-message.js';
import { appArmorProfile, containerPath, podSysctls, procPaths, seccompProfile } from '../security.js';
import { LABEL, SANDBOX_CONTAINER_NAME, containerHash, podIdentity } from './labels.js';

/** The Engine's POST /containers/create body (the fields berth sets). */
export interface CreateBody {
  Image: string;
  Hostname?: string;
  Entrypoint?: string[];
  Cmd?: string[];
  Env?: string[];
  WorkingDir?: string;
  User?: string;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Labels: Record<string, string>;
  ExposedPorts?: Record<string, Record<string, never>>;
  HostConfig: {
    NetworkMode?: string;
    IpcMode?: string;
    PidMode?: string;
    UTSMode?: string;
    PortBindings?: Record<string, Array<{ HostIp: string; HostPort: string }>>;
    Binds?: string[];
    Privileged?: boolean;
    ReadonlyRootfs?: boolean;
    CapAdd?: string[];
    CapDrop?: string[];
    GroupAdd?: string[];
    SecurityOpt?: string[];
    MaskedPaths?: string[];
    ReadonlyPaths?: string[];
    Sysctls?: Record<string, string>;
    Dns?: string[];
    DnsSearch?: string[];
    DnsOptions?: string[];
    CpuPeriod?: number;
    CpuQuota?: number;
    CpuShares?: number;
    Memory?: number;
    RestartPolicy: { Name: string };
  };
}

/** The kubelet's CFS period (100 ms) and its milli-CPU conversions. */
const CPU_PERIOD_US = 100_000;
const MIN_SHARES = 2;

export function isHostNetwork(pod: Pod): boolean {
  return pod.spec?.hostNetwork === true;
}

function baseLabels(pod: Pod, nodeName: string, containerName: string, attempt: number): Record<string, string> {
  const id = podIdentity(pod);
  return {
    [LABEL.podName]: id.name,
    [LABEL.podNamespace]: id.namespace,
    [LABEL.podUid]: id.uid,
    [LABEL.containerName]: containerName,
    [LABEL.restartCount]: String(attempt),
    [LABEL.gracePeriod]: String(pod.spec?.terminationGracePeriodSeconds ?? 30),
    [LABEL.managed]: 'true',
    [LABEL.node]: nodeName,
  };
}

/** The sandbox ("pause") container: holds the pod's network namespace and published ports. */
export function sandboxBody(pod: Pod, image: string, nodeName: string, attempt: number): CreateBody {
  const ports: NonNullable<CreateBody['HostConfig']['PortBindings']> = {};
  const exposed: NonNullable<CreateBody['ExposedPorts']> = {};
  for (const container of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    for (const port of container.ports ?? []) {
      if (!port.hostPort) continue;
      const key = `${port.containerPort}/${(port.protocol ?? 'TCP').toLowerCase()}`;
      exposed[key] = {};
      (ports[key] ??= []).push({ HostIp: port.hostIP ?? '', HostPort: String(port.hostPort) });
    }
  }
  const spec = pod.spec ?? { containers: [] };
  // The sandbox holds the pod's network and IPC namespaces: its sysctls are set there.
  const sysctls = podSysctls(pod, `pod ${podIdentity(pod).namespace}/${podIdentity(pod).name}`);
  // The pod's hostname (spec.hostname, else its name; at most 63 characters, as the kubelet).
  const hostname = (spec.hostname ?? podIdentity(pod).name).slice(0, 63).replace(/[-.]+$/, '');
  return {
    Image: image,
    Hostname: hostname,
    Labels: { ...baseLabels(pod, nodeName, SANDBOX_CONTAINER_NAME, attempt), [LABEL.type]: 'podsandbox' },
    ...(Object.keys(exposed).length > 0 ? { ExposedPorts: exposed } : {}),
    HostConfig: {
      NetworkMode: 'bridge',
      // Docker 20.10 makes IPC namespaces private by default: app containers could not join it.
      IpcMode: spec.hostIPC ? 'host' : 'shareable',
      ...(spec.hostPID ? { PidMode: 'host' } : {}),
      ...(Object.keys(ports).length > 0 ? { PortBindings: ports } : {}),
      ...(Object.keys(sysctls).length > 0 ? { Sysctls: sysctls } : {}),
      ...dnsSettings(pod),
      RestartPolicy: { Name: 'no' },
    },
  };
}

export interface AppBodyInput {
  pod: Pod;
  container: Container;
  attempt: number;
  logPath: string;
  nodeName: string;
  environment: ContainerEnvironment;
  /** The sandbox container's id; undefined for hostNetwork pods (they have none). */
  sandboxId: string | undefined;
  /** emptyDir volumes live in <volumesDir>/<pod uid>/volumes/<name>. */
  volumesDir: string;
  /**
   * Join the sandbox's UTS namespace explicitly (Podman). Docker shares it with the network
   * namespace's container on its own and rejects UTSMode container:<id>.
   */
  joinSandboxUts?: boolean;
  /** The attempt's termination message file on the host, bound at terminationMessagePath. */
  terminationMessageFile?: string;
  /** Podman's compat API keeps its masks for an empty MaskedPaths: procMount Unmasked needs its unmask=ALL option. */
  unmaskWithSecurityOpt?: boolean;
  /** The pod's managed /etc/hosts on the host (see hosts-file.ts), bound at /etc/hosts. */
  hostsFile?: string;
  /** The image's USER (Config.User): a lone runAsGroup applies to it. */
  imageUser?: string;
  /** Where seccomp Localhost profiles are. */
  seccompProfileRoot: string;
  /** A Localhost seccomp profile's JSON, read by the caller: the Engine takes the profile, not its path. */
  localhostSeccompProfile?: string;
}

export interface HostDirectory {
  path: string;
  /** emptyDir: 0777 as the kubelet makes it (any container user can write); hostPath: 0755. */
  mode: number;
}

/** Host folders the container's binds need (created before the container). */
export interface AppBody {
  body: CreateBody;
  /** emptyDir (and DirectoryOrCreate hostPath) folders to create first. */
  directories: HostDirectory[];
}

export function appBody(input: AppBodyInput): AppBody {
  const { pod, container, attempt, environment, sandboxId } = input;
  const spec = pod.spec ?? { containers: [] };
  const security = container.securityContext;
  const podSecurity = spec.securityContext;
  const { binds, directories } = volumeBinds(input);
  const message = terminationMessageSpec(container);
  if (input.terminationMessageFile && message.path) binds.push(`${input.terminationMessageFile}:${message.path}`);
  if (input.hostsFile) binds.push(`${input.hostsFile}:/etc/hosts`);

  const uid = security?.runAsUser ?? podSecurity?.runAsUser;
  const gid = security?.runAsGroup ?? podSecurity?.runAsGroup;
  const hostConfig: CreateBody['HostConfig'] = {
    NetworkMode: sandboxId ? `container:${sandboxId}` : 'host',
    IpcMode: spec.hostIPC ? 'host' : sandboxId ? `container:${sandboxId}` : 'private',
    ...(sandboxId && input.joinSandboxUts ? { UTSMode: `container:${sandboxId}` } : {}),
    RestartPolicy: { Name: 'no' }, // berth restarts containers itself (restartPolicy, backoff)
  };
  if (spec.hostPID) hostConfig.PidMode = 'host';
  else if (spec.shareProcessNamespace && sandboxId) hostConfig.PidMode = `container:${sandboxId}`;
  if (binds.length > 0) hostConfig.Binds = binds;
  if (security?.privileged) hostConfig.Privileged = true;
  if (security?.readOnlyRootFilesystem) hostConfig.ReadonlyRootfs = true;
  if (security?.capabilities?.add?.length) hostConfig.CapAdd = security.capabilities.add.map(capName);
  if (security?.capabilities?.drop?.length) hostConfig.CapDrop = security.capabilities.drop.map(capName);
  const groups = [...(podSecurity?.supplementalGroups ?? []), ...(podSecurity?.fsGroup !== undefined ? [podSecurity.fsGroup] : [])];
  if (groups.length) hostConfig.GroupAdd = groups.map(String);
  Object.assign(hostConfig, resources(container));
  const securityOpt = securityOptions(input);
  if (securityOpt.length > 0) hostConfig.SecurityOpt = securityOpt;
  if (!security?.privileged) {
    // Sent explicitly, as the kubelet sends its lists: procMount Unmasked means none at all.
    const paths = procPaths(container);
    hostConfig.MaskedPaths = paths.masked;
    hostConfig.ReadonlyPaths = paths.readonly;
    if (paths.masked.length === 0 && input.unmaskWithSecurityOpt) hostConfig.SecurityOpt = [...(hostConfig.SecurityOpt ?? []), 'unmask=ALL'];
  }
  if (!sandboxId) {
    Object.assign(hostConfig, dnsSettings(pod));
    // No sandbox container holds the pod's namespaces: its sysctls go on each container.
    const sysctls = podSysctls(pod, containerPath(pod, container));
    if (Object.keys(sysctls).length > 0) hostConfig.Sysctls = sysctls;
  }

  const body: CreateBody = {
    Image: container.image ?? '',
    Env: Object.entries(environment.env).map(([k, v]) => `${k}=${v}`),
    Labels: {
      ...baseLabels(pod, input.nodeName, container.name, attempt),
      [LABEL.type]: 'container',
      [LABEL.logPath]: input.logPath,
      [LABEL.hash]: containerHash(container),
      [LABEL.terminationMessagePath]: input.terminationMessageFile ? message.path : '',
      [LABEL.terminationMessagePolicy]: container.terminationMessagePolicy ?? 'File',
      ...(sandboxId ? { [LABEL.sandboxId]: sandboxId } : {}),
    },
    HostConfig: hostConfig,
  };
  // Kubernetes semantics, which the Engine shares: command replaces the image's ENTRYPOINT (and
  // drops its CMD), args replace its CMD.
  if (environment.command.length > 0) body.Entrypoint = environment.command;
  if (environment.args.length > 0) body.Cmd = environment.args;
  if (container.workingDir) body.WorkingDir = container.workingDir;
  if (uid !== undefined) body.User = gid !== undefined ? `${uid}:${gid}` : String(uid);
  else if (gid !== undefined) body.User = `${(input.imageUser ?? '').split(':')[0] || '0'}:${gid}`; // the image's user with the pod's group
  if (container.tty) body.Tty = true;
  if (container.stdin) body.OpenStdin = true;
  if (container.stdinOnce) body.StdinOnce = true;
  return { body, directories };
}

/**
 * spec.dnsConfig as the Engine's resolver settings (merged into the node's resolv.conf by the
 * Engine); dnsPolicy None uses only the pod's. Without dnsConfig the Engine's default: the node's
 * resolver, which is what every other policy means on a node without cluster DNS.
 */
function dnsSettings(pod: Pod): Partial<CreateBody['HostConfig']> {
  const config = pod.spec?.dnsConfig;
  if (!config) return {};
  const out: Partial<CreateBody['HostConfig']> = {};
  if (config.nameservers?.length) out.Dns = config.nameservers;
  if (config.searches?.length) out.DnsSearch = config.searches;
  const options = (config.options ?? []).filter((o) => o.name).map((o) => (o.value ? `${o.name}:${o.value}` : o.name!));
  if (options.length) out.DnsOptions = options;
  return out;
}

/** seccomp, AppArmor, SELinux and no_new_privs as Engine security options (as dockershim set them). */
function securityOptions(input: AppBodyInput): string[] {
  const { pod, container } = input;
  const where = containerPath(pod, container);
  const options: string[] = [];
  const seccomp = seccompProfile(pod, container, input.seccompProfileRoot, where);
  if (container.securityContext?.privileged) {
    // privileged containers run unconfined anyway
  } else if (seccomp.type === 'Unconfined') {
    options.push('seccomp=unconfined');
  } else if (seccomp.type === 'Localhost') {
    if (input.localhostSeccompProfile === undefined) {
      throw new RuntimeError('CreateContainerConfigError', `${where}: securityContext.seccompProfile: the Localhost profile ${seccomp.localhost} was not read`);
    }
    options.push(`seccomp=${input.localhostSeccompProfile}`);
  } // RuntimeDefault: the Engine's default profile
  const apparmor = appArmorProfile(pod, container, where);
  if (apparmor?.type === 'Unconfined') options.push('apparmor=unconfined');
  else if (apparmor?.type === 'Localhost') options.push(`apparmor=${apparmor.localhost}`);
  const selinux = container.securityContext?.seLinuxOptions ?? pod.spec?.securityContext?.seLinuxOptions;
  for (const key of ['user', 'role', 'type', 'level'] as const) {
    if (selinux?.[key]) options.push(`label=${key}:${selinux[key]}`);
  }
  if (container.securityContext?.allowPrivilegeEscalation === false) options.push('no-new-privileges');
  return options;
}

function capName(cap: string): string {
  return cap.startsWith('CAP_') ? cap : `CAP_${cap}`;
}

function resources(container: Container): Partial<CreateBody['HostConfig']> {
  const out: Partial<CreateBody['HostConfig']> = {};
  const cpuLimit = parseQuantity(container.resources?.limits?.cpu);
  const cpuRequest = parseQuantity(container.resources?.requests?.cpu) ?? cpuLimit;
  const memoryLimit = parseQuantity(container.resources?.limits?.memory);
  if (cpuLimit !== undefined && cpuLimit > 0) {
    out.CpuPeriod = CPU_PERIOD_US;
    // At least 1 ms per period, the kernel's minimum quota.
    out.CpuQuota = Math.max(1000, Math.round(cpuLimit * CPU_PERIOD_US));
  }
  if (cpuRequest !== undefined) out.CpuShares = Math.max(MIN_SHARES, Math.round(cpuRequest * 1024));
  if (memoryLimit !== undefined && memoryLimit > 0) out.Memory = Math.round(memoryLimit);
  return out;
}

function volumeBinds(input: AppBodyInput): { binds: string[]; directories: HostDirectory[] } {
  const { pod, container } = input;
  const uid = podIdentity(pod).uid;
  const volumes = new Map<string, Volume>((pod.spec?.volumes ?? []).map((v) => [v.name, v]));
  const binds: string[] = [];
  const directories: HostDirectory[] = [];
  (container.volumeMounts ?? []).forEach((mount, index) => {
    const where = `container "${container.name}": volumeMounts[${index}] (${mount.name})`;
    const volume = volumes.get(mount.name);
    if (!volume) {
      throw new RuntimeError('CreateContainerConfigError', `${where}: no volume named "${mount.name}" in spec.volumes`);
    }
    let source: string;
    if (volume.hostPath) {
      source = volume.hostPath.path;
      if (volume.hostPath.type === 'DirectoryOrCreate' && !mount.subPath) directories.push({ path: source, mode: 0o755 });
    } else if (volume.emptyDir) {
      source = join(input.volumesDir, uid, 'volumes', volume.name);
      directories.push({ path: source, mode: 0o777 });
    } else {
      const kind = Object.keys(volume).find((key) => key !== 'name') ?? 'unknown';
      throw new RuntimeError(
        'CreateContainerConfigError',
        `${where}: volume type "${kind}" is not supported by the docker runtime; static pods can use hostPath and emptyDir`,
      );
    }
    if (mount.subPath) {
      source = join(source, mount.subPath);
      if (volume.emptyDir) directories.push({ path: source, mode: 0o777 });
    }
    // mountPropagation as dockershim mapped it: HostToContainer = rslave, Bidirectional = rshared.
    const options = [
      ...(mount.readOnly ? ['ro'] : []),
      ...(mount.mountPropagation === 'HostToContainer' ? ['rslave'] : mount.mountPropagation === 'Bidirectional' ? ['rshared'] : []),
    ];
    binds.push(`${source}:${mount.mountPath}${options.length ? `:${options.join(',')}` : ''}`);
  });
  return { binds, directories };
}
