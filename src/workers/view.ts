import type { Pod } from 'kubernetes-types/core/v1';
import type { ContainerRecord, SandboxInfo } from '../runtime/types.js';

/** What a worker knows about one container of its pod. Read by status/ to build the pod status. */
export interface ContainerView {
  name: string;
  init: boolean;
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
  containers: ContainerView[];
}
