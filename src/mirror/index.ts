// The API-client side of the node agent: Node, Lease, mirror pods, pod status and Events, over
// the Kubernetes REST protocol to a remote API server or the embedded one alike.
export { Mirror, type MirrorOptions, type MirrorSource } from './mirror.js';
export { RestClient, toApiError, type ClientOptions, type DeleteOptions, type PatchType, type Query, type RequestOptions, type WatchHandle, type WatchOptions } from './client.js';
export { loadKubeconfig, parseKubeconfig, type ClientConfig, type LoadKubeconfigOptions } from './kubeconfig.js';
export { ApiError, ConnectionError, KubeconfigError, describeError, isAlreadyExists, isConflict, isExpired, isNotFound } from './errors.js';
export type { WatchEvent, WatchEventType } from './watch.js';
export { nodeLabels, type NodeSpecOptions } from './node.js';
export { kubeArch, type NodeFacts } from './node-info.js';
export type { BackoffOptions } from './backoff.js';
export { CONFIG_MIRROR_ANNOTATION, buildMirror, isMirrorOfNode } from './mirror-pod.js';
