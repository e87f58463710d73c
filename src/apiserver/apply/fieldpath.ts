// Field paths and sets of them, as server-side apply tracks ownership. A path is a list of
// elements in the FieldsV1 spelling: `f:<field>` (a struct field or map key), `k:<json>` (the item
// of an associative list with these key values), `v:<json>` (the item of a set list), `i:<n>`.
// FieldsV1 is the trie of a set: every key is an element, `.` marks a node that is itself in the
// set, and an empty object marks a leaf.

export type Path = readonly string[];

export type FieldsV1 = { [element: string]: FieldsV1 };

const SEP = '\u0000';

export class PathSet {
  private readonly m = new Map<string, Path>();

  static of(paths: Iterable<Path>): PathSet {
    const s = new PathSet();
    for (const p of paths) s.add(p);
    return s;
  }

  add(p: Path): void {
    this.m.set(p.join(SEP), p);
  }

  has(p: Path): boolean {
    return this.m.has(p.join(SEP));
  }

  get size(): number {
    return this.m.size;
  }

  paths(): Path[] {
    return [...this.m.values()];
  }

  /** The union; `this` itself when `o` adds nothing (callers compare identity to spot changes). */
  union(o: PathSet): PathSet {
    if (o.paths().every((p) => this.has(p))) return this;
    const s = PathSet.of(this.paths());
    for (const p of o.paths()) s.add(p);
    return s;
  }

  /** The difference; `this` itself when nothing is removed. */
  minus(o: PathSet): PathSet {
    if (o.size === 0 || !this.paths().some((p) => o.has(p))) return this;
    return PathSet.of(this.paths().filter((p) => !o.has(p)));
  }

  intersect(o: PathSet): PathSet {
    return PathSet.of(this.paths().filter((p) => o.has(p)));
  }

  /** The FieldsV1 trie of the set (keys in sorted order, as upstream serialises it). */
  toFieldsV1(): FieldsV1 {
    const root: FieldsV1 = {};
    const members: FieldsV1[] = [];
    const nodeOf = (p: Path): FieldsV1 => {
      let cur = root;
      for (const e of p) cur = cur[e] ??= {};
      return cur;
    };
    for (const p of this.paths()) members.push(nodeOf(p));
    // A member that also has children is marked with '.'; a childless member is just `{}`.
    for (const n of members) if (Object.keys(n).some((k) => k !== '.')) n['.'] = {};
    return sortTrie(root);
  }

  static fromFieldsV1(f: unknown): PathSet {
    const s = new PathSet();
    const walk = (node: unknown, prefix: string[]) => {
      if (node === null || typeof node !== 'object' || Array.isArray(node)) return;
      const keys = Object.keys(node);
      if (keys.length === 0 && prefix.length > 0) s.add(prefix);
      for (const k of keys) {
        if (k === '.') {
          if (prefix.length > 0) s.add(prefix);
          continue;
        }
        walk((node as Record<string, unknown>)[k], [...prefix, k]);
      }
    };
    walk(f, []);
    return s;
  }
}

function sortTrie(t: FieldsV1): FieldsV1 {
  const out: FieldsV1 = {};
  for (const k of Object.keys(t).sort(compareElements)) out[k] = sortTrie(t[k]!);
  return out;
}

/** '.' first, then by element text. */
function compareElements(a: string, b: string): number {
  if (a === b) return 0;
  if (a === '.') return -1;
  if (b === '.') return 1;
  return a < b ? -1 : 1;
}

export function comparePaths(a: Path, b: Path): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compareElements(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

function valueString(v: unknown): string {
  return JSON.stringify(v);
}

/** `.spec.containers[name="web"].image`, as upstream prints a path in conflict messages. */
export function pathString(p: Path): string {
  let out = '';
  for (const e of p) {
    const body = e.slice(2);
    if (e.startsWith('f:')) out += `.${body}`;
    else if (e.startsWith('k:')) {
      const key = JSON.parse(body) as Record<string, unknown>;
      out += `[${Object.entries(key)
        .map(([k, v]) => `${k}=${valueString(v)}`)
        .join(',')}]`;
    } else if (e.startsWith('v:')) out += `[=${valueString(JSON.parse(body))}]`;
    else if (e.startsWith('i:')) out += `[${body}]`;
  }
  return out;
}
