// URL → what is being asked for. Kubernetes paths:
//   /api/v1/[watch/][namespaces/{ns}/]{resource}[/{name}[/{subresource}]]
//   /apis/{group}/{version}/[watch/][namespaces/{ns}/]{resource}[/{name}[/{subresource}]]
// plus discovery (/api, /apis, /apis/{group}, /api/v1, /apis/{group}/{version}), /version and the
// health checks.
import { findResource, type ResourceDef, type SubresourceName } from './resources.js';
import { badRequest } from './status.js';

export type Route =
  | { kind: 'root' }
  | { kind: 'version' }
  | { kind: 'health'; endpoint: 'healthz' | 'livez' | 'readyz'; check: string | undefined }
  | { kind: 'openapi'; rest: string }
  | { kind: 'api' }
  | { kind: 'apis' }
  | { kind: 'group'; group: string }
  | { kind: 'resourceList'; group: string; version: string }
  | {
      kind: 'resource';
      def: ResourceDef;
      namespace: string | undefined;
      name: string | undefined;
      subresource: SubresourceName | undefined;
      legacyWatch: boolean;
    }
  | { kind: 'notFound' };

function segments(path: string): string[] {
  try {
    return path
      .split('/')
      .filter((s) => s !== '')
      .map((s) => decodeURIComponent(s));
  } catch {
    throw badRequest(`the URL path ${JSON.stringify(path)} is not validly percent-encoded`);
  }
}

const HEALTH = new Set(['healthz', 'livez', 'readyz']);

export function route(path: string): Route {
  const s = segments(path);
  if (s.length === 0) return { kind: 'root' };
  if (s[0] === 'version' && s.length === 1) return { kind: 'version' };
  if (HEALTH.has(s[0]!)) {
    return { kind: 'health', endpoint: s[0] as 'healthz' | 'livez' | 'readyz', check: s.length > 1 ? s.slice(1).join('/') : undefined };
  }
  if (s[0] === 'openapi' && s.length > 1) return { kind: 'openapi', rest: s.slice(1).join('/') };
  if (s[0] === 'api') {
    if (s.length === 1) return { kind: 'api' };
    if (s[1] !== 'v1') return { kind: 'notFound' };
    if (s.length === 2) return { kind: 'resourceList', group: '', version: 'v1' };
    return resourceRoute('', 'v1', s.slice(2));
  }
  if (s[0] === 'apis') {
    if (s.length === 1) return { kind: 'apis' };
    if (s.length === 2) return { kind: 'group', group: s[1]! };
    if (s.length === 3) return { kind: 'resourceList', group: s[1]!, version: s[2]! };
    return resourceRoute(s[1]!, s[2]!, s.slice(3));
  }
  return { kind: 'notFound' };
}

function subresourceOf(def: ResourceDef, sub: string | undefined): SubresourceName | undefined | null {
  if (sub === undefined) return undefined;
  const found = def.subresources.find((x) => x.name === sub);
  return found ? found.name : null;
}

function resourceRoute(group: string, version: string, rest: string[]): Route {
  let legacyWatch = false;
  if (rest[0] === 'watch') {
    legacyWatch = true;
    rest = rest.slice(1);
  }
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const def = findResource(group, version, rest[2]!);
    if (def && def.namespaced && rest.length <= 5) {
      const sub = subresourceOf(def, rest[4]);
      if (sub === null) return { kind: 'notFound' };
      return { kind: 'resource', def, namespace: rest[1]!, name: rest[3], subresource: sub, legacyWatch };
    }
    // /api/v1/namespaces/{name}/status: a subresource of the namespace itself.
    if (!def && rest.length === 3) {
      const ns = findResource(group, version, 'namespaces');
      const sub = ns ? subresourceOf(ns, rest[2]) : null;
      if (ns && sub) return { kind: 'resource', def: ns, namespace: undefined, name: rest[1], subresource: sub, legacyWatch };
    }
    return { kind: 'notFound' };
  }
  const def = findResource(group, version, rest[0]!);
  if (!def || rest.length > 3) return { kind: 'notFound' };
  // Namespaced objects are only addressable inside their namespace; the bare collection lists all.
  if (def.namespaced && rest.length > 1) return { kind: 'notFound' };
  const sub = subresourceOf(def, rest[2]);
  if (sub === null) return { kind: 'notFound' };
  return { kind: 'resource', def, namespace: undefined, name: rest[1], subresource: sub, legacyWatch };
}
