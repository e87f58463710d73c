export { startNodeServer, type NodeServer, type NodeState, type ContainerLogRef, type NodeRefusal } from './node-server.js';
export { CriLogDecoder, streamCriLog } from './cri-log.js';
