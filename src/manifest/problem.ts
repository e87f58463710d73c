// A problem found in a manifest: what is wrong, where (file or URL plus field path), and how to
// fix it. Every user-facing manifest error in Berth is one of these, so the agent, `berth validate`
// and (later) Node events all say the same thing.

export interface ManifestProblem {
  /** The file path or URL the manifest came from. */
  origin: string;
  /** Field path such as `spec.containers[0].name`; empty when the problem is the whole file. */
  field: string;
  /** What is wrong, in the style of Kubernetes validation: `Required value`, `Invalid value: "X": ...`. */
  message: string;
  /** How to fix it, one short imperative sentence. */
  fix: string;
  /** FailedToParse (could not read or decode) or FailedValidation (decoded but not a valid static pod). */
  reason: 'FailedToParse' | 'FailedValidation';
}

/** `manifests/web.yaml: spec.containers[0].name: Required value (fix: give every container a name)` */
export function formatProblem(p: ManifestProblem): string {
  const where = p.field ? `${p.origin}: ${p.field}` : p.origin;
  return `${where}: ${p.message} (fix: ${p.fix})`;
}

/**
 * Something valid but worth knowing, in upstream's warning style (pkg/api/pod/warnings.go): the pod
 * runs, the operator should still look. `note` is for facts about how Berth will use a field.
 */
export interface ManifestWarning {
  origin: string;
  field: string;
  message: string;
  /** What to do about it; empty for a plain note. */
  fix: string;
  severity: 'warning' | 'note';
}

/** `manifests/web.yaml: spec.terminationGracePeriodSeconds: must be >= 0; ... (fix: ...)` */
export function formatWarning(w: ManifestWarning): string {
  const where = w.field ? `${w.origin}: ${w.field}` : w.origin;
  return w.fix ? `${where}: ${w.message} (fix: ${w.fix})` : `${where}: ${w.message}`;
}

export function problemKey(p: ManifestProblem): string {
  return `${p.origin}\u0000${p.field}\u0000${p.message}`;
}
