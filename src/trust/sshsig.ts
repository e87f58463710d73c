// Verification of OpenSSH detached signatures (the "SSHSIG" format that `ssh-keygen -Y sign`
// writes, PROTOCOL.sshsig in the OpenSSH sources) for ssh-ed25519 keys, with Node's own crypto:
// no ssh-keygen is needed at run time.
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';

const MAGIC = Buffer.from('SSHSIG');
const ARMOR_BEGIN = '-----BEGIN SSH SIGNATURE-----';
const ARMOR_END = '-----END SSH SIGNATURE-----';

/** Why a signature was not accepted, in words an operator can act on. */
export class SignatureError extends Error {
  override name = 'SignatureError';
}

/** A cursor over the SSH wire encoding (uint32 big-endian lengths before every string). */
class WireReader {
  private at = 0;
  constructor(private readonly buf: Buffer) {}

  bytes(n: number): Buffer {
    if (this.at + n > this.buf.length) throw new SignatureError('the signature is truncated');
    const out = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  uint32(): number {
    return this.bytes(4).readUInt32BE(0);
  }

  string(): Buffer {
    return this.bytes(this.uint32());
  }

  done(): boolean {
    return this.at === this.buf.length;
  }
}

function wireString(data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data) : data;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length, 0);
  return Buffer.concat([len, body]);
}

/** An ssh-ed25519 public key, from its wire blob (the base64 part of an authorized_keys line). */
export interface Ed25519Key {
  blob: Buffer;
  key: KeyObject;
  /** As `ssh-keygen -l` prints it: SHA256:<base64 without padding>. */
  fingerprint: string;
}

export function ed25519FromBlob(blob: Buffer): Ed25519Key {
  const r = new WireReader(blob);
  const type = r.string().toString();
  if (type !== 'ssh-ed25519') throw new SignatureError(`key type ${JSON.stringify(type)} is not supported; use an ssh-ed25519 key`);
  const raw = r.string();
  if (raw.length !== 32 || !r.done()) throw new SignatureError('the ssh-ed25519 key is malformed');
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
  const fingerprint = `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
  return { blob, key, fingerprint };
}

export interface ParsedSignature {
  publicKey: Buffer;
  namespace: string;
  hashAlgorithm: 'sha256' | 'sha512';
  signature: Buffer;
}

/** Parses an armored SSHSIG (the content of a `.sig` file). */
export function parseSignature(armored: string): ParsedSignature {
  const text = armored.trim();
  const begin = text.indexOf(ARMOR_BEGIN);
  const end = text.indexOf(ARMOR_END);
  if (begin < 0 || end < begin) throw new SignatureError(`is not an SSH signature (no "${ARMOR_BEGIN}" ... "${ARMOR_END}" block)`);
  const b64 = text.slice(begin + ARMOR_BEGIN.length, end).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw new SignatureError('the signature block is not valid base64');
  const r = new WireReader(Buffer.from(b64, 'base64'));
  if (!r.bytes(6).equals(MAGIC)) throw new SignatureError('the signature does not start with SSHSIG');
  const version = r.uint32();
  if (version !== 1) throw new SignatureError(`signature version ${version} is not supported (only 1)`);
  const publicKey = r.string();
  const namespace = r.string().toString();
  r.string(); // reserved
  const hash = r.string().toString();
  if (hash !== 'sha256' && hash !== 'sha512') throw new SignatureError(`hash algorithm ${JSON.stringify(hash)} is not supported`);
  const sigBlob = new WireReader(r.string());
  const sigType = sigBlob.string().toString();
  if (sigType !== 'ssh-ed25519') throw new SignatureError(`signature type ${JSON.stringify(sigType)} is not supported; sign with an ssh-ed25519 key`);
  const signature = sigBlob.string();
  if (signature.length !== 64) throw new SignatureError('the ed25519 signature is truncated');
  return { publicKey, namespace, hashAlgorithm: hash, signature };
}

/**
 * Verifies `message` against an armored signature made in `namespace` by one of `keys`.
 * Returns the key that signed it; throws SignatureError saying why not.
 */
export function verifySignature(message: Buffer, armored: string, namespace: string, keys: readonly Ed25519Key[]): Ed25519Key {
  const sig = parseSignature(armored);
  if (sig.namespace !== namespace) {
    throw new SignatureError(`was made for namespace ${JSON.stringify(sig.namespace)}, not ${JSON.stringify(namespace)} (sign with: ssh-keygen -Y sign -n ${namespace})`);
  }
  const signer = keys.find((k) => k.blob.equals(sig.publicKey));
  if (!signer) {
    const other = (() => {
      try {
        return ed25519FromBlob(sig.publicKey).fingerprint;
      } catch {
        return 'an unsupported key';
      }
    })();
    throw new SignatureError(`was made by ${other}, which is not an allowed signing key`);
  }
  const signed = Buffer.concat([
    MAGIC,
    wireString(namespace),
    wireString(''),
    wireString(sig.hashAlgorithm),
    wireString(createHash(sig.hashAlgorithm).update(message).digest()),
  ]);
  if (!verify(null, signed, signer.key, sig.signature)) throw new SignatureError(`does not match the content (signed by ${signer.fingerprint}, but for other bytes)`);
  return signer;
}
