// Container log files: the rotation policy, rotation and housekeeping of rotated files, the
// agent's periodic log manager, and a rotating writer for logs the agent writes itself.
export { DEFAULT_LOG_ROTATION, type LogRotationPolicy } from './policy.js';
export { rotatedLogs, type RotatedLog } from './files.js';
export { compressLog, rotateIfFull, tidyRotatedLogs } from './rotate.js';
export { ContainerLogManager, type ContainerLogManagerOptions, type LoggedContainer, type LogRuntime } from './manager.js';
export { RotatingLogWriter, type DroppedOutput } from './writer.js';
