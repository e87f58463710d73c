// Bearer-token authentication. One token, one user: whoever holds it may do everything the server
// allows (the agent and the node's admin). Compared in constant time so the token cannot be guessed
// byte by byte from response timings.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Paths answered without a token, like kube's system:public-info-viewer health checks. */
const PUBLIC_PATHS = new Set(['/healthz', '/livez', '/readyz']);

export function isPublicPath(path: string): boolean {
  if (PUBLIC_PATHS.has(path)) return true;
  const slash = path.indexOf('/', 1);
  return slash > 0 && PUBLIC_PATHS.has(path.slice(0, slash));
}

export function createAuthenticator(token: string): (req: IncomingMessage) => boolean {
  if (!token) throw new Error('apiserver: the bearer token must not be empty (set one; every request must carry it)');
  const want = createHash('sha256').update(token).digest();
  return (req) => {
    const h = req.headers.authorization;
    if (typeof h !== 'string') return false;
    const m = /^Bearer\s+(.+?)\s*$/i.exec(h);
    if (!m) return false;
    const got = createHash('sha256').update(m[1]!).digest();
    return timingSafeEqual(got, want);
  };
}
