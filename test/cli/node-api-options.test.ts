// The node API's flags and KubeletConfiguration fields: secure defaults, the kubelet's names, and
// a clear UsageError for each combination that cannot work.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/cli/flags.js';
import { parseRunOptions, type RunOptions } from '../../src/cli/options.js';
import { parseManifestUrlHeader } from '../../src/sources/index.js';

const parse = (...argv: string[]): RunOptions => {
  const o = parseRunOptions(argv, parseManifestUrlHeader);
  assert.ok(o !== 'help');
  return o;
};

function withConfig(yaml: string, run: (path: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'berth-cfg-'));
  try {
    const path = join(dir, 'config.yaml');
    writeFileSync(path, yaml);
    run(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('node API options', () => {
  it('defaults: no anonymous, no read-only port; standalone authorization, no webhook', () => {
    const o = parse();
    assert.equal(o.anonymousAuth, false);
    assert.equal(o.readOnlyPort, 0);
    assert.equal(o.authorizationMode, 'Standalone');
    assert.equal(o.authenticationTokenWebhook, false);
    assert.equal(o.tlsCertFile, undefined);
  });

  it('remote mode defaults to the webhooks, as a kubeadm-configured kubelet', () => {
    const o = parse('--kubeconfig=/etc/k.conf');
    assert.equal(o.authorizationMode, 'Webhook');
    assert.equal(o.authenticationTokenWebhook, true);
    const open = parse('--kubeconfig=/etc/k.conf', '--authorization-mode=AlwaysAllow', '--authentication-token-webhook=false');
    assert.equal(open.authorizationMode, 'AlwaysAllow');
    assert.equal(open.authenticationTokenWebhook, false);
  });

  it('refuses what cannot work, saying why', () => {
    assert.throws(() => parse('--authorization-mode=RBAC'), (e: unknown) => e instanceof UsageError && /expected Webhook or AlwaysAllow/.test(e.message));
    assert.throws(() => parse('--authorization-mode=Webhook'), /needs --kubeconfig/);
    assert.throws(() => parse('--authentication-token-webhook'), /needs --kubeconfig/);
    assert.throws(() => parse('--tls-cert-file=/x.crt'), /--tls-cert-file and --tls-private-key-file go together/);
    assert.throws(() => parse('--read-only-port=70000'), /--read-only-port/);
  });

  it('reads the KubeletConfiguration names; flags win', () => {
    withConfig(
      [
        'kind: KubeletConfiguration',
        'apiVersion: kubelet.config.k8s.io/v1beta1',
        'readOnlyPort: 10255',
        'tlsCertFile: /etc/berth/tls.crt',
        'tlsPrivateKeyFile: /etc/berth/tls.key',
        'authentication:',
        '  x509: {clientCAFile: /etc/kubernetes/pki/ca.crt}',
        '  anonymous: {enabled: true}',
        'authorization: {mode: AlwaysAllow}',
        '',
      ].join('\n'),
      (path) => {
        const o = parse(`--config=${path}`);
        assert.equal(o.readOnlyPort, 10255);
        assert.equal(o.tlsCertFile, '/etc/berth/tls.crt');
        assert.equal(o.tlsPrivateKeyFile, '/etc/berth/tls.key');
        assert.equal(o.clientCaFile, '/etc/kubernetes/pki/ca.crt');
        assert.equal(o.anonymousAuth, true);
        assert.equal(o.authorizationMode, 'AlwaysAllow');
        assert.deepEqual(o.ignoredConfigFields, []);
        assert.equal(parse(`--config=${path}`, '--anonymous-auth=false', '--read-only-port=0').anonymousAuth, false);
      },
    );
    withConfig('authentication: {anonymous: {enabled: "yes"}}\n', (path) => {
      assert.throws(() => parse(`--config=${path}`), /authentication\.anonymous\.enabled: invalid value "yes": expected a boolean/);
    });
    withConfig('authentication: [1]\n', (path) => {
      assert.throws(() => parse(`--config=${path}`), /authentication: invalid value \[1\]: expected an object/);
    });
  });
});
