import type { Pod } from 'kubernetes-types/core/v1';
import type { ManifestProblem, ManifestWarning } from '../manifest/problem.js';

export type SourceKind = 'file' | 'http';

/**
 * What a source sees at one moment: the full set of static pods it currently defines (already
 * defaulted, with their static identity) plus what it could not read. A source always sends the
 * whole set; the config merge computes the differences.
 */
export interface SourceSnapshot {
  source: SourceKind;
  pods: Pod[];
  problems: ManifestProblem[];
  /** Warnings about the pods it does define (already logged once by the source when read). */
  warnings?: ManifestWarning[];
  /**
   * Where each pod came from (file path or URL), keyed by pod UID, so that a conflict found by the
   * merge can name both manifests. Optional: without it the merge names the source kind only.
   */
  origins?: ReadonlyMap<string, string>;
}

export interface PodSource {
  readonly kind: SourceKind;
  /** Starts watching. Resolves once the first full snapshot has been delivered. */
  start(onSnapshot: (snapshot: SourceSnapshot) => void): Promise<void>;
  stop(): Promise<void>;
}
