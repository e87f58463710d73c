// Remote mode: the node API asks the cluster about credentials it cannot judge itself, as the
// kubelet's --authentication-token-webhook and --authorization-mode=Webhook do: a TokenReview for
// a bearer token that is not the node's own, a SubjectAccessReview for each request. Answers are
// cached as the kubelet caches them (tokens 2 min, refused tokens 30 s, allowed 5 min, denied 30 s)
// so a busy client does not cost a round trip per request.
import { createHash } from 'node:crypto';
import type { RestClient } from '../mirror/index.js';
import type { NodeUser, TokenReviewer } from './authentication.js';
import type { AccessReviewer, Decision, NodeAttributes } from './authorization.js';

const TOKEN_TTL_MS = 120_000;
const REFUSED_TOKEN_TTL_MS = 30_000;
const ALLOWED_TTL_MS = 300_000;
const DENIED_TTL_MS = 30_000;
const MAX_ENTRIES = 1024;

class TtlCache<T> {
  private readonly entries = new Map<string, { value: T; until: number }>();
  get(key: string): T | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.until > Date.now()) return e.value;
    this.entries.delete(key);
    return undefined;
  }
  set(key: string, value: T, ttlMs: number): void {
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, { value, until: Date.now() + ttlMs });
  }
}

interface TokenReviewStatus {
  authenticated?: boolean;
  user?: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
  error?: string;
}

export function clusterTokenReviewer(client: RestClient): TokenReviewer {
  const cache = new TtlCache<NodeUser | null>();
  return async (token) => {
    const key = createHash('sha256').update(token).digest('hex');
    const hit = cache.get(key);
    if (hit !== undefined) return hit ?? undefined;
    const answer = await client.request<{ status?: TokenReviewStatus }>('POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } },
    });
    const s = answer.status ?? {};
    const user: NodeUser | null =
      s.authenticated && s.user?.username
        ? { name: s.user.username, groups: s.user.groups ?? [], via: 'webhook', ...(s.user.uid ? { uid: s.user.uid } : {}), ...(s.user.extra ? { extra: s.user.extra } : {}) }
        : null;
    cache.set(key, user, user ? TOKEN_TTL_MS : REFUSED_TOKEN_TTL_MS);
    return user ?? undefined;
  };
}

export function clusterAccessReviewer(client: RestClient): AccessReviewer {
  const cache = new TtlCache<Decision>();
  return async (user, a: NodeAttributes) => {
    const key = JSON.stringify([user.name, user.uid, user.groups, a.verb, a.subresource, a.name]);
    const hit = cache.get(key);
    if (hit) return hit;
    const answer = await client.request<{ status?: { allowed?: boolean; denied?: boolean; reason?: string; evaluationError?: string } }>(
      'POST',
      '/apis/authorization.k8s.io/v1/subjectaccessreviews',
      {
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SubjectAccessReview',
          spec: {
            user: user.name,
            groups: user.groups,
            ...(user.uid ? { uid: user.uid } : {}),
            ...(user.extra ? { extra: user.extra } : {}),
            resourceAttributes: { verb: a.verb, resource: a.resource, subresource: a.subresource, name: a.name },
          },
        },
      },
    );
    const s = answer.status ?? {};
    const decision: Decision = s.allowed
      ? { allowed: true }
      : { allowed: false, reason: s.reason || s.evaluationError || `the cluster's SubjectAccessReview does not allow ${a.verb} on nodes/${a.subresource}` };
    cache.set(key, decision, decision.allowed ? ALLOWED_TTL_MS : DENIED_TTL_MS);
    return decision;
  };
}
