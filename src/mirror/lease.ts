// The node's heartbeat Lease in kube-node-lease (upstream pkg/kubelet/nodelease and
// component-helpers/apimachinery/lease): created when missing, renewed with an optimistic update
// (resourceVersion); a conflict re-reads it and tries once more.
import type { Lease } from 'kubernetes-types/coordination/v1';
import type { RestClient } from './client.js';
import { isAlreadyExists, isConflict, isNotFound } from './errors.js';
import { microTime } from './time.js';

export const LEASE_NAMESPACE = 'kube-node-lease';

export function leasePath(name?: string): string {
  const base = `/apis/coordination.k8s.io/v1/namespaces/${LEASE_NAMESPACE}/leases`;
  return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
}

export class LeaseRenewer {
  private last: Lease | undefined;

  constructor(
    private readonly client: RestClient,
    private readonly nodeName: string,
    private readonly durationSeconds: number,
    /** The Node's UID once known: the lease is owned by the Node (deleted with it). */
    private readonly nodeUid: () => string | undefined,
  ) {}

  /** The lease as last written. */
  get current(): Lease | undefined {
    return this.last;
  }

  async renew(): Promise<Lease> {
    for (let attempt = 0; ; attempt++) {
      try {
        if (!this.last) {
          try {
            this.last = await this.client.get<Lease>(leasePath(this.nodeName));
          } catch (err) {
            if (!isNotFound(err)) throw err;
            this.last = await this.client.create<Lease>(leasePath(), this.desired(undefined));
            return this.last;
          }
        }
        this.last = await this.client.update<Lease>(leasePath(this.nodeName), this.desired(this.last));
        return this.last;
      } catch (err) {
        // Stale copy (someone else wrote it), or it vanished / appeared meanwhile: re-read once.
        this.last = undefined;
        if (attempt === 0 && (isConflict(err) || isNotFound(err) || isAlreadyExists(err))) continue;
        throw err;
      }
    }
  }

  private desired(base: Lease | undefined): Lease {
    const uid = this.nodeUid();
    const now = microTime();
    const lease: Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        ...base?.metadata,
        name: this.nodeName,
        namespace: LEASE_NAMESPACE,
      },
      spec: {
        ...base?.spec,
        holderIdentity: this.nodeName,
        leaseDurationSeconds: this.durationSeconds,
        renewTime: now,
      },
    };
    if (!base?.spec?.acquireTime || base.spec.holderIdentity !== this.nodeName) lease.spec!.acquireTime = now;
    if (uid) {
      lease.metadata!.ownerReferences = [{ apiVersion: 'v1', kind: 'Node', name: this.nodeName, uid }];
    }
    return lease;
  }
}
