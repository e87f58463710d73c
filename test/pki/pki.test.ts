// pki/: certificates are kept across restarts and issued again only when they must be.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createLogger } from '../../src/log/index.js';
import { ensureCa, ensureLeaf } from '../../src/pki/index.js';

const logger = createLogger({ level: 'error' });

describe('pki', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-pki-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps a serving certificate until a name is missing, then re-issues it under the same CA', async () => {
    const ca = await ensureCa({ dir, name: 'ca', commonName: 'test-ca', logger });
    assert.equal(ca.renewed, true);
    assert.equal(statSync(ca.keyPath).mode & 0o777, 0o600);
    const first = await ensureLeaf({ ca, dir, name: 'srv', commonName: 'srv', usage: 'server', hosts: ['10.1.2.3', 'node-a'], withChain: true, logger });
    assert.ok(first.certPem.includes(ca.certPem.trim()), 'the chain ends with the CA');
    const again = await ensureLeaf({ ca: await ensureCa({ dir, name: 'ca', commonName: 'test-ca', logger }), dir, name: 'srv', commonName: 'srv', usage: 'server', hosts: ['10.1.2.3', 'node-a'], withChain: true, logger });
    assert.equal(again.certPem, first.certPem, 'kept across restarts');
    const moved = await ensureLeaf({ ca, dir, name: 'srv', commonName: 'srv', usage: 'server', hosts: ['10.9.9.9'], logger });
    assert.notEqual(moved.certPem, first.certPem);
    const cert = new X509Certificate(moved.certPem);
    assert.ok(cert.checkIP('10.9.9.9') && cert.checkIP('127.0.0.1') && cert.checkHost('localhost'));
    assert.ok(cert.verify(new X509Certificate(ca.certPem).publicKey));
  });

  it('issues a client certificate for one user and its groups, and again when the user changes', async () => {
    const ca = await ensureCa({ dir, name: 'client-ca', commonName: 'test-client-ca', logger });
    const a = await ensureLeaf({ ca, dir, name: 'client', commonName: 'berth-apiserver', organizations: ['system:masters'], usage: 'client', logger });
    const cert = new X509Certificate(a.certPem);
    assert.equal(cert.subject, 'O=system:masters\nCN=berth-apiserver');
    assert.equal(cert.keyUsage?.includes('1.3.6.1.5.5.7.3.2'), true, 'clientAuth');
    // A restart: the CA is read again (no longer new), the certificate is kept.
    const reread = await ensureCa({ dir, name: 'client-ca', commonName: 'test-client-ca', logger });
    assert.equal(reread.renewed, false);
    const same = await ensureLeaf({ ca: reread, dir, name: 'client', commonName: 'berth-apiserver', organizations: ['system:masters'], usage: 'client', logger });
    assert.equal(same.certPem, a.certPem);
    const other = await ensureLeaf({ ca: reread, dir, name: 'client', commonName: 'someone-else', usage: 'client', logger });
    assert.equal(new X509Certificate(other.certPem).subject, 'CN=someone-else');
  });
});
