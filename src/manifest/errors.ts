// Builders for Kubernetes-style field error messages (k8s.io/apimachinery field.Error), so Berth's
// messages read exactly like the API server's: `Required value`, `Invalid value: "Web": ...`.
import type { ManifestProblem } from './problem.js';

/** Renders a value the way Kubernetes does in field errors: strings quoted, numbers bare. */
export function showValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (value === undefined) return '""';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export const msg = {
  required: (detail?: string): string => (detail ? `Required value: ${detail}` : 'Required value'),
  invalid: (value: unknown, detail: string): string => `Invalid value: ${showValue(value)}: ${detail}`,
  duplicate: (value: unknown): string => `Duplicate value: ${showValue(value)}`,
  notFound: (value: unknown): string => `Not found: ${showValue(value)}`,
  forbidden: (detail: string): string => `Forbidden: ${detail}`,
  tooLong: (max: number, unit = 'bytes'): string => `Too long: may not be more than ${max} ${unit}`,
  unsupported: (value: unknown, supported: readonly string[]): string =>
    `Unsupported value: ${showValue(value)}: supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`,
};

/** Collects the problems of one manifest; every check appends, none stops the others. */
export class ProblemList {
  readonly items: ManifestProblem[] = [];

  constructor(
    readonly origin: string,
    readonly reason: ManifestProblem['reason'],
    /** Prepended to every field path, e.g. `items[2].` for a PodList item. */
    readonly prefix = '',
  ) {}

  add(field: string, message: string, fix: string): void {
    const full = this.prefix && field ? `${this.prefix}.${field}` : this.prefix || field;
    this.items.push({ origin: this.origin, field: full, message, fix, reason: this.reason });
  }
}
