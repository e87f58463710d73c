export { PodConfig, type PodConfigOptions, type PodUpdate } from './pod-config.js';
