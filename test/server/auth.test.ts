// The node API's authenticator and authorizer as one module each: which credential wins, what is
// never downgraded to anonymous, who is asked in each mode.
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { createAuthenticator, type NodeUser } from '../../src/server/authentication.js';
import { createAuthorizer, requestAttributes } from '../../src/server/authorization.js';

/** A request without a client certificate (a plain object stands in for the TLS socket). */
function req(authorization?: string): IncomingMessage {
  return { headers: authorization ? { authorization } : {}, socket: { getPeerCertificate: () => ({}), authorized: false } } as unknown as IncomingMessage;
}

describe('node API authentication', () => {
  it("the node's token is berth:admin; another token goes to the TokenReview; a refused one is never anonymous", async () => {
    const reviewed: string[] = [];
    const authn = createAuthenticator({
      token: 'node-token',
      anonymous: true,
      tokenReview: async (t) => {
        reviewed.push(t);
        return t === 'cluster-token' ? { name: 'alice', groups: ['devs'], via: 'webhook' } : undefined;
      },
    });
    assert.deepEqual(await authn(req('Bearer node-token')), { user: { name: 'berth:admin', groups: ['system:authenticated'], via: 'token' } });
    assert.equal(reviewed.length, 0, 'the node token is not sent to the cluster');
    assert.deepEqual(await authn(req('Bearer cluster-token')), { user: { name: 'alice', groups: ['devs'], via: 'webhook' } });
    assert.match(JSON.stringify(await authn(req('Bearer other'))), /TokenReview did not accept it/);
    assert.deepEqual(await authn(req('Basic x')), { refused: 'the Authorization header is not "Bearer <token>"' });
    assert.equal(((await authn(req())) as { user: NodeUser }).user.name, 'system:anonymous');
  });

  it('a cluster that cannot answer is a 401 saying so', async () => {
    const authn = createAuthenticator({ token: 't', anonymous: false, tokenReview: () => Promise.reject(new Error('connect ECONNREFUSED')) });
    assert.match(JSON.stringify(await authn(req('Bearer x'))), /could not review the token \(connect ECONNREFUSED\)/);
    assert.match(JSON.stringify(await authn(req())), /no credentials were sent/);
  });
});

describe('node API authorization', () => {
  const a = requestAttributes('GET', '/pods', 'n1');
  const anonymous: NodeUser = { name: 'system:anonymous', groups: ['system:unauthenticated'], via: 'anonymous' };
  const bob: NodeUser = { name: 'bob', groups: [], via: 'x509' };
  const admin: NodeUser = { name: 'berth:admin', groups: [], via: 'token' };

  it('standalone: every authenticated user, never anonymous', async () => {
    const authz = createAuthorizer('Standalone');
    assert.equal((await authz(bob, a)).allowed, true);
    assert.equal((await authz(anonymous, a)).allowed, false);
  });

  it('Webhook: the cluster decides, except for the node token holder; a failing cluster denies', async () => {
    const asked: string[] = [];
    const authz = createAuthorizer('Webhook', async (u) => {
      asked.push(u.name);
      return u.name === 'system:anonymous' ? { allowed: true } : { allowed: false, reason: 'no RBAC rule' };
    });
    assert.deepEqual(await authz(bob, a), { allowed: false, reason: 'no RBAC rule' });
    assert.equal((await authz(anonymous, a)).allowed, true, 'anonymous is authorized like anyone else');
    assert.equal((await authz(admin, a)).allowed, true);
    assert.deepEqual(asked, ['bob', 'system:anonymous']);
    const down = createAuthorizer('Webhook', () => Promise.reject(new Error('timeout')));
    assert.match(JSON.stringify(await down(bob, a)), /could not review the access \(timeout\)/);
    assert.throws(() => createAuthorizer('Webhook'), /needs a cluster/);
  });

  it('AlwaysAllow lets every authenticated request through', async () => {
    assert.equal((await createAuthorizer('AlwaysAllow')(anonymous, a)).allowed, true);
  });
});
