// Trusting the inputs, through the real berth: a manifest directory others can write is refused
// until fixed; with --manifest-signing-key only manifests signed by the real ssh-keygen run; every
// decision is an audit log line and a Node event that kubectl shows.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeKey, sign } from '../trust/keys.js';
import { BERTH, containerState, NODE, shPod, startBerth, waitFor, workspace, type Berth, type Workspace } from './harness.js';

function kubectl(kubeconfig: string, home: string, ...args: string[]): string {
  const r = spawnSync('kubectl', args, { encoding: 'utf8', env: { ...process.env, KUBECONFIG: kubeconfig, HOME: home }, timeout: 30_000 });
  return r.stdout + r.stderr;
}

describe('signed manifests and the audit trail', () => {
  let ws: Workspace;
  let berth: Berth;
  let home: string;
  let key: ReturnType<typeof makeKey>;

  before(async () => {
    ws = workspace();
    home = mkdtempSync(join(tmpdir(), 'berth-trust-home-'));
    key = makeKey(ws.dir, 'ops');
    berth = await startBerth(ws, [`--manifest-signing-key=${key.publicFile}`, '--file-check-frequency=500ms']);
  });

  after(async () => {
    await berth?.stop();
    await ws?.cleanup();
    rmSync(home, { recursive: true, force: true });
  });

  it('an unsigned manifest is refused; signed, it runs; the audit says who signed what', async () => {
    const file = ws.write('web.yaml', shPod('web', 'sleep 3600'));
    await berth.waitLog((l) => l.audit === 'refused' && l.origin === file && /is not signed/.test(String(l.reason)), 'refused: not signed');
    assert.equal(await berth.pod(`web-${NODE}`), undefined);

    sign(key, file);
    await waitFor(async () => containerState(await berth.pod(`web-${NODE}`))?.state?.running, 'signed pod running');
    const accepted = await berth.waitLog((l) => l.audit === 'accepted' && l.origin === file, 'audit: accepted');
    assert.equal(accepted.signer, 'ops@test');
    assert.match(String(accepted.sha256), /^[0-9a-f]{64}$/);

    const kubeconfig = join(ws.root, 'kubeconfig');
    const events = await waitFor(() => {
      const out = kubectl(kubeconfig, home, 'get', 'events', '--field-selector', 'involvedObject.kind=Node', '-o', 'custom-columns=REASON:.reason,MESSAGE:.message');
      return /ManifestAccepted .*web\.yaml .*signed by ops@test/.test(out) && /ManifestRefused .*is not signed/.test(out) ? out : undefined;
    }, 'kubectl shows the audit events on the Node');
    assert.match(events, /ManifestAccepted/);
  });

  it('a change without a new signature is refused and the running pod stays', async () => {
    const before = containerState(await berth.pod(`web-${NODE}`))!.containerID;
    const file = ws.write('web.yaml', shPod('web', 'sleep 3601'));
    await berth.waitLog((l) => l.audit === 'refused' && l.origin === file && /does not match the content/.test(String(l.reason)), 'refused: bad signature');
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(containerState(await berth.pod(`web-${NODE}`))?.containerID, before, 'the last good pod keeps running');
  });
});

describe('manifest directory permissions', () => {
  let ws: Workspace;
  let berth: Berth;

  before(async () => {
    ws = workspace();
    ws.write('web.yaml', shPod('web', 'sleep 3600'));
    chmodSync(ws.manifests, 0o777);
    berth = await startBerth(ws, ['--file-check-frequency=300ms']);
  });

  after(async () => {
    await berth?.stop();
    await ws?.cleanup();
  });

  it('a world-writable manifest directory is refused, naming it, its mode and the fix; fixed, the pod starts', async () => {
    const line = await berth.waitLog((l) => String(l.msg).includes(ws.manifests) && /writable by group and others \(mode 0777\)/.test(String(l.msg)), 'directory refused');
    assert.match(String(line.msg), /chmod go-w/);
    assert.equal(await berth.pod(`web-${NODE}`), undefined);
    chmodSync(ws.manifests, 0o755);
    await waitFor(async () => containerState(await berth.pod(`web-${NODE}`))?.state?.running, 'pod running once the directory is fixed');
  });
});

describe('trust flags', () => {
  it('a signing key file that is not an ed25519 key stops the start with a message naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-trust-flags-'));
    try {
      const bad = join(dir, 'key.pub');
      writeFileSync(bad, 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ bob\n');
      const r = spawnSync(process.execPath, [BERTH, 'run', `--root-dir=${join(dir, 'root')}`, `--pod-logs-dir=${join(dir, 'logs')}`, '--port=0', '--serve-api=false', `--manifest-signing-key=${bad}`], {
        encoding: 'utf8',
        timeout: 20_000,
      });
      assert.equal(r.status, 1);
      assert.match(r.stderr, /key\.pub:1: key type ssh-rsa is not supported; use an ssh-ed25519 key/);
      const half = spawnSync(process.execPath, [BERTH, 'run', '--manifest-url=https://example.invalid/x', '--manifest-url-cert=/x.crt'], { encoding: 'utf8', timeout: 20_000 });
      assert.equal(half.status, 2);
      assert.match(half.stderr, /--manifest-url-cert and --manifest-url-key go together/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('audit of the manifests read at start-up', () => {
  it('is posted as Node events although it happens before the API client has started', async () => {
    const ws = workspace();
    const home = mkdtempSync(join(tmpdir(), 'berth-trust-home-'));
    const file = ws.write('early.yaml', shPod('early', 'sleep 3600'));
    const berth = await startBerth(ws);
    try {
      await waitFor(() => {
        const out = kubectl(join(ws.root, 'kubeconfig'), home, 'get', 'events', '--field-selector', 'reason=ManifestAccepted', '-o', 'custom-columns=MESSAGE:.message');
        return out.includes(file) ? out : undefined;
      }, 'the start-up audit event');
    } finally {
      await berth.stop();
      await ws.cleanup();
      rmSync(home, { recursive: true, force: true });
    }
  });
});
