// The two timestamp formats of the Kubernetes API.

/** metav1.Time: RFC 3339, whole seconds (`2006-01-02T15:04:05Z`). */
export function rfc3339(ms = Date.now()): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** metav1.MicroTime: six fractional digits (`2006-01-02T15:04:05.000000Z`); JS has milliseconds. */
export function microTime(ms = Date.now()): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
