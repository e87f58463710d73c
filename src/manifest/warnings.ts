// Warnings about a valid pod, as upstream's API server returns them on create
// (pkg/api/pod/warnings.go): the pod is accepted and runs, but something in it is probably not what
// the author meant. Computed on the pod as written (before defaults), so a value that defaulting
// changes (a negative grace period becomes 1) is still seen as written.
import { isObject, type JsonObject } from './json.js';
import type { ManifestWarning } from './problem.js';
import { parseQuantity } from './quantity.js';

function containers(spec: JsonObject): Array<[JsonObject, string]> {
  const out: Array<[JsonObject, string]> = [];
  for (const list of ['initContainers', 'containers']) {
    const v = spec[list];
    if (Array.isArray(v)) v.forEach((c, i) => isObject(c) && out.push([c, `spec.${list}[${i}]`]));
  }
  return out;
}

export function podWarnings(pod: unknown, origin: string, prefix = ''): ManifestWarning[] {
  const out: ManifestWarning[] = [];
  const add = (field: string, message: string, fix: string): void => {
    out.push({ origin, field: prefix ? `${prefix}.${field}` : field, message, fix, severity: 'warning' });
  };
  if (!isObject(pod) || !isObject(pod.spec)) return out;
  const spec = pod.spec;

  const grace = spec.terminationGracePeriodSeconds;
  if (typeof grace === 'number' && grace < 0) {
    add('spec.terminationGracePeriodSeconds', 'must be >= 0; negative values are invalid and will be treated as 1', 'set terminationGracePeriodSeconds to 0 or more (1 is used now)');
  }

  const ports = new Map<string, Array<{ field: string; hostIP: string; hostPort: number }>>();
  for (const [c, path] of containers(spec)) {
    const res = isObject(c.resources) ? c.resources : {};
    for (const kind of ['limits', 'requests']) {
      const list = isObject(res[kind]) ? (res[kind] as JsonObject) : {};
      for (const name of ['memory', 'ephemeral-storage']) {
        const q = parseQuantity(list[name]);
        if (q !== undefined && !Number.isInteger(q)) {
          add(`${path}.resources.${kind}[${name}]`, `fractional byte value ${JSON.stringify(String(list[name]))} is invalid, must be an integer`, `write ${kind}.${name} in whole bytes, e.g. 128Mi`);
        }
      }
    }

    if (Array.isArray(c.env)) {
      const seen = new Set<string>();
      c.env.forEach((e, i) => {
        if (!isObject(e) || typeof e.name !== 'string') return;
        if (seen.has(e.name)) {
          const ref = `$(${e.name})`;
          const value = typeof e.value === 'string' ? e.value : '';
          if (e.valueFrom !== undefined || value === ref || !value.includes(ref)) {
            add(`${path}.env[${i}]`, `hides previous definition of ${JSON.stringify(e.name)}, which may be dropped when using apply`, `remove one of the two definitions of ${e.name}`);
          }
        }
        seen.add(e.name);
      });
    }

    if (Array.isArray(c.ports)) {
      c.ports.forEach((p, i) => {
        if (!isObject(p)) return;
        const field = `${path}.ports[${i}]`;
        const hostIP = typeof p.hostIP === 'string' ? p.hostIP : '';
        const hostPort = typeof p.hostPort === 'number' ? p.hostPort : 0;
        if (hostIP !== '' && hostPort === 0) add(field, 'hostIP set without hostPort', 'set hostPort too, or remove hostIP');
        const key = `${String(p.containerPort)}/${typeof p.protocol === 'string' && p.protocol ? p.protocol : 'TCP'}`;
        const others = ports.get(key) ?? [];
        for (const other of others) {
          if (hostIP === other.hostIP && hostPort === other.hostPort) add(field, `duplicate port definition with ${other.field}`, 'remove one of the two port entries');
          else if (hostPort === 0 || other.hostPort === 0) add(field, `overlapping port definition with ${other.field}`, 'remove one of the two port entries');
          else if (hostPort === other.hostPort && (hostIP === '') !== (other.hostIP === '')) add(field, `dangerously ambiguous port definition with ${other.field}`, 'give both entries the same hostIP, or use different host ports');
        }
        others.push({ field, hostIP, hostPort });
        ports.set(key, others);
      });
    }
  }
  return out;
}
