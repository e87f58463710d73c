// TLS material for the embedded API server: a private CA and a server certificate signed by it
// (pki/), kept in certDir (ca.crt, apiserver.crt) so kubeconfigs written once stay valid across
// restarts. The server certificate is re-issued (same CA) when it no longer covers the bind
// address, is not signed by the CA on disk, or expires within 30 days.
import { hostname } from 'node:os';
import type { Logger } from '../log/index.js';
import { ensureCa, ensureLeaf } from '../pki/index.js';

export interface TlsMaterial {
  caCertPem: string;
  certPem: string;
  keyPem: string;
}

export interface CertOptions {
  certDir: string;
  /** Names the server certificate must cover besides 127.0.0.1, ::1 and localhost. */
  hosts: string[];
  logger: Logger;
}

/** Loads the CA and server certificate from certDir, creating or re-issuing what is missing or stale. */
export async function ensureCertificates(o: CertOptions): Promise<TlsMaterial> {
  const ca = await ensureCa({ dir: o.certDir, name: 'ca', commonName: 'berth-ca', logger: o.logger });
  const server = await ensureLeaf({ ca, dir: o.certDir, name: 'apiserver', commonName: 'berth-apiserver', usage: 'server', hosts: o.hosts, logger: o.logger });
  return { caCertPem: ca.certPem, certPem: server.certPem, keyPem: server.keyPem };
}

/** Extra names worth covering: the host's name, so `https://<hostname>:port` verifies too. */
export function defaultHosts(bindAddress: string): string[] {
  return [bindAddress, hostname()];
}
