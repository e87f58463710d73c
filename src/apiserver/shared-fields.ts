// One copy of each distinct managedFields `fieldsV1` tree for all stored objects. Every Event the
// node records carries the same field set ({f:count, f:firstTimestamp, ..., f:source: {...}}):
// about a dozen small objects, some 0.8 KB of the 2 KB an Event costs in memory. With the 10 000
// events the store keeps, sharing them saves about 8 MB. Stored objects are never mutated (see
// store.ts), and the shared trees are frozen, so a mistaken in-place edit fails loudly instead of
// changing other objects.
import type { ManagedFieldsEntry } from 'kubernetes-types/meta/v1';
import type { KubeObject } from './resources.js';

/** Distinct trees kept; past it the table starts again (the objects already stored keep theirs). */
const MAX_TREES = 1024;

export class SharedFieldSets {
  private readonly trees = new Map<string, object>();
  private readonly shared = new WeakSet<object>();

  /** `obj` with each managedFields entry's fieldsV1 replaced by the shared equal tree (copies only what changes). */
  share(obj: KubeObject): KubeObject {
    const entries = obj.metadata.managedFields;
    if (!entries?.length) return obj;
    let out: ManagedFieldsEntry[] | undefined;
    entries.forEach((e, i) => {
      const tree = e.fieldsV1 as object | undefined;
      if (!tree || this.shared.has(tree)) return;
      out ??= entries.slice();
      out[i] = { ...e, fieldsV1: this.tree(tree) as ManagedFieldsEntry['fieldsV1'] };
    });
    return out ? { ...obj, metadata: { ...obj.metadata, managedFields: out } } : obj;
  }

  private tree(tree: object): object {
    const key = JSON.stringify(tree);
    const known = this.trees.get(key);
    if (known) return known;
    if (this.trees.size >= MAX_TREES) this.trees.clear();
    const copy = deepFreeze(JSON.parse(key) as object);
    this.trees.set(key, copy);
    this.shared.add(copy);
    return copy;
  }
}

function deepFreeze<T extends object>(o: T): T {
  for (const v of Object.values(o)) if (v && typeof v === 'object') deepFreeze(v as object);
  return Object.freeze(o);
}
