// The Node object of this agent: registration (create, or adopt an existing Node of the same name),
// the periodic status heartbeat, and the Node's UID, which mirror pods and the Lease name as owner.
// Upstream: pkg/kubelet/kubelet_node_status.go.
import type { Node, NodeCondition, NodeStatus, Taint } from 'kubernetes-types/core/v1';
import type { RestClient } from './client.js';
import { isAlreadyExists, isNotFound } from './errors.js';
import type { NodeFacts } from './node-info.js';
import { rfc3339 } from './time.js';

export interface NodeSpecOptions {
  nodeName: string;
  nodeIP: string;
  /** Hostname address and kubernetes.io/hostname label; default nodeName. */
  hostname?: string;
  /** Extra labels (the kubernetes.io/ ones are always set). */
  labels?: Record<string, string>;
  /** Taints to register with (only on create, as --register-with-taints). */
  taints?: Taint[];
  /** e.g. `berth-process://0.1.0`. */
  containerRuntimeVersion?: string;
  /** Default `v1.32.0-berth`. */
  kubeletVersion?: string;
  /** daemonEndpoints.kubeletEndpoint.Port: the node server's port. */
  kubeletPort?: number;
  /** Overrides of the measured capacity, e.g. `{pods: '50'}`. */
  capacity?: Record<string, string>;
}

export const DEFAULT_KUBELET_VERSION = 'v1.32.0-berth';
const MAX_PODS = '110';

export function nodePath(name?: string): string {
  return name === undefined ? '/api/v1/nodes' : `/api/v1/nodes/${encodeURIComponent(name)}`;
}

export function nodeLabels(o: Pick<NodeSpecOptions, 'nodeName' | 'hostname' | 'labels'>, facts: Pick<NodeFacts, 'architecture'>): Record<string, string> {
  return {
    ...o.labels,
    'kubernetes.io/hostname': (o.hostname ?? o.nodeName).toLowerCase(),
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': facts.architecture,
    'beta.kubernetes.io/os': 'linux',
    'beta.kubernetes.io/arch': facts.architecture,
  };
}

/** The status part the heartbeat writes; `readySince` is the Ready condition's lastTransitionTime. */
export function buildNodeStatus(o: NodeSpecOptions, facts: NodeFacts, readySince: number, now: number): NodeStatus {
  const capacity: Record<string, string> = {
    cpu: String(facts.cpus),
    memory: `${facts.memoryKi}Ki`,
    pods: MAX_PODS,
  };
  if (facts.ephemeralStorageKi !== undefined) capacity['ephemeral-storage'] = `${facts.ephemeralStorageKi}Ki`;
  Object.assign(capacity, o.capacity);
  const beat = rfc3339(now);
  const since = rfc3339(readySince);
  const cond = (type: string, status: string, reason: string, message: string): NodeCondition => ({
    type,
    status,
    lastHeartbeatTime: beat,
    lastTransitionTime: since,
    reason,
    message,
  });
  const status: NodeStatus = {
    capacity,
    allocatable: { ...capacity },
    conditions: [
      cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'berth has sufficient memory available'),
      cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'berth has no disk pressure'),
      cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'berth has sufficient PID available'),
      cond('Ready', 'True', 'KubeletReady', 'berth is posting ready status'),
    ],
    addresses: [
      { type: 'InternalIP', address: o.nodeIP },
      { type: 'Hostname', address: o.hostname ?? o.nodeName },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: o.kubeletPort ?? 10250 } },
    nodeInfo: {
      machineID: facts.machineID,
      systemUUID: facts.systemUUID,
      bootID: facts.bootID,
      kernelVersion: facts.kernelVersion,
      osImage: facts.osImage,
      containerRuntimeVersion: o.containerRuntimeVersion ?? 'berth-process://0.1.0',
      kubeletVersion: o.kubeletVersion ?? DEFAULT_KUBELET_VERSION,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: facts.architecture,
    },
  };
  return status;
}

export function buildNode(o: NodeSpecOptions, facts: NodeFacts, readySince: number, now: number): Node {
  const node: Node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: o.nodeName,
      labels: nodeLabels(o, facts),
      annotations: { 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: o.taints?.length ? { taints: o.taints } : {},
    status: buildNodeStatus(o, facts, readySince, now),
  };
  return node;
}

/** What happened when the Node was made sure of. */
export type NodeOutcome = 'known' | 'created' | 'adopted';

/** Keeps this agent's Node object present and its status fresh. */
export class NodeRegistrar {
  private uidValue: string | undefined;
  /** Ready's lastTransitionTime: now, or an adopted Node's own when it was Ready already. */
  private readySince = Date.now();

  constructor(
    private readonly client: RestClient,
    private readonly o: NodeSpecOptions,
    private readonly facts: NodeFacts,
  ) {}

  /** UID of the Node object as last seen; undefined until registered (or after it vanished). */
  get uid(): string | undefined {
    return this.uidValue;
  }

  forget(): void {
    this.uidValue = undefined;
  }

  /**
   * Makes sure the Node exists and returns its UID. `verify`: read it even when the UID is known
   * (it may have been deleted, or the API server may have lost its data).
   */
  async ensure(verify: boolean): Promise<{ uid: string; outcome: NodeOutcome }> {
    if (this.uidValue && !verify) return { uid: this.uidValue, outcome: 'known' };
    if (this.uidValue) {
      try {
        const n = await this.client.get<Node>(nodePath(this.o.nodeName));
        this.uidValue = n.metadata?.uid;
        if (this.uidValue) return { uid: this.uidValue, outcome: 'known' };
      } catch (err) {
        if (!isNotFound(err)) throw err;
        this.uidValue = undefined;
      }
    }
    return this.register();
  }

  private async register(): Promise<{ uid: string; outcome: NodeOutcome }> {
    const now = Date.now();
    try {
      const created = await this.client.create<Node>(nodePath(), buildNode(this.o, this.facts, this.readySince, now));
      this.uidValue = created.metadata?.uid;
      // Some servers drop status on create; write it through the status subresource too.
      await this.heartbeat();
      return { uid: this.uidValue ?? '', outcome: 'created' };
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
    // A Node of this name exists (an earlier run, or registered by an installer): adopt it, add our
    // labels, keep everything else the administrator set (taints, other labels, annotations).
    const existing = await this.client.get<Node>(nodePath(this.o.nodeName));
    // The agent restarted and the node stayed Ready: keep the time it became Ready, as the kubelet does.
    const ready = existing.status?.conditions?.find((c) => c.type === 'Ready');
    const since = ready?.status === 'True' && ready.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : NaN;
    if (!Number.isNaN(since) && since < this.readySince) this.readySince = since;
    const patched = await this.client.patch<Node>(nodePath(this.o.nodeName), { metadata: { labels: nodeLabels(this.o, this.facts) } }, 'merge');
    this.uidValue = patched.metadata?.uid ?? existing.metadata?.uid;
    await this.heartbeat();
    return { uid: this.uidValue ?? '', outcome: 'adopted' };
  }

  /** Writes the node status (conditions with a fresh lastHeartbeatTime). Throws NotFound when the Node is gone. */
  async heartbeat(): Promise<void> {
    try {
      const n = await this.client.patch<Node>(
        `${nodePath(this.o.nodeName)}/status`,
        { status: buildNodeStatus(this.o, this.facts, this.readySince, Date.now()) },
        'merge',
      );
      if (n?.metadata?.uid) this.uidValue = n.metadata.uid;
    } catch (err) {
      if (isNotFound(err)) this.uidValue = undefined;
      throw err;
    }
  }
}
