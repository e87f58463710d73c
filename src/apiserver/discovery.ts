// Discovery documents: /version, legacy /api, /apis, /api/v1, /apis/<group>[/<version>], and the
// aggregated form (apidiscovery.k8s.io v2 / v2beta1) that kubectl >= 1.26 asks for first. The
// aggregated answer must carry exactly the Content-Type the client asked for, or kubectl decides
// the server has no resources at all (`the server doesn't have a resource type "po"`).
import { groupVersions, type GroupVersion, type ResourceDef } from './resources.js';

export const VERSION_INFO = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-berth',
  gitCommit: '',
  gitTreeState: 'clean',
  buildDate: '1970-01-01T00:00:00Z',
  goVersion: '',
  compiler: 'berth',
  platform: 'linux/amd64',
};

export type DiscoveryFormat = { kind: 'legacy' } | { kind: 'aggregated'; version: 'v2' | 'v2beta1'; contentType: string };

/** Picks the first format in the Accept list we can produce. */
export function negotiateDiscovery(accept: string | undefined): DiscoveryFormat {
  for (const part of (accept ?? '').split(',')) {
    const [media, ...params] = part.split(';').map((s) => s.trim());
    const p: Record<string, string> = {};
    for (const kv of params) {
      const eq = kv.indexOf('=');
      if (eq > 0) p[kv.slice(0, eq).trim()] = kv.slice(eq + 1).trim();
    }
    if (media === 'application/json' && p['as'] === 'APIGroupDiscoveryList' && p['g'] === 'apidiscovery.k8s.io') {
      if (p['v'] === 'v2' || p['v'] === 'v2beta1') {
        return {
          kind: 'aggregated',
          version: p['v'],
          contentType: `application/json;g=apidiscovery.k8s.io;v=${p['v']};as=APIGroupDiscoveryList`,
        };
      }
      continue;
    }
    if (media === 'application/json' || media === '*/*' || media === 'application/*' || media === '') {
      if (Object.keys(p).filter((k) => k !== 'q' && k !== 'charset').length === 0) return { kind: 'legacy' };
    }
  }
  return { kind: 'legacy' };
}

function coreGv(): GroupVersion {
  return groupVersions().find((g) => g.group === '')!;
}

function namedGroups(): GroupVersion[] {
  return groupVersions().filter((g) => g.group !== '');
}

function apiResource(r: ResourceDef): Record<string, unknown>[] {
  const main: Record<string, unknown> = {
    name: r.plural,
    singularName: r.singular,
    namespaced: r.namespaced,
    kind: r.kind,
    verbs: r.verbs,
  };
  if (r.shortNames.length) main['shortNames'] = r.shortNames;
  if (r.categories.length) main['categories'] = r.categories;
  const subs = r.subresources.map((s) => ({
    name: `${r.plural}/${s.name}`,
    singularName: '',
    namespaced: r.namespaced,
    kind: r.kind,
    verbs: s.verbs,
  }));
  return [main, ...subs];
}

function resourceList(gv: GroupVersion): Record<string, unknown> {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: gv.group ? `${gv.group}/${gv.version}` : gv.version,
    resources: gv.resources.flatMap(apiResource),
  };
}

/** /api/v1 or /apis/<group>/<version>; undefined when not served. */
export function apiResourceList(group: string, version: string): Record<string, unknown> | undefined {
  const gv = groupVersions().find((g) => g.group === group && g.version === version);
  return gv ? resourceList(gv) : undefined;
}

export function legacyApiVersions(serverAddress: string): Record<string, unknown> {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function apiGroup(group: string): Record<string, unknown> | undefined {
  const gvs = namedGroups().filter((g) => g.group === group);
  if (gvs.length === 0) return undefined;
  const versions = gvs.map((g) => ({ groupVersion: `${g.group}/${g.version}`, version: g.version }));
  return { name: group, versions, preferredVersion: versions[0] };
}

export function legacyApiGroupList(): Record<string, unknown> {
  const names = [...new Set(namedGroups().map((g) => g.group))];
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: names.map((n) => apiGroup(n)) };
}

/** /apis/<group>; undefined when the group is not served. */
export function legacyApiGroup(group: string): Record<string, unknown> | undefined {
  const g = apiGroup(group);
  return g ? { kind: 'APIGroup', apiVersion: 'v1', ...g } : undefined;
}

function aggregatedResource(r: ResourceDef): Record<string, unknown> {
  const responseKind = { group: r.group, version: r.version, kind: r.kind };
  const out: Record<string, unknown> = {
    resource: r.plural,
    responseKind,
    scope: r.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: r.singular,
    verbs: r.verbs,
  };
  if (r.shortNames.length) out['shortNames'] = r.shortNames;
  if (r.categories.length) out['categories'] = r.categories;
  if (r.subresources.length) {
    out['subresources'] = r.subresources.map((s) => ({ subresource: s.name, responseKind, verbs: s.verbs }));
  }
  return out;
}

function aggregatedGroup(name: string, gvs: GroupVersion[]): Record<string, unknown> {
  const metadata: Record<string, unknown> = { creationTimestamp: null };
  if (name) metadata['name'] = name;
  return {
    metadata,
    versions: gvs.map((g) => ({ version: g.version, resources: g.resources.map(aggregatedResource), freshness: 'Current' })),
  };
}

/** Aggregated discovery for /api (core only) or /apis (named groups). */
export function aggregatedDiscovery(which: 'api' | 'apis', version: 'v2' | 'v2beta1'): Record<string, unknown> {
  let items: Record<string, unknown>[];
  if (which === 'api') {
    items = [aggregatedGroup('', [coreGv()])];
  } else {
    const byGroup = new Map<string, GroupVersion[]>();
    for (const g of namedGroups()) byGroup.set(g.group, [...(byGroup.get(g.group) ?? []), g]);
    items = [...byGroup].map(([name, gvs]) => aggregatedGroup(name, gvs));
  }
  return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items };
}
