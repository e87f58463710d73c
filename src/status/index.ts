export { podStatus, podWithStatus } from './pod-status.js';
