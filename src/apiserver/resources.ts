// The resource types this API server serves, described once: discovery, URL routing, field
// selectors, validation and tables all read these definitions, so adding a resource is one entry.
import type { ObjectMeta } from 'kubernetes-types/meta/v1';

/** A stored object. Always has apiVersion, kind and metadata once it is in the store. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/** Pod subresources proxied to the node API as upgraded streams (kube's "connect" subresources). */
export const STREAM_SUBRESOURCES = ['exec', 'attach', 'portforward'] as const;
export type StreamSubresource = (typeof STREAM_SUBRESOURCES)[number];
export type SubresourceName = 'status' | 'log' | StreamSubresource;

export function isStreamSubresource(s: string | undefined): s is StreamSubresource {
  return (STREAM_SUBRESOURCES as readonly string[]).includes(s ?? '');
}

export interface SubresourceDef {
  name: SubresourceName;
  verbs: string[];
}

export interface ResourceDef {
  /** '' for the core group. */
  group: string;
  version: string;
  /** `v1` or `coordination.k8s.io/v1`: the apiVersion of its objects. */
  apiVersion: string;
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  subresources: SubresourceDef[];
  /** Field selector getters, by field path. */
  fields: Readonly<Record<string, (o: KubeObject) => string>>;
  /** PUT of a missing object creates it (events, leases), as in kube. */
  allowCreateOnUpdate: boolean;
  /** Has a status subresource: updates of the main resource keep the stored status (kube semantics). */
  statusSubresource: boolean;
  /** Name rule: DNS-1123 subdomain, DNS-1123 label (namespaces) or any path segment (events). */
  nameRule: 'subdomain' | 'label' | 'segment';
  /** A create-only question about the caller (SelfSubjectAccessReview, ...): answered, never stored. */
  review?: boolean;
  /** Read from the node API's resource usage (metrics.k8s.io), never stored. */
  metrics?: boolean;
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** Value of a dotted field path as a field selector compares it: '' when absent. */
export function fieldValue(o: unknown, path: string, absent = ''): string {
  let cur: unknown = o;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return absent;
    cur = (cur as Record<string, unknown>)[part];
  }
  if (cur === undefined || cur === null) return absent;
  if (typeof cur === 'string') return cur;
  if (typeof cur === 'number' || typeof cur === 'boolean') return String(cur);
  return absent;
}

function getters(paths: string[], overrides: Record<string, (o: KubeObject) => string> = {}): Record<string, (o: KubeObject) => string> {
  const out: Record<string, (o: KubeObject) => string> = {};
  for (const p of paths) out[p] = (o) => fieldValue(o, p);
  return { ...out, ...overrides };
}

export const pods: ResourceDef = {
  group: '',
  version: 'v1',
  apiVersion: 'v1',
  plural: 'pods',
  singular: 'pod',
  kind: 'Pod',
  listKind: 'PodList',
  namespaced: true,
  shortNames: ['po'],
  categories: ['all'],
  verbs: ALL_VERBS,
  subresources: [
    { name: 'attach', verbs: ['create', 'get'] },
    { name: 'exec', verbs: ['create', 'get'] },
    { name: 'log', verbs: ['get'] },
    { name: 'portforward', verbs: ['create', 'get'] },
    { name: 'status', verbs: ['get', 'patch', 'update'] },
  ],
  fields: getters(
    [
      'metadata.name',
      'metadata.namespace',
      'spec.nodeName',
      'spec.restartPolicy',
      'spec.schedulerName',
      'spec.serviceAccountName',
      'status.phase',
      'status.podIP',
      'status.nominatedNodeName',
    ],
    { 'spec.hostNetwork': (o) => fieldValue(o, 'spec.hostNetwork', 'false') },
  ),
  allowCreateOnUpdate: false,
  statusSubresource: true,
  nameRule: 'subdomain',
};

export const nodes: ResourceDef = {
  group: '',
  version: 'v1',
  apiVersion: 'v1',
  plural: 'nodes',
  singular: 'node',
  kind: 'Node',
  listKind: 'NodeList',
  namespaced: false,
  shortNames: ['no'],
  categories: [],
  verbs: ALL_VERBS,
  subresources: [{ name: 'status', verbs: ['get', 'patch', 'update'] }],
  fields: getters(['metadata.name'], { 'spec.unschedulable': (o) => fieldValue(o, 'spec.unschedulable', 'false') }),
  allowCreateOnUpdate: false,
  statusSubresource: true,
  nameRule: 'subdomain',
};

export const events: ResourceDef = {
  group: '',
  version: 'v1',
  apiVersion: 'v1',
  plural: 'events',
  singular: 'event',
  kind: 'Event',
  listKind: 'EventList',
  namespaced: true,
  shortNames: ['ev'],
  categories: [],
  verbs: ALL_VERBS,
  subresources: [],
  fields: getters([
    'metadata.name',
    'metadata.namespace',
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'type',
  ], { source: (o) => fieldValue(o, 'source.component') }),
  allowCreateOnUpdate: true,
  statusSubresource: false,
  nameRule: 'segment',
};

