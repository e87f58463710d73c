// How big a container's log may grow and how many files of it are kept: the kubelet's
// --container-log-max-size and --container-log-max-files (containerLogMaxSize, containerLogMaxFiles).

export interface LogRotationPolicy {
  /** The live log file is rotated once it reaches this many bytes. */
  maxSizeBytes: number;
  /** Files kept per container attempt, the live one included (at least 2, as the kubelet requires). */
  maxFiles: number;
}

export const DEFAULT_LOG_ROTATION: LogRotationPolicy = { maxSizeBytes: 10 * 1024 * 1024, maxFiles: 5 };
