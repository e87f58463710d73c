// A kubeconfig for the embedded API server: its URL, its CA (inline) and the bearer token.
import { stringify } from 'yaml';

export interface KubeconfigOptions {
  clusterName?: string;
  /** Default namespace of the context; `default` when omitted. */
  namespace?: string;
}

export function buildKubeconfig(url: string, caCertPem: string, token: string, opts: KubeconfigOptions = {}): string {
  const name = opts.clusterName ?? 'berth';
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: url, 'certificate-authority-data': Buffer.from(caCertPem).toString('base64') } }],
    users: [{ name, user: { token } }],
    contexts: [{ name, context: { cluster: name, user: name, namespace: opts.namespace ?? 'default' } }],
    'current-context': name,
    preferences: {},
  };
  return stringify(doc);
}
