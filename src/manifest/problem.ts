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

export function problemKey(p: ManifestProblem): string {
  return `${p.origin}\u0000${p.field}\u0000${p.message}`;
}
