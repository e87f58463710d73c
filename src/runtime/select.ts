// Picks the runtime from --container-runtime-endpoint: none = the process runtime; a socket is
// asked what it is (CRI Version, then Docker's /_ping). A socket that is missing or does not answer
// is reported clearly and retried until it comes back: the agent waits, it does not give up.
import { join } from 'node:path';
import type { Logger } from '../log/index.js';
import { ProcessRuntime, type PodWarning } from './process/index.js';
import type { Runtime } from './types.js';
import type { LogRotationPolicy } from '../logs/index.js';

export interface RuntimeChoice {
  endpoint?: string;
  rootDir: string;
  podLogsDir: string;
  shimPath: string;
  nodeName: string;
  nodeIP: string;
  podInfraImage: string;
  logger: Logger;
  /** Delay between attempts while the endpoint does not answer. */
  retryMs?: number;
  /** Stops the waiting (agent shutdown). */
  cancelled?: () => boolean;
  /** Process runtime: --process-runtime-accept-unenforced-security. */
  acceptUnenforcedSecurity?: boolean;
  /** Process runtime: warnings about a pod (limits without cgroups), made events by the agent. */
  onPodWarning?: PodWarning;
  /** Where the runtime's own log writer rotates (process shim, Docker copier). */
  logRotation?: LogRotationPolicy;
}

const PROBE_TIMEOUT_MS = 2000;

export async function selectRuntime(c: RuntimeChoice): Promise<Runtime> {
  if (!c.endpoint) {
    const runtime = new ProcessRuntime({
      rootDir: c.rootDir,
      shimPath: c.shimPath,
      logger: c.logger,
      nodeIP: c.nodeIP,
      acceptUnenforcedSecurity: c.acceptUnenforcedSecurity ?? false,
      ...(c.logRotation ? { logRotation: c.logRotation } : {}),
      ...(c.onPodWarning ? { onPodWarning: c.onPodWarning } : {}),
    });
    await runtime.init();
    return runtime;
  }
  const endpoint = c.endpoint;
  // Loaded only when an engine is asked for: the gRPC stack costs memory the process runtime does not need.
  const { CriRuntime, isCriEndpoint } = await import('./cri/index.js');
  const { DockerRuntime, isDockerEndpoint } = await import('./docker/index.js');
  // emptyDir volumes live under the root dir, with the rest of the agent's state.
  const volumesDir = join(c.rootDir, 'pods');
  let lastError = '';
  for (;;) {
    let runtime: Runtime | undefined;
    try {
      if (await isCriEndpoint(endpoint, PROBE_TIMEOUT_MS)) {
        runtime = new CriRuntime({ endpoint, podLogsDir: c.podLogsDir, logger: c.logger, nodeName: c.nodeName, nodeIP: c.nodeIP, volumesDir, seccompProfileRoot: join(c.rootDir, 'seccomp') });
      } else if (await isDockerEndpoint(endpoint, PROBE_TIMEOUT_MS)) {
        runtime = new DockerRuntime({ endpoint, podLogsDir: c.podLogsDir, logger: c.logger, nodeName: c.nodeName, nodeIP: c.nodeIP, podInfraImage: c.podInfraImage, volumesDir, seccompProfileRoot: join(c.rootDir, 'seccomp'), ...(c.logRotation ? { logRotation: c.logRotation } : {}) });
      } else {
        throw new Error('it answers neither the CRI (runtime.v1 Version) nor the Docker Engine API (/_ping)');
      }
      await runtime.init();
      if (lastError) c.logger.info('container runtime endpoint answers again', { endpoint });
      return runtime;
    } catch (err) {
      await runtime?.close().catch(() => undefined);
      const message = `container runtime endpoint ${endpoint} cannot be used: ${(err as Error).message}. Start the runtime (containerd: scripts/containerd-up.sh, Docker: scripts/docker-up.sh, Podman: scripts/podman-up.sh) or fix --container-runtime-endpoint; retrying`;
      if (message !== lastError) c.logger.error(message, { endpoint });
      lastError = message;
    }
    if (c.cancelled?.()) throw new Error(`stopped while waiting for the container runtime at ${endpoint}`);
    await new Promise((r) => setTimeout(r, c.retryMs ?? 2000));
  }
}
