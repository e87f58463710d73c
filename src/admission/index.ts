// Pod admission: whether this node may run a pod at all, decided once, before its containers start.
export { admitPod, rejectionStatusMessage, type Rejection } from './admit.js';
export { podMatchesNode, type NodeIdentity } from './node-affinity.js';
