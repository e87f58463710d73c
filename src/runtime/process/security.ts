// The securityContext of a process-runtime container as berth-shim applies it (see shim.c), and
// the fields a supervisor cannot enforce on a host process, which are refused by name unless the
// operator accepted the gap (--process-runtime-accept-unenforced-security).
import type { Container, Pod, SecurityContext } from 'kubernetes-types/core/v1';
import { procPaths, refuseUnsupported, type ProcPaths } from '../security.js';
import { RuntimeError } from '../types.js';

/** Linux capability numbers (linux/capability.h), by their Kubernetes names (without CAP_). */
const CAPABILITIES: Record<string, number> = {
  CHOWN: 0, DAC_OVERRIDE: 1, DAC_READ_SEARCH: 2, FOWNER: 3, FSETID: 4, KILL: 5, SETGID: 6, SETUID: 7,
  SETPCAP: 8, LINUX_IMMUTABLE: 9, NET_BIND_SERVICE: 10, NET_BROADCAST: 11, NET_ADMIN: 12, NET_RAW: 13,
  IPC_LOCK: 14, IPC_OWNER: 15, SYS_MODULE: 16, SYS_RAWIO: 17, SYS_CHROOT: 18, SYS_PTRACE: 19,
  SYS_PACCT: 20, SYS_ADMIN: 21, SYS_BOOT: 22, SYS_NICE: 23, SYS_RESOURCE: 24, SYS_TIME: 25,
  SYS_TTY_CONFIG: 26, MKNOD: 27, LEASE: 28, AUDIT_WRITE: 29, AUDIT_CONTROL: 30, SETFCAP: 31,
  MAC_OVERRIDE: 32, MAC_ADMIN: 33, SYSLOG: 34, WAKE_ALARM: 35, BLOCK_SUSPEND: 36, AUDIT_READ: 37,
  PERFMON: 38, BPF: 39, CHECKPOINT_RESTORE: 40,
};

/** What containerd and Docker give a container that is not privileged and asks for nothing else. */
export const DEFAULT_CAPABILITIES = [
  'CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID', 'SETFCAP',
  'SETPCAP', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE',
] as const;

/** How the shim sets up one container; recorded with it, so a command exec'd later gets the same. */
export interface ContainerSetup {
  /** Capabilities kept, as a hex mask; absent: all the agent has (privileged). */
  caps?: string;
  noNewPrivs: boolean;
  /** The built-in RuntimeDefault seccomp filter. */
  seccomp: boolean;
  readOnlyRoot: boolean;
  /** Writable paths under a read-only root (hostPath volumes mounted at their own path). */
  writable: string[];
  /** The masked and read-only /proc and /sys paths (procMount Default; none when Unmasked or privileged). */
  proc: ProcPaths;
}

export interface SecurityResult {
  setup: ContainerSetup;
  /** Fields that were accepted without being enforced (only with the accepting flag). */
  unenforced: string[];
}

