// Duplicate mapping keys, found in linear time. The yaml library's own check compares every key with
// every earlier key of its mapping (quadratic: 120 000 labels took minutes), so it is turned off
// (uniqueKeys: false) and this walk does the same check with one Set per mapping.
import { isMap, isScalar, isSeq, type Document, type Node } from 'yaml';

/** The first duplicated key: its text and character offset; undefined when every key is unique. */
export function firstDuplicateKey(doc: Document.Parsed): { key: string; offset: number } | undefined {
  // An explicit stack, not recursion: depth is bounded by the parse limits, but a stack costs nothing.
  const pending: unknown[] = [doc.contents];
  while (pending.length > 0) {
    const node = pending.pop();
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const key = pair.key;
        if (isScalar(key)) {
          const text = String(key.value);
          if (seen.has(text)) return { key: text, offset: key.range?.[0] ?? 0 };
          seen.add(text);
        } else if (key !== null && typeof key === 'object') {
          pending.push(key);
        }
        if (pair.value !== null && typeof pair.value === 'object') pending.push(pair.value as Node);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) pending.push(item);
    }
  }
  return undefined;
}
