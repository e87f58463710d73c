// What this API refuses, in words that say what is not supported and what to do instead. These
// come before any complaint about the request's encoding: someone running `kubectl run` needs to
// hear "static pods only", not "415 Unsupported Media Type".
import { ApiError, forbidden } from './status.js';
import { groupVersions, pods, type ResourceDef } from './resources.js';
import { MIRROR_ANNOTATION } from './validate.js';

/** Creating an ordinary pod (kubectl run, kubectl debug node/x, kubectl create -f pod.yaml). */
export function staticPodsOnly(nodeName: string, name: string): ApiError {
  return forbidden(
    pods,
    name,
    `static pods only: node "${nodeName}" runs the pods of its manifest sources and cannot schedule new ones ` +
      `(so \`kubectl run\` and \`kubectl debug node/...\` do not work here); put a manifest in the node's ` +
      `--pod-manifest-path directory (or serve it at --manifest-url) and its pod appears within seconds ` +
      `(only mirror pods, with the annotation ${MIRROR_ANNOTATION}, can be created through the API)`,
  );
}

/** A verb the resource does not have (services are read-only, reviews are create-only). */
export function verbNotAllowed(def: ResourceDef, verb: string, path: string): ApiError {
  const what = def.group ? `${def.plural}.${def.group}` : def.plural;
  let instead = `it allows only: ${def.verbs.join(', ')}`;
  if (def.plural === 'services') {
    instead = 'services are read-only here: the one service, default/kubernetes, names this API itself, and a node without a cluster network has no other services';
  }
  return new ApiError(405, 'MethodNotAllowed', `${verb} is not supported on ${what} by this node's embedded API (${path}): ${instead}`);
}

/** Pod subresources a cluster has and a static-pod node does not; undefined for anything else. */
export function unsupportedPodSubresource(path: string, nodeName: string): ApiError | undefined {
  const m = /^\/api\/v1\/namespaces\/[^/]+\/pods\/[^/]+\/(ephemeralcontainers|binding|eviction|resize)$/.exec(path);
  if (!m) return undefined;
  const why: Record<string, string> = {
    ephemeralcontainers: 'ephemeral debug containers (`kubectl debug pod/...`) cannot be added to a static pod; add a debug container to its manifest, or exec into it',
    binding: 'static pods are bound to their node by their manifest; there is no scheduler to bind pods',
    eviction: 'a static pod cannot be evicted through the API; remove its manifest to stop it',
    resize: 'resize a static pod by editing the resources in its manifest',
  };
  return new ApiError(405, 'MethodNotAllowed', `pods/${m[1]} is not supported on node "${nodeName}": ${why[m[1]!]}`);
}

/** A 404 for an API path that names a resource or group this server does not serve, saying what it does serve. */
export function notServed(path: string, nodeName: string): ApiError | undefined {
  if (!/^\/apis?\//.test(path)) return undefined;
  const served = groupVersions()
    .map((gv) => `${gv.resources.map((r) => r.plural).join(', ')} (${gv.group ? `${gv.group}/${gv.version}` : gv.version})`)
    .join('; ');
  return new ApiError(
    404,
    'NotFound',
    `the server could not find the requested resource (${path}): the embedded API of node "${nodeName}" serves only ${served}; ` +
      'workloads run as static pods from manifests (--pod-manifest-path), not through the API',
    {},
  );
}
