// Detached signatures made by the real ssh-keygen, verified by Berth's own SSHSIG code.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseAllowedSigners, SIGNATURE_NAMESPACE, SignatureError, verifySignature } from '../../src/trust/index.js';
import { tempDir } from '../cleanup.js';
import { makeKey, sign } from './keys.js';

test('a signature made by ssh-keygen -Y sign verifies, and names its key', async (t) => {
  const dir = await tempDir(t, 'sshsig');
  const key = makeKey(dir, 'ops');
  const file = join(dir, 'web.yaml');
  writeFileSync(file, 'apiVersion: v1\nkind: Pod\n');
  const sig = sign(key, file);
  const signers = parseAllowedSigners(key.publicLine, key.publicFile, SIGNATURE_NAMESPACE);
  const signer = verifySignature(Buffer.from('apiVersion: v1\nkind: Pod\n'), sig, SIGNATURE_NAMESPACE, signers);
  assert.equal((signer as { name?: string }).name, 'ops@test');
  assert.match(signer.fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
});

test('a signature for other content, by another key, truncated, or in another namespace is refused, saying why', async (t) => {
  const dir = await tempDir(t, 'sshsig');
  const key = makeKey(dir, 'ops');
  const other = makeKey(dir, 'intruder');
  const file = join(dir, 'web.yaml');
  writeFileSync(file, 'content A');
  const good = sign(key, file);
  const signers = parseAllowedSigners(key.publicLine, key.publicFile, SIGNATURE_NAMESPACE);

  assert.throws(() => verifySignature(Buffer.from('content B'), good, SIGNATURE_NAMESPACE, signers), (e: Error) => e instanceof SignatureError && /does not match the content/.test(e.message));

  const byOther = sign(other, file);
  assert.throws(() => verifySignature(Buffer.from('content A'), byOther, SIGNATURE_NAMESPACE, signers), /not an allowed signing key/);

  const lines = good.trim().split('\n');
  const truncated = [lines[0], lines[1], lines[2]!.slice(0, 10), lines[lines.length - 1]].join('\n');
  assert.throws(() => verifySignature(Buffer.from('content A'), truncated, SIGNATURE_NAMESPACE, signers), /truncated|not valid base64/);
  assert.throws(() => verifySignature(Buffer.from('content A'), 'hello', SIGNATURE_NAMESPACE, signers), /is not an SSH signature/);

  const otherNs = sign(key, file, 'file');
  assert.throws(() => verifySignature(Buffer.from('content A'), otherNs, SIGNATURE_NAMESPACE, signers), /namespace "file", not "berth-manifest"/);
});

test('allowed-signers files: principals, namespaces= options, several keys; other key types are refused clearly', async (t) => {
  const dir = await tempDir(t, 'sshsig');
  const a = makeKey(dir, 'a');
  const b = makeKey(dir, 'b');
  const file = join(dir, 'm.yaml');
  writeFileSync(file, 'x');
  const text = [
    '# who may sign manifests',
    `alice@example.com ${a.publicLine}`,
    `bob@example.com namespaces="git,berth-manifest" ${b.publicLine}`,
    `carol@example.com namespaces="git" ${a.publicLine}`,
  ].join('\n');
  const signers = parseAllowedSigners(text, 'allowed_signers', SIGNATURE_NAMESPACE);
  assert.deepEqual(signers.map((s) => s.name), ['alice@example.com', 'bob@example.com']);
  assert.equal((verifySignature(Buffer.from('x'), sign(b, file), SIGNATURE_NAMESPACE, signers) as { name?: string }).name, 'bob@example.com');

  const rsa = makeKey(dir, 'r', 'rsa');
  assert.throws(() => parseAllowedSigners(rsa.publicLine, 'r.pub', SIGNATURE_NAMESPACE), /r\.pub:1: key type ssh-rsa is not supported; use an ssh-ed25519 key/);
  assert.throws(() => parseAllowedSigners('# nothing\n', 'empty', SIGNATURE_NAMESPACE), /holds no ssh-ed25519 key/);
  assert.throws(() => parseAllowedSigners('garbage line', 'bad', SIGNATURE_NAMESPACE), /bad:1: no public key found/);
});
