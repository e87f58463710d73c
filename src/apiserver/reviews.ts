// SelfSubjectAccessReview, SelfSubjectRulesReview (authorization.k8s.io/v1) and
// SelfSubjectReview (authentication.k8s.io/v1): what `kubectl auth can-i`, `auth can-i --list` and
// `auth whoami` ask. The answers are the truth about this server: the token's holder may use every
// verb each served resource lists in discovery and nothing else (services are read-only, a
// resource that is not served is not allowed), and may GET the non-resource paths that exist.
import type { UserInfo } from 'kubernetes-types/authentication/v1';
import type { NonResourceAttributes, ResourceAttributes, NonResourceRule } from 'kubernetes-types/authorization/v1';

/** authorization/v1 ResourceRule (kubernetes-types' declaration of it lost verbs and resources). */
interface ResourceRule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
}
import { parseMediaType, parseJson } from './body.js';
import { decodeReviewProtobuf } from './review-wire.js';
import { ALL_RESOURCES, selfSubjectAccessReviews, selfSubjectRulesReviews, subjectAccessReviews, tokenReviews, type ResourceDef } from './resources.js';
import { route } from './routes.js';
import { badRequest, unsupportedMediaType } from './status.js';

/** Who holds the API's bearer token: one user, the node's administrator (and its agent). */
export const TOKEN_USER: UserInfo = { username: 'berth:admin', groups: ['system:authenticated'] };

const PROTOBUF = 'application/vnd.kubernetes.protobuf';

/** Non-resource paths a client may GET, as patterns; kept to those this server answers. */
const NON_RESOURCE_CANDIDATES = ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/healthz/*', '/livez', '/livez/*', '/openapi', '/openapi/*', '/readyz', '/readyz/*', '/version', '/version/'];

function served(path: string): boolean {
  const probe = path.endsWith('/*') ? path.slice(0, -2) : path;
  if (probe === '/openapi') return route('/openapi/v2').kind !== 'notFound';
  return route(probe).kind !== 'notFound';
}

function decodeReview(raw: Buffer, contentType: string | undefined): Record<string, unknown> {
  const type = parseMediaType(contentType).type;
  let v: unknown;
  if (type === PROTOBUF) v = decodeReviewProtobuf(raw);
  else if (type === '' || type === 'application/json') v = parseJson(raw);
  else throw unsupportedMediaType(type, ['application/json', PROTOBUF]);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw badRequest('the review must be a JSON object with a spec');
  return v as Record<string, unknown>;
}

function resourceVerdict(a: ResourceAttributes, nodeName: string): { allowed: boolean; reason: string } {
  const group = a.group ?? '';
  const resource = a.resource ?? '';
  const verb = a.verb ?? '';
  const what = group ? `${resource}.${group}` : resource;
  if (resource === '*' || verb === '*' || group === '*') {
    return { allowed: false, reason: `node "${nodeName}" serves a fixed set of resources and verbs, not every one ("*"); ask about one resource and verb` };
  }
  const def: ResourceDef | undefined = ALL_RESOURCES.find((r) => r.group === group && r.plural === resource && (!a.version || a.version === '*' || r.version === a.version));
  if (!def) return { allowed: false, reason: `the embedded API of node "${nodeName}" does not serve ${what}` };
  let verbs = def.verbs;
  if (a.subresource) {
    const sub = def.subresources.find((s) => s.name === a.subresource);
    if (!sub) return { allowed: false, reason: `${what} has no subresource "${a.subresource}" here` };
    verbs = sub.verbs;
  }
  if (!verbs.includes(verb)) {
    return { allowed: false, reason: `${what}${a.subresource ? '/' + a.subresource : ''} allows only ${verbs.join(', ')} on this node's embedded API` };
  }
  if (def.plural === 'pods' && !a.subresource && verb === 'create') {
    return { allowed: true, reason: 'only mirror pods (annotation kubernetes.io/config.mirror) can be created: static pods come from the node\'s manifest sources' };
  }
  return { allowed: true, reason: '' };
}

function nonResourceVerdict(a: NonResourceAttributes): { allowed: boolean; reason: string } {
  const path = a.path ?? '';
  if ((a.verb ?? '') !== 'get') return { allowed: false, reason: 'non-resource paths are read-only (get)' };
  return served(path) ? { allowed: true, reason: '' } : { allowed: false, reason: `nothing is served at ${path}` };
}

function rules(): { resourceRules: ResourceRule[]; nonResourceRules: NonResourceRule[] } {
  const resourceRules: ResourceRule[] = [];
  for (const d of ALL_RESOURCES) {
    resourceRules.push({ verbs: d.verbs, apiGroups: [d.group], resources: [d.plural] });
    for (const s of d.subresources) resourceRules.push({ verbs: s.verbs, apiGroups: [d.group], resources: [`${d.plural}/${s.name}`] });
  }
  return { resourceRules, nonResourceRules: [{ verbs: ['get'], nonResourceURLs: NON_RESOURCE_CANDIDATES.filter(served) }] };
}

/**
 * SubjectAccessReview, asked by a node agent joined to this API about a user of its node API: the
 * token's holder (berth:admin) and system:masters may do everything this node offers, nobody else
 * anything, the same rule this API applies to itself.
 */
