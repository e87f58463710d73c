// The CRI container config the kubelet would send for one container attempt
// (pkg/kubelet/kuberuntime kuberuntime_container.go generateContainerConfig): command/args/env
// (shared expansion rules), volume mounts, security context, resources, and the labels and
// annotations berth finds and recognises its containers by after a restart.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { dirname, isAbsolute, join, normalize, relative, resolve } from 'node:path';
import type { Container, Pod, Volume } from 'kubernetes-types/core/v1';
import { parseQuantity } from '../../manifest/quantity.js';
import { containerEnvironment } from '../env.js';
import { applyFsGroup } from '../volume-ownership.js';
import { HOSTS_PATH, wantsManagedHosts, writeManagedHostsFile } from '../hosts-file.js';
import { KUBE_LABELS } from '../labels.js';
import { createTerminationMessageFile, terminationMessageSpec } from '../termination-message.js';
import { DEFAULT_SECCOMP_PROFILE_ROOT, appArmorProfile, containerPath, procPaths, refuseUnsupported, seccompProfile } from '../security.js';
import { RuntimeError, type SandboxInfo } from '../types.js';
import {
  ANNOTATION_CONTAINER_HASH,
  ANNOTATION_GRACE_PERIOD,
  ANNOTATION_RESTART_COUNT,
  LABEL_CONTAINER_NAME,
  namespaceOptions,
  podIdentity,
  podLabels,
} from './sandbox.js';
import type { ContainerConfig, LinuxContainerResources, LinuxContainerSecurityContext, Mount } from './types.js';

/** The CFS period the kubelet uses; a CPU limit becomes a quota of that many microseconds per CPU. */
const CPU_PERIOD_US = 100_000;
const MIN_QUOTA_US = 1_000;
const MIN_SHARES = 2;

export interface ContainerConfigInput {
  pod: Pod;
  container: Container;
  attempt: number;
  sandbox: SandboxInfo;
  /** The sandbox's log_directory; `logPath` must lie under it (the CRI takes a relative path). */
  logDirectory: string;
  logPath: string;
  /** emptyDir volumes live in <volumesDir>/<pod uid>/volumes/<volume name>. */
  volumesDir: string;
  /** Labels the container with berth.node (see LABEL_NODE in sandbox.ts). */
  nodeName?: string;
  /** For messages about fields this runtime cannot honour; default containerd. */
  runtimeName?: string;
  /** Where seccomp Localhost profiles are; default /var/lib/berth/seccomp. */
  seccompProfileRoot?: string;
  /** The image's USER from ImageStatus: a uid, or a name; neither means root. */
  imageUser?: { uid: number | undefined; username: string };
}

/** A short digest of the container's spec: tells a changed container from an unchanged one. */
export function containerHash(container: Container): string {
  return createHash('sha256').update(JSON.stringify(container)).digest('hex').slice(0, 16);
}

/** The folder of the pod's emptyDir volumes (removed with the pod's sandbox). */
export function podVolumesDir(volumesDir: string, podUid: string): string {
  return join(volumesDir, podUid);
}

/**
 * Builds the config and creates what it mounts (emptyDir folders, hostPath *OrCreate paths).
 * Throws RuntimeError CreateContainerConfigError for what berth cannot give a static pod.
 */
