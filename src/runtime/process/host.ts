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

/** runAsUser/runAsGroup (container over pod securityContext), the pod's supplementalGroups and fsGroup. */
export function runAs(pod: Pod, container: Container, agentUid: number): RunAs {
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
  const result: RunAs = { supplementalGroups: groups };
  if (uid !== undefined) result.uid = uid;
  if (gid !== undefined) result.gid = gid;
  return result;
}

/**
 * Where `npm run build` puts the shim: <repo>/dist/berth-shim. The same relative path works from
 * src/runtime/process (tsx) and dist/runtime/process (compiled).
 */
export function defaultShimPath(): string {
  return fileURLToPath(new URL('../../../dist/berth-shim', import.meta.url));
}
