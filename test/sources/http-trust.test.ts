// The URL source over HTTPS with verification (a self-signed server refused without its CA,
// accepted with --manifest-url-ca), a client certificate, and signatures served at <url>.sig.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { HttpSource } from '../../src/sources/index.js';
import { silentLogger } from '../../src/log/index.js';
import { ManifestTrust, parseAllowedSigners, SIGNATURE_NAMESPACE, type AuditRecord } from '../../src/trust/index.js';
import { makeKey, sign } from '../trust/keys.js';
import { defer, names, podYaml, Recorder, tempDir, type TestLike } from './helpers.js';

const NODE = 'node1';

/** A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
function makePki(dir: string): Record<'ca' | 'caKey' | 'cert' | 'key' | 'clientCert' | 'clientKey', string> {
  const f = (n: string) => join(dir, n);
  const run = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  run('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '2', '-subj', '/CN=test-ca');
  writeFileSync(f('san.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  run('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=127.0.0.1');
  run('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.crt'), '-days', '2', '-extfile', f('san.cnf'));
  run('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f('client.key'), '-out', f('client.csr'), '-subj', '/CN=node1');
  run('x509', '-req', '-in', f('client.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('client.crt'), '-days', '2');
  return { ca: f('ca.crt'), caKey: f('ca.key'), cert: f('server.crt'), key: f('server.key'), clientCert: f('client.crt'), clientKey: f('client.key') };
}

async function httpsServer(t: TestLike, pki: ReturnType<typeof makePki>, files: Map<string, string>, requireClientCert = false): Promise<string> {
  const server = https.createServer(
    { cert: readFileSync(pki.cert), key: readFileSync(pki.key), ca: readFileSync(pki.ca), requestCert: requireClientCert, rejectUnauthorized: requireClientCert },
    (req, res) => {
      const body = files.get(req.url ?? '');
      if (body === undefined) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/yaml' }).end(body);
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  defer(t, () => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function start(t: TestLike, url: string, state: string, extra: Partial<ConstructorParameters<typeof HttpSource>[0]> = {}) {
  const source = new HttpSource({ url, headers: {}, nodeName: NODE, checkFrequencyMs: 100, stateDir: state, logger: silentLogger, ...extra });
  const rec = new Recorder();
  defer(t, () => source.stop());
  await source.start(rec.push);
  return rec;
}

test('HTTPS with a self-signed certificate and no CA given is refused with the fix; with --manifest-url-ca it is read', async (t) => {
  const dir = await tempDir(t);
  const pki = makePki(dir);
  const base = await httpsServer(t, pki, new Map([['/pods.yaml', podYaml('web')]]));
  const refused = await start(t, `${base}/pods.yaml`, join(dir, 's1'));
  const p = refused.last().problems[0]!;
  assert.match(p.message, /TLS certificate is not trusted/);
  assert.match(p.fix, /--manifest-url-ca/);
  assert.deepEqual(refused.last().pods, []);

  const ok = await start(t, `${base}/pods.yaml`, join(dir, 's2'), { tls: { ca: readFileSync(pki.ca) } });
  assert.deepEqual(names(ok.last()), [`web-${NODE}`]);
});

test('a server that requires a client certificate gets --manifest-url-cert/--manifest-url-key', async (t) => {
  const dir = await tempDir(t);
  const pki = makePki(dir);
  const base = await httpsServer(t, pki, new Map([['/pods.yaml', podYaml('web')]]), true);
  const without = await start(t, `${base}/pods.yaml`, join(dir, 's1'), { tls: { ca: readFileSync(pki.ca) } });
  assert.equal(without.last().pods.length, 0);
  assert.equal(without.last().problems.length, 1);
  const withCert = await start(t, `${base}/pods.yaml`, join(dir, 's2'), {
    tls: { ca: readFileSync(pki.ca), cert: readFileSync(pki.clientCert), key: readFileSync(pki.clientKey) },
  });
  assert.deepEqual(names(withCert.last()), [`web-${NODE}`]);
});

test('signed URL manifests: <url>.sig is fetched and verified; a bad signature keeps the last good pods', async (t) => {
  const dir = await tempDir(t);
  const pki = makePki(dir);
  const key = makeKey(dir, 'ops');
  const signers = parseAllowedSigners(key.publicLine, key.publicFile, SIGNATURE_NAMESPACE);
  const body = join(dir, 'pods.yaml');
  writeFileSync(body, podYaml('web', 'busybox:1'));
  const files = new Map([['/pods.yaml', readFileSync(body, 'utf8')]]);
  const base = await httpsServer(t, pki, files);
  const audit: AuditRecord[] = [];
  const opts = { tls: { ca: readFileSync(pki.ca) }, trust: new ManifestTrust({ allowInsecurePath: false, agentUid: 0, signers }), audit: (r: AuditRecord) => audit.push(r) };
  const rec = await start(t, `${base}/pods.yaml`, join(dir, 's'), opts);
  assert.match(rec.last().problems[0]!.message, /is not signed: .*pods\.yaml\.sig does not exist/);

  files.set('/pods.yaml.sig', sign(key, body));
  await rec.until('signed body accepted', (s) => s.pods.length === 1 && s.problems.length === 0);
  assert.equal(audit.at(-1)!.action, 'accepted');
  assert.equal(audit.at(-1)!.signer, 'ops@test');

  files.set('/pods.yaml', podYaml('web', 'evil:1'));
  const bad = await rec.until('unsigned change refused', (s) => s.problems.length === 1);
  assert.match(bad.problems[0]!.message, /does not match the content/);
  assert.equal(bad.pods[0]!.spec?.containers[0]?.image, 'busybox:1');
  assert.equal(audit.at(-1)!.action, 'refused');
});
