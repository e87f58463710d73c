// The node API's certificates, made at first start under <root-dir>/pki and kept:
//   kubelet-ca.crt/.key   the CA of the serving certificate (stays when the certificate is re-issued)
//   kubelet.crt/.key      the serving certificate followed by its CA: the one file clients pin
//   client-ca.crt/.key    berth's client CA: certificates it signs are accepted as their CN
//   apiserver-kubelet-client.crt/.key  the embedded API server's own client certificate
// --tls-cert-file/--tls-private-key-file replace the serving pair; --client-ca-file adds a CA.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log/index.js';
import { ensureCa, ensureLeaf } from '../pki/index.js';

export interface NodeCredentials {
  servingCertPem: string;
  servingKeyPem: string;
  /** The file a client pins (--cacert) to verify the serving certificate. */
  servingCertPath: string;
  /** CAs whose client certificates are accepted: berth's own, then --client-ca-file's. */
  clientCaPems: string[];
  /** What the embedded API server presents to the node API (CN berth-apiserver, O system:masters). */
  apiServerClient: { certPem: string; keyPem: string };
}

export interface NodeCredentialOptions {
  rootDir: string;
  /** Names the generated serving certificate covers besides loopback (node IP, host name, bind address). */
  hosts: string[];
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  clientCaFile?: string;
  logger: Logger;
}

export const API_SERVER_CLIENT_USER = 'berth-apiserver';

async function readFlagFile(path: string, flag: string, what: string): Promise<string> {
  try {
    const text = await readFile(path, 'utf8');
    if (!text.includes('-----BEGIN ')) throw new Error(`it holds no PEM block (expected ${what})`);
    return text;
  } catch (err) {
    throw new Error(`${flag} ${path} cannot be used: ${(err as Error).message}; give a readable PEM file (${what})`);
  }
}

export async function ensureNodeCredentials(o: NodeCredentialOptions): Promise<NodeCredentials> {
  const dir = join(o.rootDir, 'pki');
  let serving: { certPem: string; keyPem: string; certPath: string };
  if (o.tlsCertFile && o.tlsPrivateKeyFile) {
    serving = {
      certPem: await readFlagFile(o.tlsCertFile, '--tls-cert-file', 'a certificate and its chain'),
      keyPem: await readFlagFile(o.tlsPrivateKeyFile, '--tls-private-key-file', 'a private key'),
      certPath: o.tlsCertFile,
    };
  } else {
    const ca = await ensureCa({ dir, name: 'kubelet-ca', commonName: 'berth-kubelet-ca', logger: o.logger });
    serving = await ensureLeaf({ ca, dir, name: 'kubelet', commonName: 'berth-kubelet', usage: 'server', hosts: o.hosts, withChain: true, logger: o.logger });
  }
  const clientCa = await ensureCa({ dir, name: 'client-ca', commonName: 'berth-client-ca', logger: o.logger });
  const apiServerClient = await ensureLeaf({
    ca: clientCa,
    dir,
    name: 'apiserver-kubelet-client',
    commonName: API_SERVER_CLIENT_USER,
    organizations: ['system:masters'],
    usage: 'client',
    logger: o.logger,
  });
  const extra = o.clientCaFile ? [await readFlagFile(o.clientCaFile, '--client-ca-file', 'one or more CA certificates')] : [];
  return {
    servingCertPem: serving.certPem,
    servingKeyPem: serving.keyPem,
    servingCertPath: serving.certPath,
    clientCaPems: [clientCa.certPem, ...extra],
    apiServerClient: { certPem: apiServerClient.certPem, keyPem: apiServerClient.keyPem },
  };
}
