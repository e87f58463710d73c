// The allowed manifest signers (`--manifest-signing-key FILE`): either one OpenSSH public key
// line (`ssh-ed25519 AAAA... comment`, as in id_ed25519.pub) or an allowed-signers file as
// `ssh-keygen -Y verify -f` reads it (`principal[,principal] [options] ssh-ed25519 AAAA...`).
import { readFileSync } from 'node:fs';
import { ed25519FromBlob, SignatureError, type Ed25519Key } from './sshsig.js';

export interface AllowedSigner extends Ed25519Key {
  /** The principal of an allowed-signers line, else the key's comment, else its fingerprint. */
  name: string;
}

const KEY_TYPES = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-\S+|sk-\S+|ssh-dss)$/;

/** Parses the file's text; `file` only names it in errors. Throws an Error naming the line. */
export function parseAllowedSigners(text: string, file: string, namespace: string): AllowedSigner[] {
  const signers: AllowedSigner[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const where = `${file}:${i + 1}`;
    const tokens = line.split(/\s+/);
    const at = tokens.findIndex((t) => KEY_TYPES.test(t));
    if (at < 0 || at + 1 >= tokens.length) throw new Error(`${where}: no public key found (expected "ssh-ed25519 AAAA..." or "principal ssh-ed25519 AAAA...")`);
    if (tokens[at] !== 'ssh-ed25519') throw new Error(`${where}: key type ${tokens[at]} is not supported; use an ssh-ed25519 key (ssh-keygen -t ed25519)`);
    const before = tokens.slice(0, at);
    const options = before.slice(1).join(' ');
    const namespaces = /namespaces="([^"]*)"/.exec(options);
    if (namespaces && !namespaces[1]!.split(',').includes(namespace)) continue; // this key may not sign manifests
    if (/\bcert-authority\b/.test(options)) throw new Error(`${where}: cert-authority lines are not supported; list the signing keys themselves`);
    let key: Ed25519Key;
    try {
      key = ed25519FromBlob(Buffer.from(tokens[at + 1]!, 'base64'));
    } catch (err) {
      throw new Error(`${where}: ${err instanceof SignatureError ? err.message : 'the key is not valid base64'}`);
    }
    const comment = tokens.slice(at + 2).join(' ');
    signers.push({ ...key, name: before[0] ?? (comment || key.fingerprint) });
  }
  if (signers.length === 0) throw new Error(`${file}: holds no ssh-ed25519 key allowed to sign namespace ${namespace}`);
  return signers;
}

export function loadAllowedSigners(file: string, namespace: string): AllowedSigner[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`--manifest-signing-key ${file}: cannot be read: ${(err as Error).message}`);
  }
  return parseAllowedSigners(text, file, namespace);
}