export async function containerConfig(input: ContainerConfigInput): Promise<ContainerConfig> {
  const { pod, container, attempt, sandbox } = input;
  refuseUnsupported(pod, container, input.runtimeName ?? 'containerd');
  const security = securityContext(input);
  const profile = security.seccomp.localhostRef;
  if (profile && !security.privileged && !(await fs.stat(profile).catch(() => undefined))?.isFile()) {
    throw new RuntimeError(
      'CreateContainerConfigError',
      `${containerPath(pod, container)}: securityContext.seccompProfile: the Localhost profile ${profile} does not exist; put a seccomp JSON profile there`,
    );
  }
  const { env, command, args } = containerEnvironment(pod, container, sandbox);
  const mounts = await prepareMounts(input);
  if (wantsManagedHosts(container)) {
    const podDir = podVolumesDir(input.volumesDir, podIdentity(pod).uid);
    try {
      mounts.push({ containerPath: HOSTS_PATH, hostPath: await writeManagedHostsFile(podDir, pod, sandbox.podIP), readonly: false });
    } catch (err) {
      throw new RuntimeError('CreateContainerError', `container "${container.name}": cannot write the pod's hosts file in ${podDir}: ${(err as Error).message}`);
    }
  }
  const message = terminationMessageSpec(container);
  if (message.path && !mounts.some((m) => m.containerPath === message.path)) {
    mounts.push({ containerPath: message.path, hostPath: await terminationMessageFile(input), readonly: false });
  }
  const logPath = relative(input.logDirectory, resolve(input.logPath));

  return {
    metadata: { name: container.name, attempt },
    image: { image: container.image ?? '' },
    command,
    args,
    workingDir: container.workingDir ?? '',
    envs: Object.entries(env).map(([key, value]) => ({ key, value })),
    mounts,
    labels: { ...podLabels(pod, input.nodeName), [LABEL_CONTAINER_NAME]: container.name },
    annotations: {
      [ANNOTATION_RESTART_COUNT]: String(attempt),
      [ANNOTATION_CONTAINER_HASH]: containerHash(container),
      [ANNOTATION_GRACE_PERIOD]: String(pod.spec?.terminationGracePeriodSeconds ?? 30),
      [KUBE_LABELS.terminationMessagePath]: message.path,
      [KUBE_LABELS.terminationMessagePolicy]: container.terminationMessagePolicy ?? 'File',
    },
    logPath,
    stdin: container.stdin === true,
    stdinOnce: container.stdinOnce === true,
    tty: container.tty === true,
    linux: { resources: resources(container), securityContext: security },
  };
}

/** The attempt's message file under <volumesDir>/<pod uid>/containers/<name>/ (removed with the pod). */
async function terminationMessageFile(input: ContainerConfigInput): Promise<string> {
  const dir = join(podVolumesDir(input.volumesDir, podIdentity(input.pod).uid), 'containers', input.container.name);
  try {
    return await createTerminationMessageFile(dir);
  } catch (err) {
    throw new RuntimeError('CreateContainerError', `container "${input.container.name}": cannot create its termination message file in ${dir}: ${(err as Error).message}`);
  }
}

/** The CRI security context as the kubelet builds it (determineEffectiveSecurityContext + the image's user). */
function securityContext(input: ContainerConfigInput): LinuxContainerSecurityContext {
  const { pod, container } = input;
  const podContext = pod.spec?.securityContext;
  const context = container.securityContext;
  const where = containerPath(pod, container);
  const uid = context?.runAsUser ?? podContext?.runAsUser;
  const gid = context?.runAsGroup ?? podContext?.runAsGroup;
  const image = input.imageUser ?? { uid: undefined, username: '' };
  verifyRunAsNonRoot(pod, container, uid, image);
  const paths = procPaths(container);
  const seccomp = seccompProfile(pod, container, input.seccompProfileRoot ?? DEFAULT_SECCOMP_PROFILE_ROOT, where);
  const apparmor = appArmorProfile(pod, container, where);
  const selinux = context?.seLinuxOptions ?? podContext?.seLinuxOptions;
  // The image's user unless the pod sets one, as the kubelet sends it: a lone runAsGroup then
  // applies to the image's user.
  const user =
    uid !== undefined
      ? { runAsUser: { value: uid } }
      : image.username && image.uid === undefined
        ? { runAsUsername: image.username }
        : { runAsUser: { value: image.uid ?? 0 } }; // an image without USER runs as root
  return {
    privileged: context?.privileged === true,
    namespaceOptions: namespaceOptions(pod),
    ...user,
    ...(gid !== undefined ? { runAsGroup: { value: gid } } : {}),
    readonlyRootfs: context?.readOnlyRootFilesystem === true,
    supplementalGroups: [...(podContext?.supplementalGroups ?? []), ...(podContext?.fsGroup !== undefined ? [podContext.fsGroup] : [])],
    noNewPrivs: context?.allowPrivilegeEscalation === false,
    maskedPaths: paths.masked,
    readonlyPaths: paths.readonly,
    seccomp: { profileType: seccomp.type, ...(seccomp.localhost ? { localhostRef: seccomp.localhost } : {}) },
    ...(apparmor ? { apparmor: { profileType: apparmor.type, ...(apparmor.localhost ? { localhostRef: apparmor.localhost } : {}) } } : {}),
    ...(selinux ? { selinuxOptions: { user: selinux.user ?? '', role: selinux.role ?? '', type: selinux.type ?? '', level: selinux.level ?? '' } } : {}),
    ...(context?.capabilities
      ? { capabilities: { addCapabilities: context.capabilities.add ?? [], dropCapabilities: context.capabilities.drop ?? [] } }
      : {}),
  };
}

