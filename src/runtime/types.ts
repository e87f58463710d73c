import type { Container, Pod } from 'kubernetes-types/core/v1';

/** What the runtime gives a pod before its containers start (the CRI's pod sandbox). */
export interface SandboxInfo {
  podIP: string;
  hostIP: string;
}

/** Which pod a sandbox belongs to. */
export interface PodRef {
  podUid: string;
  podName: string;
  podNamespace: string;
}

export type ContainerState = 'created' | 'running' | 'exited';

/**
 * One container instance (one attempt) as the runtime knows it. Records survive an agent restart:
 * the runtime finds them again (process runtime: its state folder; CRI/Docker: labels).
 */
export interface ContainerRecord {
  id: string;
  podUid: string;
  podName: string;
  podNamespace: string;
  containerName: string;
  /** 0 for the first start, then +1 per restart; the kubelet's restartCount is derived from it. */
  attempt: number;
  state: ContainerState;
  pid?: number;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  /** Terminated reason as the kubelet shows it: Completed, Error, ... */
  reason?: string;
  message?: string;
  /** CRI-format log file of this attempt. */
  logPath: string;
  /**
   * The pod's terminationGracePeriodSeconds when this container started: a restarted agent stops
   * a pod whose manifest vanished with the grace period the pod asked for.
   */
  gracePeriodSeconds?: number;
}

/**
 * A failure to create or start a container. `reason` is the waiting reason shown in the pod status
 * (CreateContainerConfigError, CreateContainerError, RunContainerError, ErrImagePull, ...).
 */
export class RuntimeError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'RuntimeError';
  }
}

/**
 * Reports an event about the container being started, in the kubelet's words (Pulling, Pulled,
 * Failed for images; Created once the container exists). The worker turns it into a pod event.
 */
export type ContainerEvents = (type: 'Normal' | 'Warning', reason: string, message: string) => void;

export interface StartContainerRequest {
  pod: Pod;
  container: Container;
  attempt: number;
  /** Where the runtime must write the CRI-format log of this attempt. */
  logPath: string;
  sandbox: SandboxInfo;
  events?: ContainerEvents;
}

/** What a command run inside a container by execSync left behind. */
export interface ExecSyncResult {
  /** The command's exit code; -1 when it was killed because it ran past its timeout. */
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
  timedOut: boolean;
}

/**
 * The only interface between the pod workers and a container engine. Workers are its only callers.
 */
export interface Runtime {
  /** Short name for logs: `process`, `containerd`, `docker`. */
  readonly name: string;
  /** Connects / prepares state folders. Throws a clear error when the engine cannot be used. */
  init(): Promise<void>;
  /** Creates (or finds again) the pod's sandbox. Idempotent. */
  runPodSandbox(pod: Pod): Promise<SandboxInfo>;
  /** Removes the pod's sandbox after its containers have been stopped. Idempotent. */
  removePodSandbox(pod: Pod): Promise<void>;
  /** Creates and starts one container attempt. Throws RuntimeError when it cannot. */
  startContainer(request: StartContainerRequest): Promise<ContainerRecord>;
  /** SIGTERM (to the container's process group), SIGKILL after the grace period. Resolves once it has exited. */
  stopContainer(id: string, gracePeriodSeconds: number): Promise<ContainerRecord | undefined>;
  /** Forgets an exited container (its state, not its log file). */
  removeContainer(id: string): Promise<void>;
  /** Every container this agent's runtime knows, running or exited. */
  listContainers(): Promise<ContainerRecord[]>;
  /** The pods that have a sandbox (also those whose containers never started). */
  listPodSandboxes(): Promise<PodRef[]>;
  /**
   * Runs `command` inside the running container `id` (its user, environment, working dir,
   * namespaces and cgroup) and waits for it; kills it after `timeoutMs` (then `timedOut` is true).
   * Used by exec probes and exec lifecycle hooks. Throws RuntimeError when the container is not running.
   */
  execSync(id: string, command: string[], timeoutMs: number): Promise<ExecSyncResult>;
  /** Called once for every container that exits, with its final record. */
  onContainerExit(listener: (record: ContainerRecord) => void): void;
  close(): Promise<void>;
}
