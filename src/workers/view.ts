import type { Pod } from 'kubernetes-types/core/v1';
import type { Rejection } from '../admission/index.js';
import type { ContainerRecord, SandboxInfo } from '../runtime/types.js';

/** What a worker knows about one container of its pod. Read by status/ to build the pod status. */
export interface ContainerView {
  name: string;
  init: boolean;
  /** An init container with restartPolicy Always: runs beside the app containers. */
  sidecar?: boolean;
  /**
   * From the probes, while the current attempt runs: `started` once its startupProbe passed (or
   * it has none), `ready` by its readinessProbe (or once started when it has none). Undefined:
   * no probe results (status falls back to "running").
   */
  started?: boolean;
  ready?: boolean;
  /** The latest attempt the runtime ran. */
  current?: ContainerRecord;
  /** The attempt before it: the kubelet's lastState. */
  previous?: ContainerRecord;
  /** Why the container is not running now (ContainerCreating, CrashLoopBackOff, CreateContainerConfigError, ...). */
  waiting?: { reason: string; message?: string };
}

/** A worker's read-only picture of its pod. */
export interface PodView {
  pod: Pod;
  /** Name of the runtime running it (containerd, docker, process): the scheme of its container IDs. */
  runtime: string;
  sandbox?: SandboxInfo;
  startTime?: string;
  terminating: boolean;
  /** When stopping began (the mirror pod's deletionTimestamp). */
  terminatingSince?: string;
  /** Every init container has done its part (plain ones exited 0, sidecars started); stays true. */
  initialized?: boolean;
  containers: ContainerView[];
  /** Refused by admission (e.g. its node selector does not match this node): never started. */
  rejected?: Rejection;
}