/** runAsNonRoot as the kubelet checks it: the pod's uid, else the image's user (none = root). */
function verifyRunAsNonRoot(pod: Pod, container: Container, uid: number | undefined, image: { uid: number | undefined; username: string }): void {
  const nonRoot = container.securityContext?.runAsNonRoot ?? pod.spec?.securityContext?.runAsNonRoot;
  if (!nonRoot) return;
  const where = `container "${container.name}"`;
  const fix = 'set securityContext.runAsUser to a non-zero uid';
  if (uid !== undefined) {
    if (uid === 0) throw new RuntimeError('CreateContainerConfigError', `${where}: runAsNonRoot is true but runAsUser is 0 (root); ${fix}`);
    return;
  }
  if (image.uid === undefined && image.username) {
    throw new RuntimeError(
      'CreateContainerConfigError',
      `${where}: runAsNonRoot is true and image "${container.image}" has the non-numeric user "${image.username}", which cannot be verified as non-root; ${fix}`,
    );
  }
  if ((image.uid ?? 0) === 0) {
    throw new RuntimeError('CreateContainerConfigError', `${where}: runAsNonRoot is true and image "${container.image}" will run as root; ${fix}`);
  }
}

/**
 * CPU limit -> CFS quota, CPU request -> shares, memory limit -> memory limit, as the kubelet. A
 * container without CPU request or limit gets no shares value (the runtime's default, 1024)
 * rather than the kubelet's 2: berth has no kubepods cgroup tree, so 2 would starve it against
 * every host process instead of only against other pods.
 */
function resources(container: Container): LinuxContainerResources {
  const limits = container.resources?.limits ?? {};
  const requests = container.resources?.requests ?? {};
  const cpuLimit = parseQuantity(limits.cpu);
  const cpuRequest = parseQuantity(requests.cpu) ?? cpuLimit;
  const memoryLimit = parseQuantity(limits.memory);
  const result: LinuxContainerResources = {};
  if (cpuLimit !== undefined && cpuLimit > 0) {
    result.cpuPeriod = CPU_PERIOD_US;
    result.cpuQuota = Math.max(MIN_QUOTA_US, Math.round(cpuLimit * CPU_PERIOD_US));
  }
  if (cpuRequest !== undefined) result.cpuShares = Math.max(MIN_SHARES, Math.round(cpuRequest * 1024));
  if (memoryLimit !== undefined && memoryLimit > 0) result.memoryLimitInBytes = Math.round(memoryLimit);
  return result;
}

const PROPAGATION = {
  HostToContainer: 'PROPAGATION_HOST_TO_CONTAINER',
  Bidirectional: 'PROPAGATION_BIDIRECTIONAL',
} as const;

