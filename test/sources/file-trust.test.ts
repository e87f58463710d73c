// The manifest directory source with trust checks on: owner and mode of the directory and of each
// file (sshd's StrictModes), symlinks, detached signatures made by the real ssh-keygen, and the
// audit trail of every decision.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, chown, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FileSource } from '../../src/sources/index.js';
import { silentLogger } from '../../src/log/index.js';
import { ManifestTrust, parseAllowedSigners, SIGNATURE_NAMESPACE, type AuditRecord, type TrustOptions } from '../../src/trust/index.js';
import { makeKey, sign } from '../trust/keys.js';
import { defer, names, podYaml, Recorder, tempDir, type TestLike } from './helpers.js';

const NODE = 'node1';
const NOBODY = 65534;

async function start(t: TestLike, path: string, state: string, trust: Partial<TrustOptions> = {}) {
  const audit: AuditRecord[] = [];
  const source = new FileSource({
    path,
    nodeName: NODE,
    checkFrequencyMs: 100,
    stateDir: state,
    logger: silentLogger,
    trust: new ManifestTrust({ allowInsecurePath: false, agentUid: 0, ...trust }),
    audit: (r) => audit.push(r),
  });
  const rec = new Recorder();
  defer(t, () => source.stop());
  await source.start(rec.push);
  return { rec, audit };
}

async function setup(t: TestLike): Promise<{ root: string; dir: string; state: string }> {
  const root = await tempDir(t);
  const dir = join(root, 'manifests');
  await mkdir(dir, { mode: 0o755 });
  return { root, dir, state: join(root, 'state') };
}

test('a world-writable manifest directory is refused with its path, mode and the fix; fixed, its pods start', async (t) => {
  const { dir, state } = await setup(t);
  await writeFile(join(dir, 'web.yaml'), podYaml('web'));
  await chmod(dir, 0o777);
  const { rec } = await start(t, dir, state);
  assert.deepEqual(rec.last().pods, []);
  const p = rec.last().problems[0]!;
  assert.equal(p.origin, dir);
  assert.match(p.message, /manifest directory is writable by group and others \(mode 0777\)/);
  assert.match(p.fix, new RegExp(`chmod go-w ${dir}.*--allow-insecure-manifest-path`));
  await chmod(dir, 0o755);
  await rec.until('pods once the directory is fixed', (s) => s.pods.length === 1 && s.problems.length === 0);
});

test('a manifest owned by nobody, or group-writable, is refused; the other files are unaffected', async (t) => {
  const { dir, state } = await setup(t);
  await writeFile(join(dir, 'good.yaml'), podYaml('good'));
  await writeFile(join(dir, 'theirs.yaml'), podYaml('theirs'));
  await chown(join(dir, 'theirs.yaml'), NOBODY, NOBODY);
  await writeFile(join(dir, 'shared.yaml'), podYaml('shared'));
  await chmod(join(dir, 'shared.yaml'), 0o664);
  const { rec, audit } = await start(t, dir, state);
  // A young file that does not pass is looked at again for a moment (it may still be being written).
  await rec.until('both refused', (s) => s.problems.length === 2);
  assert.deepEqual(names(rec.last()), [`good-${NODE}`]);
  const byOrigin = new Map(rec.last().problems.map((p) => [p.origin, p.message]));
  assert.match(byOrigin.get(join(dir, 'theirs.yaml'))!, /manifest file is owned by uid 65534, not root/);
  assert.match(byOrigin.get(join(dir, 'shared.yaml'))!, /manifest file is writable by its group \(mode 0664\)/);
  const refused = audit.filter((a) => a.action === 'refused').map((a) => a.origin).sort();
  assert.deepEqual(refused, [join(dir, 'shared.yaml'), join(dir, 'theirs.yaml')]);
  const accepted = audit.find((a) => a.action === 'accepted')!;
  assert.equal(accepted.origin, join(dir, 'good.yaml'));
  assert.equal(accepted.owner, 0);
  assert.match(accepted.sha256 ?? '', /^[0-9a-f]{64}$/);
  assert.equal(accepted.size, podYaml('good').length);
});

