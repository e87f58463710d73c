// Go's text/tabwriter as kubectl describe uses it (padding 2, spaces): the cells of consecutive
// lines that have a cell in the same column are padded to the widest one; a line with fewer cells
// ends that column's block. Cells are separated by tabs; the last cell of a line is not padded.
export function alignTabs(text: string): string {
  const lines = text.split('\n').map((l) => l.split('\t'));
  pad(lines, 0, 0, lines.length);
  return lines.map((cells) => cells.join('')).join('\n');
}

function pad(lines: string[][], column: number, from: number, to: number): void {
  let i = from;
  while (i < to) {
    if (lines[i]!.length <= column + 1) {
      i++;
      continue;
    }
    let end = i;
    while (end < to && lines[end]!.length > column + 1) end++;
    const width = Math.max(...lines.slice(i, end).map((cells) => cells[column]!.length)) + 2;
    for (let j = i; j < end; j++) lines[j]![column] = lines[j]![column]!.padEnd(width);
    pad(lines, column + 1, i, end);
    i = end;
  }
}
