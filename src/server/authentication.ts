// Who is asking: the node API's authenticators, tried in the kubelet's order. A verified client
// certificate (signed by berth's client CA or --client-ca-file) names the user (CN) and groups (O);
// a bearer token is the node's own token (<root-dir>/api/token) or, in remote mode, whatever the
// cluster's TokenReview says it is; no credentials at all is system:anonymous when
// --anonymous-auth allows it. Anything presented and not accepted is a 401: a bad credential is
// never silently downgraded to anonymous.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

export interface NodeUser {
  name: string;
  groups: string[];
  uid?: string;
  extra?: Record<string, string[]>;
  /** How it was recognised; `token` (the node's own) and `x509` are local credentials. */
  via: 'token' | 'x509' | 'webhook' | 'anonymous';
}

export type Authentication = { user: NodeUser } | { refused: string };

/** The cluster's TokenReview: the user a token belongs to, or undefined when it is not valid. */
export type TokenReviewer = (token: string) => Promise<NodeUser | undefined>;

export interface AuthenticationOptions {
  /** The node's token (from <root-dir>/api/token): its holder is the node's administrator. */
  token: string;
  anonymous: boolean;
  /** Remote mode with --authentication-token-webhook: asks the cluster about other tokens. */
  tokenReview?: TokenReviewer;
}

/** The user the node's own token stands for (the embedded API calls the same holder berth:admin). */
export const NODE_TOKEN_USER = 'berth:admin';

export function createAuthenticator(o: AuthenticationOptions): (req: IncomingMessage) => Promise<Authentication> {
  if (!o.token) throw new Error('node API: the bearer token must not be empty');
  const want = createHash('sha256').update(o.token).digest();
  return async (req) => {
    const refusals: string[] = [];
    const cert = clientCertificateUser(req.socket as TLSSocket);
    if (cert && 'user' in cert) return cert;
    if (cert) refusals.push(cert.refused);

    const header = req.headers.authorization;
    if (typeof header === 'string') {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!m) return { refused: 'the Authorization header is not "Bearer <token>"' };
      const token = m[1]!;
      if (timingSafeEqual(createHash('sha256').update(token).digest(), want)) {
        return { user: { name: NODE_TOKEN_USER, groups: ['system:authenticated'], via: 'token' } };
      }
      if (o.tokenReview) {
        let user: NodeUser | undefined;
        try {
          user = await o.tokenReview(token);
        } catch (err) {
          return { refused: `the cluster could not review the token (${(err as Error).message})` };
        }
        if (user) return { user };
        return { refused: 'the bearer token is not the node\'s token and the cluster\'s TokenReview did not accept it' };
      }
      return { refused: 'the bearer token is not the node\'s token' };
    }
    if (refusals.length) return { refused: refusals.join('; ') };
    if (o.anonymous) return { user: { name: 'system:anonymous', groups: ['system:unauthenticated'], via: 'anonymous' } };
    return { refused: 'no credentials were sent' };
  };
}

/** The user of a verified client certificate; a refusal for one that did not verify; undefined for none. */
function clientCertificateUser(socket: TLSSocket): Authentication | undefined {
  if (typeof socket.getPeerCertificate !== 'function') return undefined;
  const peer = socket.getPeerCertificate();
  if (!peer || Object.keys(peer).length === 0) return undefined;
  if (!socket.authorized) {
    return { refused: `the client certificate was not accepted (${String(socket.authorizationError ?? 'unknown reason')}): it must be valid and signed by --client-ca-file or berth's client CA` };
  }
  const subject = peer.subject as unknown as Record<string, string | string[] | undefined>;
  const cn = subject['CN'];
  const name = Array.isArray(cn) ? cn[0] : cn;
  if (!name) return { refused: 'the client certificate has no common name (CN) to name its user' };
  const o = subject['O'];
  const groups = o === undefined ? [] : Array.isArray(o) ? o : [o];
  return { user: { name, groups: [...groups, 'system:authenticated'], via: 'x509' } };
}