export const namespaces: ResourceDef = {
  group: '',
  version: 'v1',
  apiVersion: 'v1',
  plural: 'namespaces',
  singular: 'namespace',
  kind: 'Namespace',
  listKind: 'NamespaceList',
  namespaced: false,
  shortNames: ['ns'],
  categories: [],
  verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  subresources: [{ name: 'status', verbs: ['get', 'patch', 'update'] }],
  fields: getters(['metadata.name', 'status.phase']),
  allowCreateOnUpdate: false,
  statusSubresource: true,
  nameRule: 'label',
};

export const leases: ResourceDef = {
  group: 'coordination.k8s.io',
  version: 'v1',
  apiVersion: 'coordination.k8s.io/v1',
  plural: 'leases',
  singular: 'lease',
  kind: 'Lease',
  listKind: 'LeaseList',
  namespaced: true,
  shortNames: [],
  categories: [],
  verbs: ALL_VERBS,
  subresources: [],
  fields: getters(['metadata.name', 'metadata.namespace']),
  allowCreateOnUpdate: true,
  statusSubresource: false,
  nameRule: 'subdomain',
};

/** Read-only: the `kubernetes` service in `default` names this API, as on any cluster. */
export const services: ResourceDef = {
  group: '',
  version: 'v1',
  apiVersion: 'v1',
  plural: 'services',
  singular: 'service',
  kind: 'Service',
  listKind: 'ServiceList',
  namespaced: true,
  shortNames: ['svc'],
  categories: ['all'],
  verbs: ['get', 'list', 'watch'],
  subresources: [],
  fields: getters(['metadata.name', 'metadata.namespace', 'spec.clusterIP', 'spec.type']),
  allowCreateOnUpdate: false,
  statusSubresource: false,
  nameRule: 'label',
};

function review(group: string, plural: string, kind: string): ResourceDef {
  return {
    group,
    version: 'v1',
    apiVersion: `${group}/v1`,
    plural,
    singular: plural.replace(/s$/, ''),
    kind,
    listKind: `${kind}List`,
    namespaced: false,
    shortNames: [],
    categories: [],
    verbs: ['create'],
    subresources: [],
    fields: {},
    allowCreateOnUpdate: false,
    statusSubresource: false,
    nameRule: 'subdomain',
    review: true,
  };
}

export const selfSubjectAccessReviews = review('authorization.k8s.io', 'selfsubjectaccessreviews', 'SelfSubjectAccessReview');
export const selfSubjectRulesReviews = review('authorization.k8s.io', 'selfsubjectrulesreviews', 'SelfSubjectRulesReview');
export const selfSubjectReviews = review('authentication.k8s.io', 'selfsubjectreviews', 'SelfSubjectReview');
/** Asked by a node agent that joins this API (remote mode): whose is this token, may this user do that. */
export const tokenReviews = review('authentication.k8s.io', 'tokenreviews', 'TokenReview');
export const subjectAccessReviews = review('authorization.k8s.io', 'subjectaccessreviews', 'SubjectAccessReview');

// The singular names are the kinds in lower case, as metrics-server's discovery has them: `node`
// and `pod` would make `kubectl get node` ambiguous, and `kubectl get podmetrics` needs them.
function usage(plural: string, singular: string, kind: string, namespaced: boolean): ResourceDef {
  return {
    group: 'metrics.k8s.io',
    version: 'v1beta1',
    apiVersion: 'metrics.k8s.io/v1beta1',
    plural,
    singular,
    kind,
    listKind: `${kind}List`,
    namespaced,
    shortNames: [],
    categories: [],
    verbs: ['get', 'list'],
    subresources: [],
    fields: getters(namespaced ? ['metadata.name', 'metadata.namespace'] : ['metadata.name']),
    allowCreateOnUpdate: false,
    statusSubresource: false,
    nameRule: 'subdomain',
    metrics: true,
  };
}

/** `kubectl top node`: the node's CPU and memory, as metrics-server serves them. */
export const nodeMetrics = usage('nodes', 'nodemetrics', 'NodeMetrics', false);
/** `kubectl top pod`: each pod's containers' CPU and memory. */
export const podMetrics = usage('pods', 'podmetrics', 'PodMetrics', true);

export const ALL_RESOURCES: readonly ResourceDef[] = [
  pods,
  nodes,
  events,
  namespaces,
  services,
  leases,
  selfSubjectAccessReviews,
  selfSubjectRulesReviews,
  selfSubjectReviews,
  tokenReviews,
  subjectAccessReviews,
  nodeMetrics,
  podMetrics,
];

/** Group versions served, in discovery order. '' is the core group (/api/v1). */
export interface GroupVersion {
  group: string;
  version: string;
  resources: ResourceDef[];
}

export function groupVersions(): GroupVersion[] {
  const out: GroupVersion[] = [];
  for (const r of ALL_RESOURCES) {
    let gv = out.find((g) => g.group === r.group && g.version === r.version);
    if (!gv) {
      gv = { group: r.group, version: r.version, resources: [] };
      out.push(gv);
    }
    gv.resources.push(r);
  }
  return out;
}

export function findResource(group: string, version: string, plural: string): ResourceDef | undefined {
  return ALL_RESOURCES.find((r) => r.group === group && r.version === version && r.plural === plural);
}

/** Store key of a resource: `pods`, `leases.coordination.k8s.io`. */
export function resourceKey(r: ResourceDef): string {
  return r.group ? `${r.plural}.${r.group}` : r.plural;
}
