// The disk that holds the API store fills up while the agent runs: writes through the API answer
// 507 with a Status that names the store file and the fix, reads keep working, the agent keeps
// running its pods, and once there is room again writes succeed without a restart.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse } from 'yaml';
import { containerState, killContainers, NODE, processAlive, shPod, startBerth, waitFor, workspace, type Berth } from './harness.js';

interface Reply {
  status: number;
  json: any;
}

function apiClient(kubeconfig: string) {
  const kc = parse(readFileSync(kubeconfig, 'utf8'));
  const server = new URL(kc.clusters[0].cluster.server as string);
  const ca = Buffer.from(kc.clusters[0].cluster['certificate-authority-data'] as string, 'base64').toString();
  const token = kc.users[0].user.token as string;
  return (method: string, path: string, body?: unknown): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
      if (data) {
        headers['Content-Type'] = 'application/json';
        headers['Content-Length'] = String(data.length);
      }
      const req = request(new URL(path, server), { method, headers, ca }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString() || 'null') }));
      });
      req.on('error', reject);
      req.end(data);
    });
}

const event = (name: string, message: string) => ({
  metadata: { name, namespace: 'default' },
  involvedObject: { kind: 'Pod', namespace: 'default', name: `steady-${NODE}` },
  reason: 'Test',
  message,
  type: 'Normal',
  firstTimestamp: new Date().toISOString(),
  lastTimestamp: new Date().toISOString(),
  count: 1,
});

describe('the API store disk fills up', () => {
  const ws = workspace();
  let berth: Berth | undefined;
  let mounted = false;
  after(async () => {
    await berth?.stop();
    killContainers(ws.root);
    if (mounted) execFileSync('umount', ['-l', ws.root]);
    await ws.cleanup();
  });

  it('answers 507 naming the file, keeps the pods running, and writes again once there is room', async () => {
    mkdirSync(ws.root, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', ws.root]);
    mounted = true;
    ws.write('steady.yaml', shPod('steady', 'sleep 3600'));
    berth = await startBerth(ws);
    const call = apiClient(join(ws.root, 'kubeconfig'));
    const running = await waitFor(async () => {
      const p = await call('GET', `/api/v1/namespaces/default/pods/steady-${NODE}`);
      return p.json?.status?.phase === 'Running' ? p.json : undefined;
    }, 'mirror pod Running');

    // Fill the file system (dd stops at ENOSPC).
    spawnSync('dd', ['if=/dev/zero', `of=${join(ws.root, 'filler')}`, 'bs=64k'], { stdio: 'ignore' });
    let full: Reply | undefined;
    for (let i = 0; i < 3000 && !full; i++) {
      const r = await call('POST', '/api/v1/namespaces/default/events', event(`fill.${i}`, 'x'.repeat(4000)));
      if (r.status !== 201) full = r;
    }
    assert.ok(full, 'writes were refused once the disk was full');
    assert.equal(full.status, 507, JSON.stringify(full.json));
    assert.equal(full.json.reason, 'InsufficientStorage');
    assert.match(full.json.message, /api\/state\.db cannot save this change: the disk is full .*free space .*static pods keep running/);

    // Reads work; the agent and its pod carry on.
    const list = await call('GET', '/api/v1/namespaces/default/pods');
    assert.equal(list.status, 200);
    assert.equal(list.json.items[0].metadata.uid, running.metadata.uid);
    assert.equal(berth.proc.exitCode, null, 'the agent is still running');
    const pod = containerState(await berth.pod(`steady-${NODE}`));
    assert.ok(pod?.state?.running, 'the pod is still running');
    assert.equal(pod.containerID, running.status.containerStatuses[0].containerID, 'the same container');
    const pid = Number(JSON.parse(readFileSync(join(ws.root, 'containers', pod.containerID!.replace(/^[a-z-]+:\/\//, ''), 'pid'), 'utf8')).pid);
    assert.ok(processAlive(pid));

    unlinkSync(join(ws.root, 'filler'));
    const again = await call('POST', '/api/v1/namespaces/default/events', event('after-room', 'there is room again'));
    assert.equal(again.status, 201, JSON.stringify(again.json));
    const labelled = await waitFor(async () => {
      const r = await labelNode(call);
      return r.status === 200 ? r : undefined;
    }, 'a label patch succeeds');
    assert.equal(labelled.json.metadata.labels.room, 'yes');
  });
});

/** Read-modify-write of the Node's labels (a 409 when a heartbeat came in between: retried). */
async function labelNode(call: ReturnType<typeof apiClient>): Promise<Reply> {
  const cur = await call('GET', `/api/v1/nodes/${NODE}`);
  const next = { ...cur.json, metadata: { ...cur.json.metadata, labels: { ...cur.json.metadata.labels, room: 'yes' } } };
  return call('PUT', `/api/v1/nodes/${NODE}`, next);
}