function subjectVerdict(spec: Record<string, unknown>): { allowed: boolean; reason: string } {
  const user = typeof spec['user'] === 'string' ? spec['user'] : '';
  const groups = Array.isArray(spec['groups']) ? (spec['groups'] as unknown[]).filter((g): g is string => typeof g === 'string') : [];
  if (user === TOKEN_USER.username) return { allowed: true, reason: `${TOKEN_USER.username} holds this API's token` };
  if (groups.includes('system:masters')) return { allowed: true, reason: 'member of system:masters' };
  return { allowed: false, reason: `user "${user || '(none)'}" is not allowed: this API grants access to its token holder (${TOKEN_USER.username}) and system:masters only` };
}

/** Answers a POST of one of the reviews (201, like any create). */
export function answerReview(def: ResourceDef, raw: Buffer, contentType: string | undefined, nodeName: string, tokenMatches: (token: string) => boolean): Record<string, unknown> {
  const body = decodeReview(raw, contentType);
  const base = { kind: def.kind, apiVersion: def.apiVersion, metadata: { creationTimestamp: null } };
  const spec = (body['spec'] ?? {}) as Record<string, unknown>;
  if (def === tokenReviews) {
    const token = spec['token'];
    if (typeof token !== 'string' || token === '') throw badRequest('TokenReview: spec.token must be a non-empty string');
    const status = tokenMatches(token) ? { authenticated: true, user: TOKEN_USER } : { authenticated: false, error: 'the token is not valid on this API' };
    return { ...base, spec: { audiences: spec['audiences'] }, status };
  }
  if (def === subjectAccessReviews) {
    if ((spec['resourceAttributes'] === undefined) === (spec['nonResourceAttributes'] === undefined)) {
      throw badRequest('SubjectAccessReview: exactly one of spec.resourceAttributes and spec.nonResourceAttributes must be set');
    }
    if (typeof spec['user'] !== 'string' && !Array.isArray(spec['groups'])) throw badRequest('SubjectAccessReview: spec.user or spec.groups must be set');
    const v = subjectVerdict(spec);
    return { ...base, spec, status: { allowed: v.allowed, reason: v.reason } };
  }
  if (def === selfSubjectAccessReviews) {
    const ra = spec['resourceAttributes'] as ResourceAttributes | undefined;
    const nra = spec['nonResourceAttributes'] as NonResourceAttributes | undefined;
    if ((ra === undefined) === (nra === undefined)) {
      throw badRequest('SelfSubjectAccessReview: exactly one of spec.resourceAttributes and spec.nonResourceAttributes must be set');
    }
    const v = ra ? resourceVerdict(ra, nodeName) : nonResourceVerdict(nra!);
    const status: Record<string, unknown> = { allowed: v.allowed };
    if (v.reason) status['reason'] = v.reason;
    return { ...base, spec, status };
  }
  if (def === selfSubjectRulesReviews) {
    return { ...base, spec, status: { ...rules(), incomplete: false } };
  }
  return { ...base, status: { userInfo: TOKEN_USER } };
}
