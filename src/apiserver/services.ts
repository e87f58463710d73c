// The `kubernetes` service in `default`: on every cluster it names the API server, and
// `kubectl cluster-info` / `kubectl get all` expect it. This node has no service network, so the
// service tells the truth instead of inventing a cluster IP: its address and port are where this
// API actually listens. It is written by the server itself and is read-only to clients.
import type { Service } from 'kubernetes-types/core/v1';
import { services, resourceKey, type KubeObject } from './resources.js';
import type { Store } from './store.js';
import { prepareCreate } from './validate.js';

function spec(host: string, port: number): Service['spec'] {
  const ipv6 = host.includes(':');
  return {
    type: 'ClusterIP',
    clusterIP: host,
    clusterIPs: [host],
    ipFamilies: [ipv6 ? 'IPv6' : 'IPv4'],
    ipFamilyPolicy: 'SingleStack',
    internalTrafficPolicy: 'Cluster',
    sessionAffinity: 'None',
    ports: [{ name: 'https', port, protocol: 'TCP', targetPort: port }],
  };
}

/** Writes default/kubernetes unless it already says this (a durable store keeps it across restarts). */
export function ensureKubernetesService(store: Store, host: string, port: number, now: number): void {
  const key = resourceKey(services);
  const want = spec(host.replace(/^\[|\]$/g, ''), port);
  const have = store.get(key, 'default', 'kubernetes') as (KubeObject & Service) | undefined;
  if (have && JSON.stringify(have.spec) === JSON.stringify(want)) return;
  const body = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: want,
    status: { loadBalancer: {} },
  };
  const obj = prepareCreate(services, body, 'default', now);
  store.write(key, have ? { ...obj, metadata: { ...obj.metadata, uid: have.metadata.uid, creationTimestamp: have.metadata.creationTimestamp } } : obj);
}
