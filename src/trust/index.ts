// Trust in manifest inputs: whoever controls a manifest runs code on this node as root, so before
// a manifest is decoded Berth checks who could have written it (owner and mode of the directory
// and the file, like sshd's StrictModes) and, when signing keys are configured, that it carries a
// valid detached signature. Every decision is also an audit record (sha256, size, owner, signer).
import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { untrustedReason } from './file-mode.js';
import { SignatureError, verifySignature } from './sshsig.js';
import type { AllowedSigner } from './signers.js';

export { loadAllowedSigners, parseAllowedSigners, type AllowedSigner } from './signers.js';
export { SignatureError, verifySignature, parseSignature } from './sshsig.js';

/** The namespace manifests are signed in: `ssh-keygen -Y sign -n berth-manifest -f KEY web.yaml`. */
export const SIGNATURE_NAMESPACE = 'berth-manifest';
/** A detached signature is a few hundred bytes; anything much larger is not one. */
export const MAX_SIGNATURE_BYTES = 16 * 1024;

export interface TrustOptions {
  /** --allow-insecure-manifest-path: accept paths others could write (the kubelet's behaviour). */
  allowInsecurePath: boolean;
  /** --manifest-signing-key: when set, every manifest must be signed by one of these. */
  signers?: readonly AllowedSigner[];
  /** The agent's uid (owner accepted besides root). */
  agentUid: number;
}

/** What was read, for the audit trail. */
export interface ManifestFacts {
  sha256: string;
  size: number;
  /** Owner uid of a file (absent for URLs). */
  owner?: number;
  /** Name of the key that signed it, when signing is on. */
  signer?: string;
}

export interface TrustVerdict {
  facts: ManifestFacts;
  /** Set when the manifest is refused. */
  refusal?: { message: string; fix: string };
}

export type AuditAction = 'accepted' | 'changed' | 'refused' | 'removed';

export interface AuditRecord extends Partial<ManifestFacts> {
  action: AuditAction;
  /** The file path or URL. */
  origin: string;
  /** Why it was refused. */
  reason?: string;
}

export type AuditSink = (record: AuditRecord) => void;

export class ManifestTrust {
  constructor(readonly options: TrustOptions) {}

  get signing(): boolean {
    return (this.options.signers?.length ?? 0) > 0;
  }

  /** Owner and mode of a manifest directory or file; undefined when trusted (or checks are off). */
  checkPath(path: string, st: Pick<Stats, 'uid' | 'mode'>, what: 'manifest directory' | 'manifest file' | "manifest file's directory"): { message: string; fix: string } | undefined {
    if (this.options.allowInsecurePath) return undefined;
    return untrustedReason(path, st, what, { agentUid: this.options.agentUid });
  }

  /**
   * Checks content that was read (from `origin`): the file's owner/mode when `st` is given, and
   * the signature when signing is on (`readSignature` fetches the `.sig`; undefined = there is none).
   */
  async check(origin: string, content: Buffer, st: Pick<Stats, 'uid' | 'mode'> | undefined, readSignature: () => Promise<string | undefined>): Promise<TrustVerdict> {
    const facts: ManifestFacts = { sha256: createHash('sha256').update(content).digest('hex'), size: content.length };
    if (st) {
      facts.owner = st.uid;
      const bad = this.checkPath(origin, st, 'manifest file');
      if (bad) return { facts, refusal: bad };
    }
    const signers = this.options.signers;
    if (!signers?.length) return { facts };
    const sigOrigin = `${origin}.sig`;
    const signFix = `sign it: ssh-keygen -Y sign -n ${SIGNATURE_NAMESPACE} -f <private key> ${st ? origin : '<file>'} (writes ${st ? sigOrigin : 'the .sig to serve at ' + sigOrigin})`;
    let armored: string | undefined;
    try {
      armored = await readSignature();
    } catch (err) {
      return { facts, refusal: { message: `its signature ${sigOrigin} cannot be read: ${(err as Error).message}`, fix: signFix } };
    }
    if (armored === undefined) return { facts, refusal: { message: `is not signed: ${sigOrigin} does not exist, and --manifest-signing-key requires a signature`, fix: signFix } };
    try {
      const signer = verifySignature(content, armored, SIGNATURE_NAMESPACE, signers) as AllowedSigner;
      facts.signer = signer.name;
      return { facts };
    } catch (err) {
      const why = err instanceof SignatureError ? err.message : String(err);
      return { facts, refusal: { message: `is refused: its signature ${sigOrigin} ${why}`, fix: signFix } };
    }
  }
}
