// Fields a Pod does not have. The kubelet drops them silently when it decodes a static pod, so a
// typo (`comand:`, `livenesProbe:`) is a pod that quietly does something else; the API server warns
// about them (`unknown field "spec.containers[0].comand"`). `berth validate` does the same.
//
// The schema is read from the generated models of @kubernetes/client-node (each model class lists
// its fields and their types), loaded on first use only: the agent itself never pays for it.
import { isObject } from './json.js';
import type { ManifestWarning } from './problem.js';

interface Attribute {
  baseName: string;
  type: string;
}
type Schema = ReadonlyMap<string, ReadonlyMap<string, string>>;

const MODEL = /^(?:Array<)?((?:V1|Core)\w+)>?$/;
let loading: Promise<Schema> | undefined;

/** Loads the Pod schema (once): model name -> field name -> field type. */
export function loadPodSchema(): Promise<Schema> {
  loading ??= (async () => {
    const schema = new Map<string, Map<string, string>>();
    const walk = async (name: string): Promise<void> => {
      if (schema.has(name)) return;
      const fields = new Map<string, string>();
      schema.set(name, fields);
      const mod = (await import(`@kubernetes/client-node/dist/gen/models/${name}.js`)) as Record<string, { attributeTypeMap?: Attribute[] }>;
      for (const a of mod[name]?.attributeTypeMap ?? []) {
        fields.set(a.baseName, a.type);
        const m = MODEL.exec(a.type);
        if (m) await walk(m[1]!);
      }
    };
    await walk('V1Pod');
    return schema;
  })();
  return loading;
}

/** A warning for every field of `pod` (as written) that the Pod schema does not have. */
export function unknownFieldWarnings(pod: unknown, schema: Schema, origin: string): ManifestWarning[] {
  const out: ManifestWarning[] = [];
  const visit = (value: unknown, type: string, path: string): void => {
    const list = /^Array<(.+)>$/.exec(type);
    if (list) {
      if (Array.isArray(value)) value.forEach((v, i) => visit(v, list[1]!, `${path}[${i}]`));
      return;
    }
    const fields = schema.get(type);
    if (!fields || !isObject(value)) return;
    for (const [key, v] of Object.entries(value)) {
      const child = path ? `${path}.${key}` : key;
      const t = fields.get(key);
      if (t === undefined) {
        const near = closest(key, [...fields.keys()]);
        out.push({
          origin,
          field: child,
          message: `unknown field "${key}" (Kubernetes ignores it)`,
          fix: near ? `did you mean "${near}"? Otherwise remove it` : 'remove it, or check where it belongs in the Pod',
          severity: 'warning',
        });
      } else {
        visit(v, t, child);
      }
    }
  };
  visit(pod, 'V1Pod', '');
  return out;
}

/** The known field name closest to a typo (at most 2 edits, or the same letters in any case). */
function closest(key: string, names: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const name of names) {
    const d = name.toLowerCase() === key.toLowerCase() ? 0 : distance(key, name);
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}
