// The CRI runtime (containerd): berth's Runtime over a CRI unix socket.
export { CriRuntime, DEFAULT_VOLUMES_DIR, type CriRuntimeOptions } from './runtime.js';
export { CriCallError, CriClient, isCriEndpoint, protoPath } from './client.js';
export { pullPolicyOf, type PullPolicy } from './images.js';
export { LABEL_MANAGED, LABEL_POD_UID, podLogDirectory } from './sandbox.js';
