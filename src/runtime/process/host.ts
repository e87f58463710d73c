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

/** runAsUser/runAsGroup (container over pod securityContext) and the pod's supplementalGroups. */
export function runAs(pod: Pod, container: Container, agentUid: number): RunAs {
  const podContext = pod.spec?.securityContext;
  const context = container.securityContext;
  const uid = context?.runAsUser ?? podContext?.runAsUser;
  const gid = context?.runAsGroup ?? podContext?.runAsGroup;
  const runAsNonRoot = context?.runAsNonRoot ?? podContext?.runAsNonRoot;
  if (runAsNonRoot && (uid ?? agentUid) === 0) {
    throw new RuntimeError(
      'CreateContainerConfigError',
      `container "${container.name}": runAsNonRoot is set but the process would run as root ` +
        `(${uid === undefined ? 'berth runs as root and no runAsUser is set' : 'runAsUser is 0'}); ` +
        'set securityContext.runAsUser to a non-zero uid',
    );
  }
  const result: RunAs = { supplementalGroups: podContext?.supplementalGroups ?? [] };
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
