// kubectl's plain-text tables: upper-case headers, columns padded to the widest cell and separated
// by three spaces, the last column not padded.
export function formatTable(headers: string[], rows: string[][]): string {
  return new StreamingTable(headers).first(rows);
}

/** Rows printed one at a time as a watch goes (`-w`): the widths are fixed by the first batch. */
export class StreamingTable {
  private widths: number[] | undefined;

  constructor(private readonly headers: string[]) {}

  /** The header and the first rows; later rows are padded to these widths (or wider, never cut). */
  first(rows: string[][]): string {
    this.widths = this.headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
    return [this.line(this.headers), ...rows.map((r) => this.line(r))].join('');
  }

  row(cells: string[]): string {
    return this.line(cells);
  }

  private line(cells: string[]): string {
    const widths = this.widths ?? cells.map((c) => c.length);
    return cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('   ').trimEnd() + '\n';
  }
}
