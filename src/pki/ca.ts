// A private certificate authority kept in a folder (<name>.crt 0644, <name>.key 0600): made once,
// reused across restarts so that whoever trusts it (a kubeconfig, an API server) keeps trusting,
// and made again only when it is unreadable, does not match its key or expires within 30 days.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log/index.js';
import { writeFileAtomic } from '../state/index.js';
import { readIfExists } from './files.js';
import { newKeyPem, openssl, serial } from './openssl.js';

export interface CertificateAuthority {
  certPem: string;
  keyPem: string;
  certPath: string;
  keyPath: string;
  /** True when it was made (or made again) by this call: certificates it signed before are void. */
  renewed: boolean;
}

export interface CaOptions {
  dir: string;
  /** File base name: `ca` gives ca.crt and ca.key. */
  name: string;
  /** Common name prefix; the creation time is appended as upstream does (`berth-ca@1700000000`). */
  commonName: string;
  logger: Logger;
}

const CA_DAYS = 3650;
export const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;

function caStillGood(caPem: string, keyPem: string, now: number): boolean {
  try {
    const ca = new X509Certificate(caPem);
    if (!ca.ca) return false;
    if (Date.parse(ca.validTo) - now < RENEW_BEFORE_MS) return false;
    return ca.checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}

export async function ensureCa(o: CaOptions): Promise<CertificateAuthority> {
  await fs.mkdir(o.dir, { recursive: true, mode: 0o700 });
  const certPath = join(o.dir, `${o.name}.crt`);
  const keyPath = join(o.dir, `${o.name}.key`);
  const now = Date.now();
  const certPem = await readIfExists(certPath);
  const keyPem = await readIfExists(keyPath);
  if (certPem && keyPem && caStillGood(certPem, keyPem, now)) return { certPem, keyPem, certPath, keyPath, renewed: false };
  if (certPem) o.logger.warn('pki: CA certificate unusable, creating a new one; whoever trusted the old one must be given the new one', { cert: certPath });

  const work = await fs.mkdtemp(join(o.dir, '.tmp-'));
  try {
    const newKey = newKeyPem();
    await writeFileAtomic(keyPath, newKey, 0o600);
    const cnf = join(work, 'ca.cnf');
    await fs.writeFile(
      cnf,
      [
        '[req]',
        'distinguished_name = dn',
        'prompt = no',
        'x509_extensions = v3_ca',
        '[dn]',
        `CN = ${o.commonName}@${Math.floor(now / 1000)}`,
        '[v3_ca]',
        'basicConstraints = critical,CA:TRUE',
        'keyUsage = critical,keyCertSign,cRLSign,digitalSignature',
        'subjectKeyIdentifier = hash',
        '',
      ].join('\n'),
    );
    const out = join(work, 'ca.crt');
    await openssl(['req', '-x509', '-new', '-config', cnf, '-key', keyPath, '-sha256', '-days', String(CA_DAYS), '-set_serial', serial(), '-out', out]);
    const newCert = await fs.readFile(out, 'utf8');
    await writeFileAtomic(certPath, newCert, 0o644);
    return { certPem: newCert, keyPem: newKey, certPath, keyPath, renewed: true };
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}
