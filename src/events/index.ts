// events/: the node's recent events in memory (served by the node API's /events).
export { EventRing, type EventChange, type EventRingOptions, type EventType } from './ring.js';
