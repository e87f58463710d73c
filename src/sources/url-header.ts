// `--manifest-url-header` (kubelet: a ColonSeparatedMultimapStringString): `key:value` pairs
// separated by commas, the first ':' splitting key from value, keys and values trimmed, the flag
// repeatable with all occurrences merged. Values cannot contain commas (same limit as upstream).

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const EXPECTED = `expected key:value pairs separated by commas, e.g. 'Authorization:Bearer TOKEN' or 'a:hello,b:again'`;

/**
 * Parses one `--manifest-url-header` value. Pass the result of earlier occurrences as `into` to
 * merge repeated flags (values for the same header are appended in order).
 */
export function parseManifestUrlHeader(
  value: string,
  into: Record<string, string[]> = {},
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(into)) out[k] = [...v];
  for (const pair of value.split(',')) {
    if (pair.trim() === '') continue;
    const colon = pair.indexOf(':');
    const bad = (why: string): Error =>
      new Error(`invalid --manifest-url-header value ${JSON.stringify(value)}: ${why}; ${EXPECTED}`);
    if (colon < 0) throw bad(`pair ${JSON.stringify(pair)} has no ':'`);
    const key = pair.slice(0, colon).trim();
    const val = pair.slice(colon + 1).trim();
    if (!HEADER_NAME.test(key)) throw bad(`${JSON.stringify(key)} is not a valid HTTP header name`);
    if (/[\r\n\0]/.test(val)) throw bad(`the value for ${JSON.stringify(key)} contains a line break or NUL`);
    (out[key] ??= []).push(val);
  }
  return out;
}
