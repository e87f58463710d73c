// Bearer-token authentication. One token, one user: whoever holds it may do everything the server
// allows (the agent and the node's admin). Compared in constant time so the token cannot be guessed
// byte by byte from response timings.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Paths an anonymous client (no Authorization header) may GET: exactly kube's
 * system:public-info-viewer role. The per-check paths (/livez/ping) are not in it, as upstream.
 */
const PUBLIC_PATHS = new Set(['/healthz', '/livez', '/readyz', '/version', '/version/']);

export function isPublicPath(path: string): boolean {
  return PUBLIC_PATHS.has(path);
}

/** Whether the request carries credentials at all (a wrong token is a 401 even on public paths). */
export function hasCredentials(req: IncomingMessage): boolean {
  return req.headers.authorization !== undefined;
}

/** Whether a token is the server's (what a TokenReview asks too). */
export function tokenMatcher(token: string): (candidate: string) => boolean {
  if (!token) throw new Error('apiserver: the bearer token must not be empty (set one; every request must carry it)');
  const want = createHash('sha256').update(token).digest();
  return (candidate) => timingSafeEqual(createHash('sha256').update(candidate).digest(), want);
}

export function createAuthenticator(token: string): (req: IncomingMessage) => boolean {
  const matches = tokenMatcher(token);
  return (req) => {
    const h = req.headers.authorization;
    if (typeof h !== 'string') return false;
    const m = /^Bearer\s+(.+?)\s*$/i.exec(h);
    return m ? matches(m[1]!) : false;
  };
}
