// The quantities metrics-server writes: CPU in nanocores (`12345n`), memory in KiB when it divides
// evenly (`2048Ki`), else in bytes. Parsed back only for what this server wrote itself.

export function cpuQuantity(nanocores: number): string {
  return `${Math.max(0, Math.round(nanocores))}n`;
}

export function memoryQuantity(bytes: number): string {
  const b = Math.max(0, Math.round(bytes));
  return b % 1024 === 0 ? `${b / 1024}Ki` : String(b);
}

/** Nanocores of a cpuQuantity, bytes of a memoryQuantity; 0 for anything else. */
export function quantityValue(q: unknown): number {
  const m = /^(\d+)(n|Ki)?$/.exec(typeof q === 'string' ? q : '');
  if (!m) return 0;
  return Number(m[1]) * (m[2] === 'Ki' ? 1024 : 1);
}
