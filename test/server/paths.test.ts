// The node API's path routing: the kubelet's layout, and nothing a client sends can turn one path
// into another (dot segments and encoded slashes are refused, never normalised).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rawPath, routeNodePath } from '../../src/server/paths.js';
import { requestAttributes } from '../../src/server/authorization.js';

describe('node API paths', () => {
  it("routes the kubelet's endpoints, with and without the pod UID", () => {
    assert.deepEqual(routeNodePath('/exec/default/web-n1/main'), { kind: 'exec', namespace: 'default', pod: 'web-n1', container: 'main' });
    assert.deepEqual(routeNodePath('/exec/default/web-n1/2f1c7e4a-0000-4000-8000-000000000000/main'), { kind: 'exec', namespace: 'default', pod: 'web-n1', container: 'main' });
    assert.deepEqual(routeNodePath('/attach/kube-system/a/b'), { kind: 'attach', namespace: 'kube-system', pod: 'a', container: 'b' });
    assert.deepEqual(routeNodePath('/portForward/default/web'), { kind: 'portForward', namespace: 'default', pod: 'web' });
    assert.deepEqual(routeNodePath('/portForward/default/web/some-uid'), { kind: 'portForward', namespace: 'default', pod: 'web' });
    assert.deepEqual(routeNodePath('/run/default/web/main'), { kind: 'run', namespace: 'default', pod: 'web', container: 'main' });
    assert.deepEqual(routeNodePath('/containerLogs/default/web/main'), { kind: 'containerLogs', namespace: 'default', pod: 'web', container: 'main' });
    assert.equal(routeNodePath('/pods/').kind, 'pods');
    assert.equal(routeNodePath('/stats/summary').kind, 'statsSummary');
    assert.equal(routeNodePath('/metrics/resource').kind, 'metricsResource');
    assert.equal(routeNodePath('/metrics/cadvisor').kind, 'notFound');
    assert.equal(routeNodePath('/').kind, 'notFound');
  });

  it('refuses dot segments, encoded slashes, bad names and wrong shapes (400)', () => {
    for (const p of ['/containerLogs/../pods', '/exec/default/./x/main', '/exec/default/a%2Fb/main', '/exec/default/a%2fb/main', '/exec/default/%2e%2e/main', '/exec/default/UPPER/main', '/exec/default/web', '/containerLogs/default/web/uid/main', '/portForward/default', '/exec/default/web/bad$uid/main', '/exec/default/%zz/main']) {
      const r = routeNodePath(p);
      assert.equal(r.kind, 'bad', p);
    }
  });

  it('reads the raw path, without the query', () => {
    assert.equal(rawPath('/exec/a/b/c?command=ls&command=..%2F'), '/exec/a/b/c');
    assert.equal(rawPath(undefined), '/');
  });

  it("asks for the kubelet's attributes: verb from the method, subresource from the path", () => {
    assert.deepEqual(requestAttributes('GET', '/pods', 'n1'), { verb: 'get', resource: 'nodes', subresource: 'proxy', name: 'n1', path: '/pods' });
    assert.equal(requestAttributes('POST', '/exec/a/b/c', 'n1').verb, 'create');
    assert.equal(requestAttributes('GET', '/stats/summary', 'n1').subresource, 'stats');
    assert.equal(requestAttributes('GET', '/metrics/resource', 'n1').subresource, 'metrics');
    assert.equal(requestAttributes('GET', '/metricsx', 'n1').subresource, 'proxy');
    assert.equal(requestAttributes('GET', '/containerLogs/a/b/c', 'n1').subresource, 'proxy');
  });
});
