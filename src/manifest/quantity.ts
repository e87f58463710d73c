// Kubernetes resource quantities ("500m", "1Gi", "1e3", 2). Only parsed to a float: Berth needs
// "is it valid" and "is the request <= the limit", not exact arbitrary-precision arithmetic.

const QUANTITY_RE = /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$/;

const SUFFIX: Record<string, number> = {
  '': 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

export const QUANTITY_REGEX_TEXT = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';

/** The quantity's value as a number, or undefined when it is not a valid quantity. */
export function parseQuantity(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = QUANTITY_RE.exec(value.trim() === value ? value : '');
  if (!m) return undefined;
  const base = Number(m[1]);
  const suffix = m[2] ?? '';
  const factor = suffix.length > 0 && (suffix[0] === 'e' || suffix[0] === 'E') ? 10 ** Number(suffix.slice(1)) : SUFFIX[suffix];
  if (factor === undefined || !Number.isFinite(base)) return undefined;
  return base * factor;
}
