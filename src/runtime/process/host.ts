// What a host process gets instead of what a container image would give: the node's address as the
// pod IP (pods share the host network), a clean environment, and the user/group to run as.
import { networkInterfaces } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Container, Pod } from 'kubernetes-types/core/v1';
import { RuntimeError } from '../types.js';

/** The node's first non-internal IPv4 address; 127.0.0.1 when it has none. */
export function firstNodeIPv4(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === 'IPv4' && !address.internal) return address.address;
    }
  }
  return '127.0.0.1';
}

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * The complete environment of the container process: HOSTNAME and a default PATH (what an image
 * usually provides) under the container's own variables. Nothing comes from the agent's environment.
 */
export function processEnvironment(pod: Pod, env: Record<string, string>): Record<string, string> {
  const result: Record<string, string> = { HOSTNAME: pod.metadata?.name ?? '' };
  if (!Object.hasOwn(env, 'PATH')) result.PATH = DEFAULT_PATH;
  return Object.assign(result, env);
}

export interface RunAs {
  uid?: number;
  gid?: number;
  supplementalGroups: number[];
}

/** Who the agent runs as: an agent that is not root can run containers only as itself. */
export interface AgentIdentity {
  uid: number;
  gid: number;
  /** Its supplementary groups: a container started by it has them already. */
  groups: number[];
}

export function agentIdentity(): AgentIdentity {
  return { uid: process.geteuid?.() ?? 0, gid: process.getegid?.() ?? 0, groups: process.getgroups?.() ?? [] };
}

/**
 * runAsUser/runAsGroup (container over pod securityContext), the pod's supplementalGroups and
 * fsGroup. `containerPath` is the container's field path (spec.containers[0]) for messages.
 */
export function runAs(pod: Pod, container: Container, agent: AgentIdentity, containerPath: string): RunAs {
  const agentUid = agent.uid;
  const podContext = pod.spec?.securityContext;
  const context = container.securityContext;
  const uid = context?.runAsUser ?? podContext?.runAsUser;
  const gid = context?.runAsGroup ?? podContext?.runAsGroup;
  const runAsNonRoot = context?.runAsNonRoot ?? podContext?.runAsNonRoot;
  if (runAsNonRoot && (uid ?? agentUid) === 0) {
    // The kubelet's wording (pkg/kubelet/kuberuntime verifyRunAsNonRoot), then how to fix it.
    const who = `(pod: "${pod.metadata?.name ?? ''}_${pod.metadata?.namespace ?? 'default'}(${pod.metadata?.uid ?? ''})", container: ${container.name})`;
    throw new RuntimeError(
      'CreateContainerConfigError',
      uid === 0
        ? `container's runAsUser breaks non-root policy ${who}; set securityContext.runAsUser to a non-zero uid`
        : `container has runAsNonRoot and image will run as root ${who}; the process runtime runs it as berth's own user (root): ` +
          'set securityContext.runAsUser to a non-zero uid',
    );
  }
  // As the kubelet does: fsGroup is one more supplementary group of the container's processes.
  const groups = [...(podContext?.supplementalGroups ?? [])];
  if (podContext?.fsGroup !== undefined && !groups.includes(podContext.fsGroup)) groups.unshift(podContext.fsGroup);
  if (agentUid !== 0) return asUnprivilegedAgent(pod, container, agent, containerPath, { uid, gid, groups });
  const result: RunAs = { supplementalGroups: groups };
  if (uid !== undefined) result.uid = uid;
  if (gid !== undefined) result.gid = gid;
  return result;
}

/**
 * An agent that is not root cannot change a process's user or groups (setuid, setgid, setgroups
 * need CAP_SETUID/CAP_SETGID): a pod asking for another identity is refused, naming the field,
 * rather than started as the agent's user or left to fail in the shim. Asking for the agent's own
 * uid, gid or groups it already has is fine: the container inherits them.
 */
function asUnprivilegedAgent(
  pod: Pod,
  container: Container,
  agent: AgentIdentity,
  containerPath: string,
  wanted: { uid: number | undefined; gid: number | undefined; groups: number[] },
): RunAs {
  const where = (field: string) => (container.securityContext?.[field as 'runAsUser'] !== undefined ? `${containerPath}.securityContext.${field}` : `spec.securityContext.${field}`);
  const refuse = (field: string, problem: string, fix: string): never => {
    throw new RuntimeError(
      'CreateContainerConfigError',
      `${field}: ${problem}: berth runs as uid ${agent.uid}, not root, and the process runtime cannot change a container's user or groups without root ` +
        `(container ${container.name}); ${fix}, or run berth as root`,
    );
  };
  if (wanted.uid !== undefined && wanted.uid !== agent.uid) {
    refuse(where('runAsUser'), `${wanted.uid} is another user`, `remove it or set it to ${agent.uid}`);
  }
  if (wanted.gid !== undefined && wanted.gid !== agent.gid) {
    refuse(where('runAsGroup'), `${wanted.gid} is another group`, `remove it or set it to ${agent.gid}`);
  }
  const have = new Set([agent.gid, ...agent.groups]);
  const fsGroup = pod.spec?.securityContext?.fsGroup;
  if (fsGroup !== undefined && !have.has(fsGroup)) {
    refuse('spec.securityContext.fsGroup', `${fsGroup} is not a group berth has`, `remove it or use one of ${[...have].join(', ')}`);
  }
  const missing = wanted.groups.filter((g) => !have.has(g));
  if (missing.length) {
    refuse('spec.securityContext.supplementalGroups', `${missing.join(', ')} ${missing.length === 1 ? 'is not a group' : 'are not groups'} berth has`, `remove ${missing.length === 1 ? 'it' : 'them'} or use groups of ${[...have].join(', ')}`);
  }
  // Nothing to set: the shim leaves the agent's own identity and groups in place.
  return { supplementalGroups: [] };
}

/**
 * Where `npm run build` puts the shim: <repo>/dist/berth-shim. The same relative path works from
 * src/runtime/process (tsx) and dist/runtime/process (compiled).
 */
export function defaultShimPath(): string {
  return fileURLToPath(new URL('../../../dist/berth-shim', import.meta.url));
}
