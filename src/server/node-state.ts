// What the node API needs from the agent: views of the pods and ways into their containers,
// nothing that changes what runs.
import type { Duplex } from 'node:stream';
import type { Event, Pod } from 'kubernetes-types/core/v1';
import type { ExecSyncResult, StreamIO } from '../runtime/types.js';

export interface ContainerLogRef {
  path: string;
  /** Whether the container of this attempt may still write to the file. */
  stillWriting: () => boolean;
}

/** Why a request about a pod or container cannot be served: HTTP status and one line for the client. */
export interface NodeRefusal {
  status: 400 | 404 | 409;
  message: string;
}

/** One change to the node's events, as a watch stream carries it. */
export interface NodeEventChange {
  type: 'ADDED' | 'MODIFIED';
  object: Event;
}

export interface NodeState {
  pods(): Pod[];
  /** `/events`: the pod and node events the agent emitted recently (bounded), oldest first. */
  events(): { items: Event[]; resourceVersion: string };
  /** `/events?watch=1`: every event added or counted from now on, until the returned function is called. */
  watchEvents(listener: (change: NodeEventChange) => void): () => void;
  /** undefined when healthy, else why not. */
  unhealthyReason(): string | undefined;
  metrics(): string;
  /** The log of a container (`previous`: the attempt before the current one); a string says why not. */
  containerLog(namespace: string, pod: string, container: string, previous: boolean): ContainerLogRef | string;
  /** Checks before a port-forward upgrade that the pod is on this node. */
  findPod(namespace: string, pod: string): NodeRefusal | undefined;
  /**
   * Checks before a streaming upgrade that the container exists (and, when `running`, runs):
   * a NodeRefusal says why not, sent as a plain HTTP error before anything is upgraded.
   */
  findContainer(namespace: string, pod: string, container: string, running: boolean): NodeRefusal | undefined;
  /** `/exec`: resolves with the exit code; throws (RuntimeError) when it cannot run. See Runtime.exec. */
  exec(namespace: string, pod: string, container: string, command: string[], io: StreamIO): Promise<number>;
  /** `/attach`: see Runtime.attach. */
  attach(namespace: string, pod: string, container: string, io: StreamIO): Promise<void>;
  /** `/portForward`: a connection to `port` in the pod's network; rejects saying why not. */
  portForward(namespace: string, pod: string, port: number, signal: AbortSignal): Promise<Duplex>;
  /** `/run`: runs a command to completion (Runtime.execSync); throws (RuntimeError) when it cannot. */
  run(namespace: string, pod: string, container: string, command: string[], timeoutMs: number): Promise<ExecSyncResult>;
  /** `/stats/summary`: the kubelet's stats/v1alpha1 Summary object. */
  statsSummary(): Promise<object>;
  /** `/metrics/resource`: the kubelet's resource metrics, Prometheus text format. */
  resourceMetrics(): Promise<string>;
}
