// Shared shapes of the manifest folder. Kept apart from index.ts so the implementation files can
// import them without importing the public surface (no import cycles).
import type { Pod } from 'kubernetes-types/core/v1';
import type { ManifestProblem, ManifestWarning } from './problem.js';

/** Upstream's limit for a manifest file and a manifest URL body (file.go / http.go). */
export const MAX_MANIFEST_BYTES = 10 * 1024 * 1024;

/** Where a static pod comes from; decides its name suffix, UID and annotations. */
export interface StaticIdentity {
  nodeName: string;
  source: 'file' | 'http';
  /** The file path or URL; used in the UID hash and in every problem's `origin`. */
  origin: string;
  /** First-seen time for `kubernetes.io/config.seen`; now when absent. */
  seen?: Date;
}

export interface DecodeResult {
  pods: Pod[];
  problems: ManifestProblem[];
  /** Things that do not stop the pod but that the operator should see once (logged by the source). */
  warnings: ManifestWarning[];
}
