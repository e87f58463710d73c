// Remote mode (--kubeconfig): the node API asks the cluster, as the kubelet's
// --authentication-token-webhook and --authorization-mode=Webhook do. Two real agents: A serves
// the embedded API (which answers TokenReview and SubjectAccessReview), B joins it and asks A
// about every credential that is not its own.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBerth, workspace, type Berth, type Workspace } from './harness.js';
import { nodeRequest, nodeToken } from './node-api.js';

function clientCert(dir: string, name: string, subject: string, ca: { cert: string; key: string }) {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.crt`);
  execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', csr, '-subj', subject], { stdio: 'ignore' });
  execFileSync('openssl', ['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-days', '30', '-out', cert], { stdio: 'ignore' });
  return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
}

describe('node API in remote mode: TokenReview and SubjectAccessReview against the cluster', () => {
  let wsA: Workspace;
  let wsB: Workspace;
  let a: Berth;
  let b: Berth;
  let ca: { cert: string; key: string };
  let certs: string;

  before(async () => {
    wsA = workspace();
    wsB = workspace();
    certs = join(wsB.dir, 'certs');
    mkdirSync(certs, { recursive: true });
    ca = { cert: join(certs, 'ca.crt'), key: join(certs, 'ca.key') };
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', ca.key, '-out', ca.cert, '-subj', '/CN=cluster-ca', '-days', '30'], { stdio: 'ignore' });
    a = await startBerth(wsA, [], { manifests: false });
    b = await startBerth(wsB, [`--kubeconfig=${join(wsA.root, 'kubeconfig')}`, '--hostname-override=node-b', `--client-ca-file=${ca.cert}`], { manifests: false });
  });

  after(async () => {
    await b?.stop();
    await a?.stop();
    await wsB?.cleanup();
    await wsA?.cleanup();
  });

  it("the cluster's token (TokenReview: berth:admin) is let in after the cluster allows it (SubjectAccessReview)", async () => {
    const r = await nodeRequest(wsB.root, b.port, '/pods', { token: nodeToken(wsA.root) });
    assert.equal(r.status, 200, r.body);
    assert.equal(JSON.parse(r.body).kind, 'PodList');
  });

  it('a token the cluster does not know is 401', async () => {
    const r = await nodeRequest(wsB.root, b.port, '/pods', { token: 'made-up-token' });
    assert.equal(r.status, 401, r.body);
    assert.match(r.body, /TokenReview did not accept it/);
  });

  it('a certificate user the cluster denies is 403 with its reason; system:masters is allowed', async () => {
    const bob = clientCert(certs, 'bob', '/CN=bob', ca);
    const denied = await nodeRequest(wsB.root, b.port, '/pods', { token: null, cert: bob.cert, key: bob.key });
    assert.equal(denied.status, 403, denied.body);
    assert.match(denied.body, /^Forbidden \(user=bob, verb=get, resource=nodes, subresource=proxy\): user "bob" is not allowed/);
    const stats = await nodeRequest(wsB.root, b.port, '/stats/summary', { token: null, cert: bob.cert, key: bob.key });
    assert.match(stats.body, /subresource=stats/, 'the subresource follows the path, as the kubelet asks');
    const carol = clientCert(certs, 'carol', '/O=system:masters/CN=carol', ca);
    const allowed = await nodeRequest(wsB.root, b.port, '/pods', { token: null, cert: carol.cert, key: carol.key });
    assert.equal(allowed.status, 200, allowed.body);
  });

  it("the node's own token needs no cluster", async () => {
    assert.equal((await b.get('/pods')).status, 200);
  });
});

describe('--api-bind-address=0.0.0.0: an address that works from elsewhere', () => {
  let ws: Workspace;
  let berth: Berth;
  const nodeIP =
    Object.values(networkInterfaces())
      .flatMap((l) => l ?? [])
      .find((x) => x.family === 'IPv4' && !x.internal)?.address ?? '127.0.0.1';

  before(async () => {
    ws = workspace();
    berth = await startBerth(ws, ['--api-bind-address=0.0.0.0', `--node-ip=${nodeIP}`], { manifests: false });
  });

  after(async () => {
    await berth?.stop();
    await ws?.cleanup();
  });

  it('the log and the kubeconfig name the node IP, and kubectl verifies the certificate there', () => {
    const ready = berth.logs.find((l) => l.msg === 'berth is running')!;
    assert.match(String(ready.api), new RegExp(`^https://${nodeIP.replace(/\./g, '\\.')}:\\d+$`));
    const kubeconfig = readFileSync(join(ws.root, 'kubeconfig'), 'utf8');
    assert.ok(kubeconfig.includes(`server: ${String(ready.api)}`), kubeconfig);
    const out = execFileSync('kubectl', ['--kubeconfig', join(ws.root, 'kubeconfig'), 'get', 'namespaces', '-o', 'name'], { encoding: 'utf8', timeout: 60_000 });
    assert.match(out, /namespace\/default/);
  });
});