test('a symlink is followed only to a file that passes the same check', async (t) => {
  const { root, dir, state } = await setup(t);
  const elsewhere = join(root, 'elsewhere');
  await mkdir(elsewhere);
  await writeFile(join(elsewhere, 'open.yaml'), podYaml('open'));
  await chmod(join(elsewhere, 'open.yaml'), 0o666);
  await writeFile(join(elsewhere, 'safe.yaml'), podYaml('safe'));
  await symlink(join(elsewhere, 'open.yaml'), join(dir, 'open.yaml'));
  await symlink(join(elsewhere, 'safe.yaml'), join(dir, 'safe.yaml'));
  const { rec } = await start(t, dir, state);
  await rec.until('the open target refused', (s) => s.problems.length === 1);
  assert.deepEqual(names(rec.last()), [`safe-${NODE}`]);
  assert.match(rec.last().problems[0]!.message, /writable by group and others \(mode 0666\)/);
});

test('--allow-insecure-manifest-path accepts what the kubelet accepts', async (t) => {
  const { dir, state } = await setup(t);
  await writeFile(join(dir, 'web.yaml'), podYaml('web'));
  await chmod(join(dir, 'web.yaml'), 0o666);
  await chmod(dir, 0o777);
  const { rec } = await start(t, dir, state, { allowInsecurePath: true });
  assert.deepEqual(names(rec.last()), [`web-${NODE}`]);
});

test('signed manifests: unsigned refused, signed accepted, changed without a new signature refused while the last good pod keeps running', async (t) => {
  const { root, dir, state } = await setup(t);
  const keys = join(root, 'keys');
  await mkdir(keys);
  const key = makeKey(keys, 'ops');
  const intruder = makeKey(keys, 'intruder');
  const signers = parseAllowedSigners(key.publicLine, key.publicFile, SIGNATURE_NAMESPACE);
  const file = join(dir, 'web.yaml');
  await writeFile(file, podYaml('web', 'busybox:1'));
  const { rec, audit } = await start(t, dir, state, { signers });
  await rec.until('unsigned refused', (s) => s.problems.length === 1);
  assert.deepEqual(rec.last().pods, []);
  assert.match(rec.last().problems[0]!.message, /is not signed: .*web\.yaml\.sig does not exist/);
  assert.match(rec.last().problems[0]!.fix, /ssh-keygen -Y sign -n berth-manifest/);

  sign(key, file); // the new .sig alone makes the manifest be read again
  const good = await rec.until('signed pod accepted', (s) => s.pods.length === 1 && s.problems.length === 0);
  assert.equal(good.pods[0]!.spec?.containers[0]?.image, 'busybox:1');
  assert.equal(audit.at(-1)!.action, 'accepted');
  assert.equal(audit.at(-1)!.signer, 'ops@test');

  await writeFile(file, podYaml('web', 'evil:1'));
  const bad = await rec.until('changed content refused', (s) => s.problems.length === 1);
  assert.match(bad.problems[0]!.message, /does not match the content/);
  assert.equal(bad.pods[0]!.spec?.containers[0]?.image, 'busybox:1', 'the last good pod keeps running');

  sign(intruder, file);
  const other = await rec.until('signed by an unknown key', (s) => /not an allowed signing key/.test(s.problems[0]?.message ?? ''));
  assert.equal(other.pods[0]!.spec?.containers[0]?.image, 'busybox:1');

  sign(key, file);
  await rec.until('re-signed change applied', (s) => s.pods[0]?.spec?.containers[0]?.image === 'evil:1' && s.problems.length === 0);
  assert.equal(audit.at(-1)!.action, 'changed');

  await rm(file);
  await rec.until('removed', (s) => s.pods.length === 0);
  assert.equal(audit.at(-1)!.action, 'removed');
  assert.deepEqual(audit.map((a) => a.action), ['refused', 'accepted', 'refused', 'refused', 'changed', 'removed']);
});
