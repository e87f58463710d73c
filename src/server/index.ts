export { startNodeServer, type NodeServer, type NodeServerOptions } from './node-server.js';
export type { NodeState, ContainerLogRef, NodeRefusal, NodeEventChange } from './node-state.js';
export { startReadOnlyServer, withoutEnvValues, type ReadOnlyServer } from './read-only-server.js';
export { createAuthenticator, NODE_TOKEN_USER, type Authentication, type AuthenticationOptions, type NodeUser, type TokenReviewer } from './authentication.js';
export { createAuthorizer, requestAttributes, type AccessReviewer, type AuthorizationMode, type Decision, type NodeAttributes } from './authorization.js';
export { clusterAccessReviewer, clusterTokenReviewer } from './cluster-reviews.js';
export { ensureNodeCredentials, type NodeCredentials } from './credentials.js';
export { CriLogDecoder, streamCriLog } from './cri-log.js';
