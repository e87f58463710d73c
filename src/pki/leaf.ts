// A certificate signed by one of berth's CAs (<name>.crt 0644, <name>.key 0600): a serving
// certificate for the names given, or a client certificate for one user (CN) and its groups (O).
// Issued again (same CA) when it is missing, not signed by that CA, expires within 30 days, no
// longer covers a name, or names another user.
import { X509Certificate } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log/index.js';
import { writeFileAtomic } from '../state/index.js';
import type { CertificateAuthority } from './ca.js';
import { RENEW_BEFORE_MS } from './ca.js';
import { readIfExists } from './files.js';
import { newKeyPem, openssl, serial } from './openssl.js';
import { requiredSans } from './sans.js';

export interface LeafOptions {
  ca: CertificateAuthority;
  dir: string;
  /** File base name: `kubelet` gives kubelet.crt and kubelet.key. */
  name: string;
  commonName: string;
  /** Client certificates: the user's groups (subject O). */
  organizations?: string[];
  usage: 'server' | 'client';
  /** Serving certificates: names to cover besides 127.0.0.1, ::1 and localhost. */
  hosts?: string[];
  /** Write the CA after the certificate in <name>.crt, so the file alone is what a client pins. */
  withChain?: boolean;
  /** Default 365. */
  days?: number;
  logger: Logger;
}

export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
  certPath: string;
  keyPath: string;
}

/** Why the certificate on disk must be issued again, or undefined when it is still good. */
function staleness(certPem: string, o: LeafOptions, now: number): string | undefined {
  let cert: X509Certificate;
  let ca: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
    ca = new X509Certificate(o.ca.certPem);
  } catch {
    return 'unreadable certificate';
  }
  if (!cert.verify(ca.publicKey)) return 'not signed by the CA in the cert dir';
  if (Date.parse(cert.validTo) - now < RENEW_BEFORE_MS) return 'expires soon';
  if (o.usage === 'server') {
    const { ips, dns } = requiredSans(o.hosts ?? []);
    for (const ip of ips) if (!cert.checkIP(ip)) return `does not cover ${ip}`;
    for (const d of dns) if (!cert.checkHost(d)) return `does not cover ${d}`;
    return undefined;
  }
  if (cert.subject !== subjectLines(o).join('\n')) return `issued to another user (${cert.subject.replace(/\n/g, ', ')})`;
  return undefined;
}

/** The subject as X509Certificate.subject prints it (O lines before CN, as openssl orders them). */
function subjectLines(o: LeafOptions): string[] {
  return [...(o.organizations ?? []).map((g) => `O=${g}`), `CN=${o.commonName}`];
}

export async function ensureLeaf(o: LeafOptions): Promise<IssuedCertificate> {
  await fs.mkdir(o.dir, { recursive: true, mode: 0o700 });
  const certPath = join(o.dir, `${o.name}.crt`);
  const keyPath = join(o.dir, `${o.name}.key`);
  const existingCert = o.ca.renewed ? undefined : await readIfExists(certPath);
  const existingKey = await readIfExists(keyPath);
  const why = existingCert && existingKey ? staleness(existingCert, o, Date.now()) : 'missing';
  if (!why) return { certPem: existingCert!, keyPem: existingKey!, certPath, keyPath };
  if (why !== 'missing') o.logger.info('pki: re-issuing a certificate', { cert: certPath, reason: why });

  const work = await fs.mkdtemp(join(o.dir, '.tmp-'));
  try {
    const keyPem = newKeyPem();
    const keyTmp = join(work, 'leaf.key');
    await fs.writeFile(keyTmp, keyPem, { mode: 0o600 });
    const extensions =
      o.usage === 'server'
        ? (() => {
            const { ips, dns } = requiredSans(o.hosts ?? []);
            return [
              'extendedKeyUsage = serverAuth',
              'subjectAltName = @alt',
              '[alt]',
              ...ips.map((ip, i) => `IP.${i + 1} = ${ip}`),
              ...dns.map((d, i) => `DNS.${i + 1} = ${d}`),
            ];
          })()
        : ['extendedKeyUsage = clientAuth'];
    const cnf = join(work, 'leaf.cnf');
    await fs.writeFile(
      cnf,
      [
        '[req]',
        'distinguished_name = dn',
        'prompt = no',
        '[dn]',
        ...(o.organizations ?? []).map((g, i) => `${i}.O = ${g}`),
        `CN = ${o.commonName}`,
        '[v3]',
        'basicConstraints = critical,CA:FALSE',
        'keyUsage = critical,digitalSignature,keyEncipherment',
        'subjectKeyIdentifier = hash',
        'authorityKeyIdentifier = keyid,issuer',
        ...extensions,
        '',
      ].join('\n'),
    );
    const csr = join(work, 'leaf.csr');
    const out = join(work, 'leaf.crt');
    await openssl(['req', '-new', '-config', cnf, '-key', keyTmp, '-out', csr]);
    await openssl([
      'x509', '-req', '-in', csr, '-CA', o.ca.certPath, '-CAkey', o.ca.keyPath, '-set_serial', serial(),
      '-days', String(o.days ?? 365), '-sha256', '-extfile', cnf, '-extensions', 'v3', '-out', out,
    ]);
    const leafPem = await fs.readFile(out, 'utf8');
    const certPem = o.withChain ? leafPem.trimEnd() + '\n' + o.ca.certPem : leafPem;
    await writeFileAtomic(keyPath, keyPem, 0o600);
    await writeFileAtomic(certPath, certPem, 0o644);
    return { certPem, keyPem, certPath, keyPath };
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}