async function prepareMounts(input: ContainerConfigInput): Promise<Mount[]> {
  const { pod, container } = input;
  const volumes = pod.spec?.volumes ?? [];
  const mounts: Mount[] = [];
  for (const [index, volumeMount] of (container.volumeMounts ?? []).entries()) {
    const where = `container "${container.name}": volumeMounts[${index}] (${volumeMount.name})`;
    const volumeIndex = volumes.findIndex((v) => v.name === volumeMount.name);
    const volume = volumes[volumeIndex];
    if (!volume) {
      throw new RuntimeError('CreateContainerConfigError', `${where}: no volume named "${volumeMount.name}" in spec.volumes`);
    }
    let hostPath = await volumeSource(input, volume, `spec.volumes[${volumeIndex}] (${volume.name})`);
    const subPath = volumeMount.subPath ?? '';
    if (subPath) {
      if (isAbsolute(subPath) || normalize(subPath).split('/').includes('..')) {
        throw new RuntimeError('CreateContainerConfigError', `${where}.subPath: must be a relative path without "..", got "${subPath}"`);
      }
      hostPath = join(hostPath, subPath);
      // The kubelet creates a missing subPath as a folder.
      await fs.mkdir(hostPath, { recursive: true }).catch(() => undefined);
    }
    const propagation = volumeMount.mountPropagation ? PROPAGATION[volumeMount.mountPropagation as keyof typeof PROPAGATION] : undefined;
    mounts.push({
      containerPath: volumeMount.mountPath,
      hostPath,
      readonly: volumeMount.readOnly === true,
      ...(propagation ? { propagation } : {}),
    });
  }
  return mounts;
}

/** The host path behind a volume, created when its type says so. */
async function volumeSource(input: ContainerConfigInput, volume: Volume, where: string): Promise<string> {
  if (volume.emptyDir) {
    // Medium "Memory" is a plain folder too: berth does not mount tmpfs for pods.
    const dir = join(podVolumesDir(input.volumesDir, podIdentity(input.pod).uid), 'volumes', volume.name);
    try {
      await fs.mkdir(dir, { recursive: true });
      await fs.chmod(dir, 0o777); // as the kubelet: any container user may write there
      await applyFsGroup(dir, input.pod.spec?.securityContext?.fsGroup);
    } catch (err) {
      throw new RuntimeError('CreateContainerError', `${where}: cannot create the emptyDir folder ${dir}: ${(err as Error).message}`);
    }
    return dir;
  }
  if (volume.hostPath) {
    const path = volume.hostPath.path;
    const type = volume.hostPath.type ?? '';
    try {
      await checkHostPath(path, type);
    } catch (err) {
      throw new RuntimeError('CreateContainerConfigError', `${where}.hostPath: ${(err as Error).message}`);
    }
    return path;
  }
  const kind = Object.keys(volume).find((key) => key !== 'name') ?? 'unknown';
  throw new RuntimeError(
    'CreateContainerConfigError',
    `${where}: volume type "${kind}" is not supported for static pods (it needs the API server); use hostPath or emptyDir`,
  );
}

/** The kubelet's hostPath type checks (pkg/volume/hostpath), creating *OrCreate paths. */
async function checkHostPath(path: string, type: string): Promise<void> {
  const stat = await fs.stat(path).catch(() => undefined);
  switch (type) {
    case '':
      return;
    case 'DirectoryOrCreate':
      if (!stat) await fs.mkdir(path, { recursive: true, mode: 0o755 });
      else if (!stat.isDirectory()) throw new Error(`${path} exists and is not a directory (type DirectoryOrCreate)`);
      return;
    case 'FileOrCreate':
      if (!stat) {
        await fs.mkdir(dirname(path), { recursive: true });
        await (await fs.open(path, 'a', 0o644)).close();
      } else if (!stat.isFile()) throw new Error(`${path} exists and is not a file (type FileOrCreate)`);
      return;
    case 'Directory':
      if (!stat?.isDirectory()) throw new Error(`${path} is not a directory (type Directory); create it or use DirectoryOrCreate`);
      return;
    case 'File':
      if (!stat?.isFile()) throw new Error(`${path} is not a file (type File); create it or use FileOrCreate`);
      return;
    case 'Socket':
      if (!stat?.isSocket()) throw new Error(`${path} is not a socket (type Socket)`);
      return;
    case 'CharDevice':
      if (!stat?.isCharacterDevice()) throw new Error(`${path} is not a character device (type CharDevice)`);
      return;
    case 'BlockDevice':
      if (!stat?.isBlockDevice()) throw new Error(`${path} is not a block device (type BlockDevice)`);
      return;
    default:
      throw new Error(`unknown type "${type}"`);
  }
}
