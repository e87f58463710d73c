// What `berth run` trusts its manifest inputs with: the owner/mode policy of the manifest path,
// the signing keys, the TLS material of --manifest-url, and the audit trail of every decision.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { Logger } from '../log/index.js';
import { loadAllowedSigners, ManifestTrust, SIGNATURE_NAMESPACE, type AuditRecord } from '../trust/index.js';
import type { TlsOptions } from '../sources/fetch.js';
import { UsageError } from './flags.js';
import type { RunOptions } from './options.js';

export interface InputTrust {
  trust: ManifestTrust;
  tls: TlsOptions;
}

/** Reads the keys and certificates named by the flags; a file that cannot be used is a UsageError (exit 2). */
export function loadInputTrust(o: RunOptions, log: Logger): InputTrust {
  const signers = o.manifestSigningKey ? wrap(() => loadAllowedSigners(o.manifestSigningKey!, SIGNATURE_NAMESPACE)) : undefined;
  if (o.allowInsecureManifestPath) {
    log.warn('--allow-insecure-manifest-path: manifest directories and files that others could write are accepted; anyone who can write there can run code on this node');
  }
  if (signers) log.info('manifests must be signed', { keys: signers.map((s) => `${s.name} ${s.fingerprint}`), namespace: SIGNATURE_NAMESPACE });
  const tls: TlsOptions = {};
  if (o.manifestUrlCa) tls.ca = readPem(o.manifestUrlCa, '--manifest-url-ca');
  if (o.manifestUrlCert) tls.cert = readPem(o.manifestUrlCert, '--manifest-url-cert');
  if (o.manifestUrlKey) tls.key = readPem(o.manifestUrlKey, '--manifest-url-key');
  const agentUid = process.getuid?.() ?? 0;
  return { trust: new ManifestTrust({ allowInsecurePath: o.allowInsecureManifestPath, signers, agentUid }), tls };
}

function wrap<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function readPem(file: string, flag: string): Buffer {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (err) {
    throw new UsageError(`${flag} ${file}: cannot be read: ${(err as Error).message}`);
  }
  if (!data.includes('-----BEGIN ')) throw new UsageError(`${flag} ${file}: is not a PEM file (no "-----BEGIN" line)`);
  return data;
}

/** A plain http:// manifest URL that leaves this machine can be read or changed on the way. */
export function plainHttpWarning(url: string): string | undefined {
  const u = new URL(url);
  if (u.protocol !== 'http:') return undefined;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const loopback = host === 'localhost' || (isIP(host) === 4 && host.startsWith('127.')) || host === '::1';
  if (loopback) return undefined;
  return `--manifest-url ${url} is plain HTTP: anyone on the network path can read or change the pods this node runs; serve it over https:// (verified against the system CAs or --manifest-url-ca), or sign the manifests (--manifest-signing-key)`;
}

/** The Node event reason of each audit action. */
const AUDIT_REASONS: Record<AuditRecord['action'], string> = {
  accepted: 'ManifestAccepted',
  changed: 'ManifestChanged',
  refused: 'ManifestRefused',
  removed: 'ManifestRemoved',
};

/** One structured log line and one Node event per audit record. */
export function auditSink(log: Logger, nodeEvent: () => ((type: 'Normal' | 'Warning', reason: string, message: string) => void) | undefined) {
  return (r: AuditRecord): void => {
    const facts = [
      r.sha256 ? `sha256 ${r.sha256}` : '',
      r.size !== undefined ? `${r.size} bytes` : '',
      r.owner !== undefined ? `owner uid ${r.owner}` : '',
      r.signer ? `signed by ${r.signer}` : '',
    ].filter(Boolean);
    const message = `manifest ${r.action}: ${r.origin}${facts.length ? ` (${facts.join(', ')})` : ''}${r.reason ? `: ${r.reason}` : ''}`;
    const fields = { audit: r.action, origin: r.origin, sha256: r.sha256, size: r.size, owner: r.owner, signer: r.signer, reason: r.reason };
    if (r.action === 'refused') log.warn(message, fields);
    else log.info(message, fields);
    nodeEvent()?.(r.action === 'refused' ? 'Warning' : 'Normal', AUDIT_REASONS[r.action], message);
  };
}
