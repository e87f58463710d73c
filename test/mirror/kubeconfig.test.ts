import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { KubeconfigError, loadKubeconfig } from '../../src/mirror/index.js';
import { makePki, tempDir, type TestPki } from './helpers.js';

// Real certificates and keys: the loader checks them as the client's TLS will.
let pki: TestPki | undefined;
async function testPki(t: Parameters<typeof tempDir>[0]): Promise<TestPki> {
  pki ??= await makePki(await tempDir(t));
  return pki;
}
const b64 = (s: string) => Buffer.from(s).toString('base64');

function config(cluster: Record<string, unknown>, user: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u', namespace: 'kube-system' } }],
    'current-context': 'ctx',
    ...extra,
  });
}

async function expectError(path: string, field: RegExp): Promise<KubeconfigError> {
  const err = await loadKubeconfig(path).then(
    () => assert.fail('expected a KubeconfigError'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof KubeconfigError, String(err));
  assert.ok(err.message.startsWith(`${path}: `), `message names the file: ${err.message}`);
  assert.match(err.field, field);
  assert.match(err.message, /\(fix: .+\)$/);
  return err;
}

test('token, inline CA data and the context namespace', async (t) => {
  const PEM = (await testPki(t)).caPem;
  const dir = await tempDir(t);
  const p = join(dir, 'kubeconfig');
  await writeFile(
    p,
    `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: https://10.0.0.1:6443/
    certificate-authority-data: ${b64(PEM)}
users:
- name: u
  user:
    token: abc.def
contexts:
- name: ctx
  context: {cluster: c, user: u, namespace: kube-system}
current-context: ctx
`,
  );
  const c = await loadKubeconfig(p);
  assert.equal(c.server, 'https://10.0.0.1:6443');
  assert.equal(c.token, 'abc.def');
  assert.equal(c.caData?.toString(), PEM);
  assert.equal(c.namespace, 'kube-system');
  assert.equal(c.insecureSkipTLSVerify, undefined);
  assert.equal(c.origin, p);
});

test('relative tokenFile, certificate-authority, client-certificate and client-key resolve against the kubeconfig folder', async (t) => {
  const { caPem, clientCertPem, clientKeyPem } = await testPki(t);
  const dir = await tempDir(t);
  await mkdir(join(dir, 'conf', 'pki'), { recursive: true });
  await writeFile(join(dir, 'conf', 'pki', 'ca.crt'), caPem);
  await writeFile(join(dir, 'conf', 'pki', 'node.crt'), clientCertPem);
  await writeFile(join(dir, 'conf', 'pki', 'node.key'), clientKeyPem);
  await writeFile(join(dir, 'conf', 'token'), 'file-token\n');
  const p = join(dir, 'conf', 'kubelet.conf');
  await writeFile(
    p,
    config(
      { server: 'https://api:6443', 'certificate-authority': 'pki/ca.crt' },
      { tokenFile: 'token', 'client-certificate': 'pki/node.crt', 'client-key': 'pki/node.key' },
    ),
  );
  const c = await loadKubeconfig(p);
  assert.equal(c.tokenFile, join(dir, 'conf', 'token'));
  assert.equal(c.token, undefined);
  assert.equal(c.caData?.toString(), caPem);
  assert.equal(c.certData?.toString(), clientCertPem);
  assert.equal(c.keyData?.toString(), clientKeyPem);
});

test('client-certificate-data wins over client-certificate, insecure-skip-tls-verify is read', async (t) => {
  const { clientCertPem: PEM, clientKeyPem: key } = await testPki(t);
  const dir = await tempDir(t);
  const p = join(dir, 'kc');
  await writeFile(
    p,
    config(
      { server: 'https://api:6443', 'insecure-skip-tls-verify': true },
      { 'client-certificate-data': b64(PEM), 'client-certificate': 'missing.crt', 'client-key-data': b64(key) },
    ),
  );
  const c = await loadKubeconfig(p);
  assert.equal(c.insecureSkipTLSVerify, true);
  assert.equal(c.certData?.toString(), PEM);
  assert.equal(c.keyData?.toString(), key);
});

test('errors name the file and the field and say how to fix it', async (t) => {
  const { caPem, clientCertPem, clientKeyPem, serverKeyPem } = await testPki(t);
  const dir = await tempDir(t);
  const at = (n: string) => join(dir, n);

  const missing = await expectError(at('nope'), /^$/);
  assert.match(missing.message, /does not exist/);

  await writeFile(at('yaml'), 'clusters: [\n');
  await expectError(at('yaml'), /^$/);

  await writeFile(at('ctx'), config({ server: 'https://a' }, { token: 'x' }, { 'current-context': 'other' }));
  const ctx = await expectError(at('ctx'), /^current-context$/);
  assert.match(ctx.message, /"other" is not defined.*use one of: ctx/);

  await writeFile(at('server'), config({}, { token: 'x' }));
  await expectError(at('server'), /^clusters\[0\]\.cluster\.server$/);

  await writeFile(at('scheme'), config({ server: 'ftp://a' }, { token: 'x' }));
  await expectError(at('scheme'), /^clusters\[0\]\.cluster\.server$/);

  await writeFile(at('cafile'), config({ server: 'https://a', 'certificate-authority': 'no/ca.crt' }, {}));
  const ca = await expectError(at('cafile'), /^clusters\[0\]\.cluster\.certificate-authority$/);
  assert.ok(ca.message.includes(join(dir, 'no', 'ca.crt')), 'names the resolved path');

  await writeFile(at('b64'), config({ server: 'https://a', 'certificate-authority-data': 'not base64!' }, {}));
  await expectError(at('b64'), /certificate-authority-data$/);

  await writeFile(at('tokenfile'), config({ server: 'https://a' }, { tokenFile: 'gone' }));
  await expectError(at('tokenfile'), /^users\[0\]\.user\.tokenFile$/);

  await writeFile(at('keyless'), config({ server: 'https://a' }, { 'client-certificate-data': b64(clientCertPem) }));
  await expectError(at('keyless'), /^users\[0\]\.user\.client-key$/);

  // Base64 that decodes to something other than a PEM, and a key that is not the certificate's.
  await writeFile(at('badca'), config({ server: 'https://a', 'certificate-authority-data': b64('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n') }, {}));
  const badCa = await expectError(at('badca'), /^clusters\[0\]\.cluster\.certificate-authority\(-data\)$/);
  assert.match(badCa.message, /not a PEM certificate: certificate 1 of 1 cannot be parsed/);
  await writeFile(at('key-as-ca.pem'), clientKeyPem);
  await writeFile(at('noblock'), config({ server: 'https://a', 'certificate-authority': 'key-as-ca.pem' }, {}));
  assert.match((await expectError(at('noblock'), /certificate-authority\(-data\)$/)).message, /no "-----BEGIN CERTIFICATE-----" block/);
  await writeFile(at('goodca'), config({ server: 'https://a', 'certificate-authority-data': b64(caPem) }, {}));
  await loadKubeconfig(at('goodca'));
  await writeFile(at('mismatch'), config({ server: 'https://a' }, { 'client-certificate-data': b64(clientCertPem), 'client-key-data': b64(serverKeyPem) }));
  const mismatch = await expectError(at('mismatch'), /^users\[0\]\.user\.client-certificate\(-data\)$/);
  assert.match(mismatch.message, /not a usable PEM certificate and key pair: .*key values mismatch/);
  await writeFile(at('pair'), config({ server: 'https://a' }, { 'client-certificate-data': b64(clientCertPem), 'client-key-data': b64(clientKeyPem) }));
  await loadKubeconfig(at('pair'));

  await writeFile(at('exec'), config({ server: 'https://a' }, { exec: { command: 'aws' } }));
  await expectError(at('exec'), /^users\[0\]\.user\.exec$/);

  await writeFile(
    at('nouser'),
    JSON.stringify({ clusters: [{ name: 'c', cluster: { server: 'https://a' } }], contexts: [{ name: 'x', context: { cluster: 'c', user: 'ghost' } }], 'current-context': 'x' }),
  );
  await expectError(at('nouser'), /^contexts\[0\]\.context\.user$/);
});

test('a single context is used when current-context is unset; user may be absent', async (t) => {
  const dir = await tempDir(t);
  const p = join(dir, 'kc');
  await writeFile(p, JSON.stringify({ clusters: [{ name: 'c', cluster: { server: 'http://127.0.0.1:8080' } }], contexts: [{ name: 'only', context: { cluster: 'c' } }] }));
  const c = await loadKubeconfig(p);
  assert.equal(c.server, 'http://127.0.0.1:8080');
  assert.equal(c.token, undefined);
  assert.equal(c.namespace, 'default');
});
