// Go-style durations as the kubelet takes them: "20s", "1m30s", "500ms", "1h". Returns
// milliseconds, or undefined when the text is not a duration.
const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y;

export function parseDuration(text: string): number | undefined {
  if (text === '0') return 0;
  if (!text) return undefined;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const at = PART.lastIndex;
    const m = PART.exec(text);
    if (!m || m.index !== at) return undefined;
    total += Number(m[1]) * UNITS[m[2]!]!;
  }
  return Math.round(total);
}
