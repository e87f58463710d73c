// berth as an unprivileged user (nobody), as in a rootless setup: cgroups cannot be used, so a pod
// with limits still runs but gets a warning event saying why, and the log says it once; what needs
// root (a read-only root through a mount namespace) is refused clearly.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1';
import { BERTH, containerState, NODE, startBerth, waitFor, workspace, type Berth, type Workspace } from './harness.js';

const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;

function pod(name: string, container: Record<string, unknown>, podSecurity?: Record<string, unknown>): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      terminationGracePeriodSeconds: 1,
      ...(podSecurity ? { securityContext: podSecurity } : {}),
      containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'], ...container }],
    },
  });
}

function chownTree(path: string, uid: number): void {
  chownSync(path, uid, uid);
  if (!statSync(path).isDirectory()) return;
  for (const entry of readdirSync(path)) chownTree(join(path, entry), uid);
}

describe('process runtime run by an unprivileged user', { skip: !isRoot && 'needs root to start berth as nobody' }, () => {
  let ws: Workspace;
  let berth: Berth;
  let home: string;
  let kubeconfig: string;
  const kubectl = (...args: string[]) => {
    const r = spawnSync('kubectl', args, {
      encoding: 'utf8',
      env: { ...process.env, KUBECONFIG: kubeconfig, HOME: home, KUBECACHEDIR: join(home, 'cache') },
      timeout: 30_000,
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  before(async () => {
    // The agent runs as nobody: it must be able to read the checkout (bin/, dist/, node_modules/).
    const readable = spawnSync(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(BERTH)}, 4)`], { uid: NOBODY, gid: NOBODY });
    assert.equal(readable.status, 0, `uid ${NOBODY} cannot read ${BERTH}: make the checkout world-readable (chmod o+rX on it and its parent folders) to run this test`);
    ws = workspace();
    home = mkdtempSync(join(tmpdir(), 'berth-nobody-home-'));
    ws.write('limited-a.json', pod('limited-a', { resources: { limits: { memory: '64Mi', cpu: '200m' } } }));
    ws.write('limited-b.json', pod('limited-b', { resources: { limits: { memory: '64Mi' } } }));
    ws.write('readonly.json', pod('readonly', { securityContext: { readOnlyRootFilesystem: true } }));
    ws.write('as-root.json', pod('as-root', { securityContext: { runAsUser: 0 } }));
    ws.write('as-other.json', pod('as-other', {}, { runAsUser: 1000 }));
    ws.write('other-group.json', pod('other-group', { securityContext: { runAsGroup: 0 } }));
    ws.write('groups.json', pod('groups', {}, { supplementalGroups: [4242] }));
    ws.write('as-self.json', pod('as-self', { command: ['sh', '-c', 'id -u; sleep 3600'], securityContext: { runAsUser: NOBODY, runAsGroup: NOBODY } }));
    chownTree(ws.dir, NOBODY);
    berth = await startBerth(ws, [], { uid: NOBODY });
    kubeconfig = String(berth.logs.find((l) => l.msg === 'berth is running')!.kubeconfig);
  });

  after(async () => {
    await berth?.stop();
    await ws?.cleanup();
    rmSync(home, { recursive: true, force: true });
  });

  it('logs at start-up that cgroups cannot be used, and why', async () => {
    const line = await berth.waitLog((l) => typeof l.msg === 'string' && l.msg.startsWith('cgroups: '), 'the cgroups line');
    assert.match(String(line.msg), /^cgroups: not usable \(.*(permission denied|EACCES).*berth runs as uid 65534; run it as root, or delegate a cgroup to its user\)/);
  });

  it('pods with limits run, each gets a warning event saying why, and the log says it once', async () => {
    for (const name of ['limited-a', 'limited-b']) {
      await waitFor(async () => containerState(await berth.pod(`${name}-${NODE}`))?.state?.running, `${name} to run`, 30_000);
    }
    const events = await waitFor(() => {
      const r = kubectl('get', 'events', '-o', 'json');
      const items = (JSON.parse(r.out || '{"items":[]}') as { items: Array<{ reason?: string; type?: string; message?: string; involvedObject?: { name?: string } }> }).items;
      const hits = items.filter((e) => e.reason === 'ResourceLimitsNotEnforced');
      return hits.length >= 2 ? hits : undefined;
    }, `a ResourceLimitsNotEnforced event for each pod; events: ${kubectl('get', 'events').out}; logs: ${berth.logs.map((l) => `${String(l.time).slice(17)} ${String(l.msg).slice(0, 60)}`).join('\n')}`, 30_000);
    assert.deepEqual(events.map((e) => e.involvedObject?.name).sort(), [`limited-a-${NODE}`, `limited-b-${NODE}`]);
    for (const e of events) {
      assert.equal(e.type, 'Warning');
      assert.match(e.message ?? '', /resources\.limits of container main are not enforced: cgroups cannot be used on this node \(.*uid 65534/);
    }
    const lines = berth.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('resource limits of process-runtime containers are not enforced'));
    assert.equal(lines.length, 1, 'one log line for the agent');
  });

  it('a read-only root needs root: refused as CreateContainerConfigError saying so', async () => {
    const waiting = await waitFor(async () => {
      const w = containerState(await berth.pod(`readonly-${NODE}`))?.state?.waiting;
      return w?.reason === 'CreateContainerConfigError' ? w : undefined;
    }, 'readonly to be refused', 30_000);
    assert.match(waiting.message ?? '', /readOnlyRootFilesystem needs a private mount namespace, which berth cannot make here \(berth runs as uid 65534, not root\)/);
    const mirror = JSON.parse(kubectl('get', 'pod', `readonly-${NODE}`, '-o', 'json').out || '{}') as Pod;
    assert.ok(mirror.metadata, 'the mirror pod exists');
  });

  it('another user or groups than its own are refused per pod, naming the field; its own identity runs', async () => {
    const refused = async (name: string) =>
      waitFor(async () => {
        const w = containerState(await berth.pod(`${name}-${NODE}`))?.state?.waiting;
        return w?.reason === 'CreateContainerConfigError' ? w.message : undefined;
      }, `${name} to be refused`, 30_000);
    const why = /berth runs as uid 65534, not root, and the process runtime cannot change a container's user or groups without root \(container main\); .*, or run berth as root$/;
    const cases: Array<[string, RegExp]> = [
      ['as-root', /^spec\.containers\[0\]\.securityContext\.runAsUser: 0 is another user: /],
      ['as-other', /^spec\.securityContext\.runAsUser: 1000 is another user: .*remove it or set it to 65534/],
      ['other-group', /^spec\.containers\[0\]\.securityContext\.runAsGroup: 0 is another group: /],
      ['groups', /^spec\.securityContext\.supplementalGroups: 4242 is not a group berth has: /],
    ];
    for (const [name, field] of cases) {
      const message = (await refused(name)) ?? '';
      assert.match(message, field);
      assert.match(message, why);
    }
    // Asking for the agent's own uid and gid is no change of identity: it runs, as that user.
    await waitFor(async () => (await berth.pod(`as-self-${NODE}`))?.status?.phase === 'Running', 'as-self runs', 30_000);
    const logs = await waitFor(() => kubectl('logs', `as-self-${NODE}`).out.trim() || undefined, 'as-self logs its uid', 30_000);
    assert.equal(logs, String(NOBODY));
    // The agent itself is fine: no crash, the other pods keep running.
    assert.equal(berth.proc.exitCode, null);
  });
});
