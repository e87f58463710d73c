import type { Duplex, Readable, Writable } from 'node:stream';
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


/** A terminal's size in character cells, as the client reports it (resize stream/channel). */
export interface TerminalSize {
  width: number;
  height: number;
}

/**
 * The client's side of an exec or attach, whatever protocol carries it (src/streaming/ makes it from
 * a WebSocket or SPDY connection; tests make it from PassThrough streams).
 */
export interface StreamIO {
  /** What the client types; null when it asked for no stdin. Ends when the client closes its stdin. */
  stdin: Readable | null;
  stdout: Writable | null;
  /** null with a tty (the terminal merges stderr into stdout) or when the client did not ask for it. */
  stderr: Writable | null;
  tty: boolean;
  /** Terminal sizes the client sends; the first arrives soon after the start. */
  onResize(listener: (size: TerminalSize) => void): void;
  /** Aborted when the client goes away: the runtime kills what it started for it and frees everything. */
  signal: AbortSignal;
}

/** Resource usage of one container, read now (cumulative counters, as cAdvisor reports them). */
export interface ContainerStats {
  /** When it was read (RFC 3339). */
  timestamp: string;
  /** Total CPU time of the container's processes, nanoseconds. */
  cpuUsageNanoSeconds?: number;
  /** usage minus inactive file cache: what the kubelet reports as workingSetBytes. */
  memoryWorkingSetBytes?: number;
  memoryUsageBytes?: number;
  memoryRssBytes?: number;
  processes?: number;
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
  /**
   * Every container this agent's runtime knows, running or exited; with `podUid`, only that pod's,
   * found without reading every other container's state (a pod being stopped asks for its own: with
   * 2000 pods stopping at once, a full list per pod would be 2000 x 4000 state reads).
   */
  listContainers(podUid?: string): Promise<ContainerRecord[]>;
  /** The pods that have a sandbox (also those whose containers never started). */
  listPodSandboxes(): Promise<PodRef[]>;
  /**
   * Runs `command` inside the running container `id` (its user, environment, working dir,
   * namespaces and cgroup) and waits for it; kills it after `timeoutMs` (then `timedOut` is true).
   * Used by exec probes and exec lifecycle hooks. Throws RuntimeError when the container is not running.
   */
  execSync(id: string, command: string[], timeoutMs: number): Promise<ExecSyncResult>;
  /**
   * `kubectl exec`: runs `command` in the running container `id` (as execSync does: its user, env,
   * working dir, namespaces, cgroup) wired to the client's streams, with a pty when `io.tty`
   * (resized by io.onResize). Resolves with the exit code once the command has exited and its
   * output has been written; 127 when the command does not exist, 126 when it cannot be run (the
   * reason written to stderr, or stdout with a tty). Kills the command when io.signal aborts.
   * Throws RuntimeError when the container is not running or the runtime cannot exec.
   */
  exec(id: string, command: string[], io: StreamIO): Promise<number>;
  /**
   * `kubectl attach`: connects the client to the running container's own streams: its stdin (and
   * pty) when the container was started with `stdin: true` (`tty: true`), and its live output.
   * Resolves when the container exits or the client goes away (io.signal); the container is never
   * stopped by a detach. Throws RuntimeError when the container is not running.
   */
  attach(id: string, io: StreamIO): Promise<void>;
  /**
   * `kubectl port-forward`: a connection to `port` in the pod's network (the node's for a
   * host-network pod). Rejects with a RuntimeError saying why when nothing listens there or the
   * runtime cannot reach the pod's network. Destroyed when `signal` aborts.
   */
  portForward(pod: Pod, port: number, signal: AbortSignal): Promise<Duplex>;
  /** Current usage of a container (cgroups where it has one, /proc otherwise); undefined when unknown. */
  containerStats(id: string): Promise<ContainerStats | undefined>;
  /**
   * Log rotation for a runtime that only reopens its log file on request (CRI ReopenContainerLog):
   * the agent renames the file at the size limit and calls this. Runtimes whose writer rotates
   * the file itself (process, Docker) do not have it.
   */
  reopenContainerLog?(id: string): Promise<void>;
  /** Output of a container dropped because its log file could not be written (full disk), when counted. */
  droppedLogOutput?(id: string): Promise<{ lines: number; bytes: number; failing: boolean } | undefined>;
  /** Called once for every container that exits, with its final record. */
  onContainerExit(listener: (record: ContainerRecord) => void): void;
  close(): Promise<void>;
}
