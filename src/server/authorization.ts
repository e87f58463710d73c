// What the user may do: the kubelet's request attributes (verb from the method, resource `nodes`,
// subresource from the path: stats, metrics, log, else proxy) and three ways to decide on them.
// Standalone: "the API server and root only": every authenticated user (the token holder, the
// embedded API's client certificate, certificates from --client-ca-file) is allowed, anonymous is
// not. Webhook (remote mode): the cluster's SubjectAccessReview decides, except for the holder of
// the node's own token, who is root on the node anyway. AlwaysAllow: every authenticated request.
import type { NodeUser } from './authentication.js';

export interface NodeAttributes {
  verb: string;
  resource: 'nodes';
  subresource: 'proxy' | 'stats' | 'metrics' | 'log';
  name: string;
  path: string;
}

export type Decision = { allowed: true } | { allowed: false; reason: string };

/** The cluster's SubjectAccessReview. */
export type AccessReviewer = (user: NodeUser, attributes: NodeAttributes) => Promise<Decision>;

export type AuthorizationMode = 'Standalone' | 'Webhook' | 'AlwaysAllow';

export function requestAttributes(method: string, path: string, nodeName: string): NodeAttributes {
  const verb = ({ POST: 'create', GET: 'get', HEAD: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete' } as Record<string, string>)[method] ?? method.toLowerCase();
  const under = (prefix: string) => path === prefix || path.startsWith(prefix + '/');
  const subresource = under('/stats') ? 'stats' : under('/metrics') ? 'metrics' : under('/logs') ? 'log' : 'proxy';
  return { verb, resource: 'nodes', subresource, name: nodeName, path };
}

export function createAuthorizer(mode: AuthorizationMode, review?: AccessReviewer): (user: NodeUser, a: NodeAttributes) => Promise<Decision> {
  if (mode === 'Webhook' && !review) throw new Error('node API: --authorization-mode=Webhook needs a cluster to ask (--kubeconfig)');
  return async (user, a) => {
    if (user.via === 'anonymous' && mode === 'Standalone') {
      return { allowed: false, reason: 'anonymous requests are not allowed on a standalone node: only the node\'s token holder and client certificates are' };
    }
    if (mode === 'AlwaysAllow' || mode === 'Standalone' || user.via === 'token') return { allowed: true };
    try {
      return await review!(user, a);
    } catch (err) {
      return { allowed: false, reason: `the cluster could not review the access (${(err as Error).message})` };
    }
  };
}

/** kube's Forbidden text for the node API, naming the user, the verb and the resource. */
export function forbiddenText(user: NodeUser, a: NodeAttributes, reason: string): string {
  return `Forbidden (user=${user.name}, verb=${a.verb}, resource=${a.resource}, subresource=${a.subresource}): ${reason}\n`;
}