export function containerSecurity(pod: Pod, container: Container, path: string, acceptUnenforced: boolean): SecurityResult {
  const podContext = pod.spec?.securityContext ?? {};
  const context: SecurityContext = container.securityContext ?? {};
  const unenforced: Array<{ field: string; why: string }> = [];
  const gap = (field: string, why: string): void => {
    unenforced.push({ field, why });
  };

  if (podContext.sysctls?.length) gap('spec.securityContext.sysctls', 'host processes share the node\'s kernel settings');
  if (pod.spec?.hostUsers === false) gap('spec.hostUsers', 'user namespaces are not created for host processes');
  for (const [where, ctx] of [
    ['spec.securityContext', podContext],
    [`${path}.securityContext`, context],
  ] as const) {
    if (ctx.seLinuxOptions && Object.values(ctx.seLinuxOptions).some((v) => v)) gap(`${where}.seLinuxOptions`, 'it does not label processes');
    if (ctx.windowsOptions && Object.values(ctx.windowsOptions).some((v) => v !== undefined)) gap(`${where}.windowsOptions`, 'it runs Linux processes');
    if (ctx.appArmorProfile && ctx.appArmorProfile.type !== 'Unconfined') gap(`${where}.appArmorProfile`, 'it does not load AppArmor profiles');
  }
  const apparmor = pod.metadata?.annotations?.[`container.apparmor.security.beta.kubernetes.io/${container.name}`];
  if (apparmor && apparmor !== 'unconfined') {
    gap(`metadata.annotations[container.apparmor.security.beta.kubernetes.io/${container.name}]`, 'it does not load AppArmor profiles');
  }

  const privileged = context.privileged === true;
  const profile = context.seccompProfile ?? podContext.seccompProfile;
  let seccomp = false;
  if (profile?.type === 'RuntimeDefault' && !privileged) seccomp = true;
  else if (profile?.type === 'Localhost') {
    gap(`${context.seccompProfile ? `${path}.securityContext` : 'spec.securityContext'}.seccompProfile`, 'it has only its built-in RuntimeDefault profile, not Localhost profiles');
  }

  if (unenforced.length > 0 && !acceptUnenforced) {
    const first = unenforced[0]!;
    const all = unenforced.map((u) => u.field).join(', ');
    throw new RuntimeError(
      'CreateContainerConfigError',
      `container "${container.name}": ${first.field} cannot be enforced by the process runtime (${first.why})` +
        `${unenforced.length > 1 ? `; also not enforceable: ${all}` : ''}. ` +
        'Remove the field, run the pod on a container engine (--container-runtime-endpoint), or start berth with ' +
        '--process-runtime-accept-unenforced-security to run it without',
    );
  }

  // What no runtime of berth can honour (extended resources, subPathExpr, ...), refused as the
  // engine runtimes refuse it. spec.hostUsers was handled above, with the accepting flag.
  refuseUnsupported(pod.spec?.hostUsers === false ? { ...pod, spec: { ...pod.spec, hostUsers: true } } : pod, container, 'process');

  const writable = (container.volumeMounts ?? [])
    .filter((mount) => !mount.readOnly)
    .map((mount) => ({ mount, volume: pod.spec?.volumes?.find((v) => v.name === mount.name) }))
    .filter(({ mount, volume }) => volume?.hostPath?.path === mount.mountPath)
    .map(({ mount }) => mount.mountPath);

  const setup: ContainerSetup = {
    noNewPrivs: context.allowPrivilegeEscalation === false,
    seccomp,
    readOnlyRoot: context.readOnlyRootFilesystem === true,
    writable,
    proc: procPaths(container),
  };
  if (!privileged) setup.caps = capabilityMask(context, container, path).toString(16);
  return { setup, unenforced: unenforced.map((u) => u.field) };
}

function capabilityMask(context: SecurityContext, container: Container, path: string): bigint {
  const bit = (name: string, field: string): bigint | 'ALL' => {
    const bare = name.toUpperCase().replace(/^CAP_/, '');
    if (bare === 'ALL') return 'ALL';
    const n = CAPABILITIES[bare];
    if (n === undefined) {
      throw new RuntimeError(
        'CreateContainerConfigError',
        `container "${container.name}": ${field}: unknown capability "${name}"; use a Linux capability name such as NET_ADMIN or SYS_TIME`,
      );
    }
    return 1n << BigInt(n);
  };
  const all = Object.values(CAPABILITIES).reduce((m, n) => m | (1n << BigInt(n)), 0n);
  let mask = DEFAULT_CAPABILITIES.reduce((m, name) => m | (1n << BigInt(CAPABILITIES[name]!)), 0n);
  // Dropped first, then added: "drop ALL, add NET_BIND_SERVICE" keeps exactly that one, as containerd does.
  (context.capabilities?.drop ?? []).forEach((name, i) => {
    const b = bit(name, `${path}.securityContext.capabilities.drop[${i}]`);
    mask = b === 'ALL' ? 0n : mask & ~b;
  });
  (context.capabilities?.add ?? []).forEach((name, i) => {
    const b = bit(name, `${path}.securityContext.capabilities.add[${i}]`);
    mask = b === 'ALL' ? all : mask | b;
  });
  return mask;
}

/** The shim options of a setup (before the uid/gid/cwd ones); also what `--enter` needs for exec. */
export function setupArgs(setup: ContainerSetup): string[] {
  const args: string[] = [];
  if (setup.caps !== undefined) args.push('--caps', setup.caps);
  if (setup.noNewPrivs) args.push('--no-new-privs');
  if (setup.seccomp) args.push('--seccomp', 'default');
  return args;
}
