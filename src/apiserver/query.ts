// Query parameters decoded the way kube-apiserver's parameter codec decodes them, so every client
// gets the answer a real cluster gives: the Python client sends booleans as `True`, client-go as
// `true`, curl users write `?watch` or `?watch=1`. The rules (apimachinery's string conversions):
// - a scalar takes the FIRST value when a parameter is repeated (`?limit=1&limit=2` is 1);
// - a boolean is true unless its first value is `0` or `false` in any case, so `?watch`,
//   `?watch=True` and even `?watch=maybe` are true, and `?watch=FALSE` is false;
// - an integer is a base-10 int64 (sign allowed); anything else is a 400 BadRequest;
// - a time is RFC 3339 (fraction allowed); empty or `null` is "not set".
// Range checks (limitBytes > 0, ...) belong to each endpoint, as in kube.
import { badRequest, type ApiError } from './status.js';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function first(q: URLSearchParams, name: string): string | undefined {
  const v = q.get(name);
  return v === null ? undefined : v;
}

function invalidParam(name: string, value: string, expected: string): ApiError {
  return badRequest(`invalid value ${JSON.stringify(value)} for query parameter "${name}": ${expected}`);
}

/** A boolean parameter: absent is `absent` (false unless said otherwise). */
export function boolParam(q: URLSearchParams, name: string, absent = false): boolean {
  const v = first(q, name);
  if (v === undefined) return absent;
  return !(v === '0' || v.toLowerCase() === 'false');
}

/** A boolean that may be unset (kube's *bool): undefined when absent. */
export function optionalBoolParam(q: URLSearchParams, name: string): boolean | undefined {
  return first(q, name) === undefined ? undefined : boolParam(q, name);
}

/** An int64 parameter; undefined when absent, 400 when it is not a base-10 integer in range. */
export function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = first(q, name);
  if (v === undefined) return undefined;
  if (!/^[+-]?\d+$/.test(v)) return invalidParamThrow(name, v, 'must be a whole number (base 10), e.g. 10');
  const n = BigInt(v);
  if (n < INT64_MIN || n > INT64_MAX) return invalidParamThrow(name, v, 'out of range for a 64-bit integer');
  return Number(n);
}

function invalidParamThrow(name: string, value: string, expected: string): never {
  throw invalidParam(name, value, expected);
}

const RFC3339 = /^(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(\.\d+)?([Zz]|[+-]\d\d:\d\d)$/;

/**
 * An RFC 3339 time parameter as milliseconds since the epoch (sub-millisecond digits are kept in
 * `nanos` for exact comparisons with log timestamps); undefined when absent, empty or "null".
 */
export function timeParam(q: URLSearchParams, name: string): { ms: number; nanos: bigint } | undefined {
  const v = first(q, name);
  if (v === undefined || v === '' || v === 'null') return undefined;
  const t = parseRfc3339(v);
  if (!t) return invalidParamThrow(name, v, 'must be an RFC 3339 time, e.g. 2024-01-02T15:04:05Z');
  return t;
}

/** RFC 3339 (with an optional fraction of up to 9 digits) as ms and ns since the epoch. */
export function parseRfc3339(v: string): { ms: number; nanos: bigint } | undefined {
  const m = RFC3339.exec(v);
  if (!m) return undefined;
  const frac = (m[7] ?? '').slice(1);
  if (frac.length > 9) return undefined;
  const [, , mo, d, h, mi, s] = m.map(Number) as number[];
  if (mo! < 1 || mo! > 12 || d! < 1 || d! > 31 || h! > 23 || mi! > 59 || s! > 59) return undefined;
  const zone = m[8]!.toUpperCase();
  const whole = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${zone}`);
  if (Number.isNaN(whole)) return undefined;
  const nanos = BigInt(whole) * 1_000_000n + BigInt(frac.padEnd(9, '0') || '0');
  return { ms: Number(nanos / 1_000_000n), nanos };
}

/** A string parameter (first value); undefined when absent. */
export function stringParam(q: URLSearchParams, name: string): string | undefined {
  return first(q, name);
}

/** Every value of a repeated parameter (`?dryRun=All&dryRun=All`), in order. */
export function stringsParam(q: URLSearchParams, name: string): string[] {
  return q.getAll(name);
}
