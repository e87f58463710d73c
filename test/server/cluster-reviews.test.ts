// The TokenReview and SubjectAccessReview clients as one module, against a local HTTP server that
// stands in for the cluster: what they send (the kubelet's attributes), what they make of the
// answer, and that answers are cached so a busy client costs one round trip.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { RestClient } from '../../src/mirror/index.js';
import { clusterAccessReviewer, clusterTokenReviewer } from '../../src/server/cluster-reviews.js';
import { requestAttributes } from '../../src/server/authorization.js';

interface Asked {
  path: string;
  body: { spec: Record<string, unknown> };
}

describe('cluster reviews', () => {
  const asked: Asked[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let raw = '';
    req.on('data', (c) => (raw += String(c)));
    req.on('end', () => {
      const body = JSON.parse(raw) as Asked['body'];
      asked.push({ path: req.url!, body });
      const status = req.url!.endsWith('/tokenreviews')
        ? body.spec.token === 'good'
          ? { authenticated: true, user: { username: 'alice', uid: 'u1', groups: ['devs'] } }
          : { authenticated: false }
        : body.spec.user === 'alice'
          ? { allowed: true }
          : { allowed: false, reason: 'no RBAC policy matched' };
      res.writeHead(201, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ status }));
    });
  });
  let client: RestClient;

  before(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    client = new RestClient({ server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, namespace: 'default', origin: 'test' });
  });

  after(() => {
    client.close();
    server.close();
  });

  it('TokenReview: the user of a good token, nothing for a bad one, each asked once', async () => {
    const review = clusterTokenReviewer(client);
    assert.deepEqual(await review('good'), { name: 'alice', groups: ['devs'], via: 'webhook', uid: 'u1' });
    assert.deepEqual(await review('good'), { name: 'alice', groups: ['devs'], via: 'webhook', uid: 'u1' });
    assert.equal(await review('bad'), undefined);
    assert.equal(await review('bad'), undefined);
    assert.deepEqual(asked.filter((a) => a.path === '/apis/authentication.k8s.io/v1/tokenreviews').map((a) => a.body.spec.token), ['good', 'bad']);
  });

  it("SubjectAccessReview: the kubelet's attributes for the node, the cluster's reason, cached", async () => {
    const review = clusterAccessReviewer(client);
    const a = requestAttributes('POST', '/exec/default/web/main', 'node-b');
    assert.deepEqual(await review({ name: 'alice', groups: ['devs'], uid: 'u1', via: 'webhook' }, a), { allowed: true });
    assert.deepEqual(await review({ name: 'bob', groups: [], via: 'x509' }, a), { allowed: false, reason: 'no RBAC policy matched' });
    await review({ name: 'bob', groups: [], via: 'x509' }, a);
    const sars = asked.filter((x) => x.path === '/apis/authorization.k8s.io/v1/subjectaccessreviews');
    assert.equal(sars.length, 2, 'the second answer for bob came from the cache');
    assert.deepEqual(sars[0]!.body.spec, {
      user: 'alice',
      groups: ['devs'],
      uid: 'u1',
      resourceAttributes: { verb: 'create', resource: 'nodes', subresource: 'proxy', name: 'node-b' },
    });
  });
});
