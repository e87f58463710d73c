// The embedded API keeps its state across an agent kill -9 (issue 9): after the restart the mirror
// pod and the Node are the same objects (UID, creationTimestamp, so AGE goes on counting; the pod's
// startTime too), the events from before are still listed, the kubeconfig with the user's kubens
// choice is not rewritten, and a watch of the official Python client that was open across the
// restart resumes from its resourceVersion: it sees the changes made after the restart, and no
// replay of what it had.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Event, Node, Pod } from 'kubernetes-types/core/v1';
import { freePort, NODE, ROOT, shPod, startBerth, waitFor, workspace, type Berth } from './harness.js';

const PYTHON = '/usr/bin/python3';
const WATCH_SCRIPT = join(ROOT, 'test', 'e2e', 'python', 'watch_pods.py');

interface PyLine {
  type: string;
  name?: string;
  uid?: string;
  rv?: string;
  status?: number;
}

describe('agent kill -9 with the durable API store', () => {
  const ws = workspace();
  const home = mkdtempSync(join(tmpdir(), 'berth-store-home-'));
  let berth: Berth | undefined;
  let py: ChildProcess | undefined;
  after(async () => {
    py?.kill('SIGKILL');
    await berth?.stop();
    await ws.cleanup();
    rmSync(home, { recursive: true, force: true });
  });

  it('keeps UIDs, creation and start times, events and the kubeconfig; a Python watch resumes', async () => {
    const kubeconfig = join(ws.root, 'kubeconfig');
    const env = { ...process.env, KUBECONFIG: kubeconfig, HOME: home, KUBECACHEDIR: join(home, 'cache') };
    const kubectl = (...args: string[]) => {
      const r = spawnSync('kubectl', args, { encoding: 'utf8', env, timeout: 30_000 });
      if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    const getJson = <T>(...args: string[]): T => JSON.parse(kubectl('get', ...args, '-o', 'json')) as T;
    // The same port after the restart, as with the default --api-port (a fixed one).
    const apiPort = await freePort();
    const keep = `keep-${NODE}`;
    ws.write('keep.yaml', shPod('keep', 'sleep 3600'));
    berth = await startBerth(ws, [`--api-port=${apiPort}`]);

    const before = await waitFor(() => {
      const p = getJson<Pod>('pod', '-n', 'default', keep);
      return p.status?.phase === 'Running' && p.status.startTime ? p : undefined;
    }, 'mirror pod Running');
    const nodeBefore = getJson<Node>('node', NODE);
    const eventsBefore = await waitFor(() => {
      const l = getJson<{ items: Event[] }>('events', '-n', 'default').items;
      return l.some((e) => e.reason === 'Started' && e.involvedObject.name === keep) ? l : undefined;
    }, 'Started event');
    // What kubens does: the context's namespace. The restart must keep it.
    kubectl('config', 'set-context', '--current', '--namespace=kube-system');
    const kubeconfigBefore = readFileSync(kubeconfig, 'utf8');

    const lines: PyLine[] = [];
    py = spawn(PYTHON, [WATCH_SCRIPT, kubeconfig, '120'], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let pyErr = '';
    py.stderr!.on('data', (c: Buffer) => (pyErr += c.toString()));
    let buf = '';
    py.stdout!.on('data', (c: Buffer) => {
      buf += c.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        lines.push(JSON.parse(buf.slice(0, nl)) as PyLine);
        buf = buf.slice(nl + 1);
      }
    });
    const pyExit = new Promise<number | null>((r) => py!.once('exit', r));
    await waitFor(() => lines.some((l) => l.type === 'LISTED'), `python watch listed (${pyErr})`);
    await new Promise((r) => setTimeout(r, 500)); // let it open the watch

    assert.equal(await berth.stop('SIGKILL'), null);
    await waitFor(() => lines.some((l) => l.type === 'DISCONNECTED'), 'the python watch noticed the agent was gone');
    berth = await startBerth(ws, [`--api-port=${apiPort}`]);
    ws.write('later.yaml', shPod('later', 'sleep 3600'));

    const added = await waitFor(() => lines.find((l) => l.type === 'ADDED' && l.name === `later-${NODE}`), `python watch saw the new pod after the restart (${JSON.stringify(lines)} ${pyErr})`, 60_000);
    assert.ok(Number(added.rv) > Number(lines.find((l) => l.type === 'LISTED')!.rv));

    const afterPod = await waitFor(() => {
      const p = getJson<Pod>('pod', '-n', 'default', keep);
      return p.status?.phase === 'Running' ? p : undefined;
    }, 'mirror pod after the restart');
    assert.equal(afterPod.metadata?.uid, before.metadata?.uid, 'the mirror pod is adopted, not recreated');
    assert.equal(afterPod.metadata?.creationTimestamp, before.metadata?.creationTimestamp, 'AGE keeps counting');
    assert.equal(afterPod.status?.startTime, before.status?.startTime, 'start time kept');
    const nodeAfter = getJson<Node>('node', NODE);
    assert.equal(nodeAfter.metadata?.uid, nodeBefore.metadata?.uid, 'the Node is adopted');
    assert.equal(nodeAfter.metadata?.creationTimestamp, nodeBefore.metadata?.creationTimestamp);
    const readySince = (n: Node) => n.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime;
    assert.equal(readySince(nodeAfter), readySince(nodeBefore), 'the node stayed Ready: same lastTransitionTime');
    const namesAfter = new Set(getJson<{ items: Event[] }>('events', '-n', 'default').items.map((e) => e.metadata?.name));
    for (const e of eventsBefore) assert.ok(namesAfter.has(e.metadata?.name), `event ${e.metadata?.name} (${e.reason}) survives`);
    assert.equal(readFileSync(kubeconfig, 'utf8'), kubeconfigBefore, 'kubeconfig not rewritten: same address, CA and token');
    assert.match(kubectl('config', 'view', '--minify', '-o', 'jsonpath={.contexts[0].context.namespace}'), /^kube-system$/);

    // A resumed watch, not a re-list: the pod it already had is never ADDED again, nor deleted.
    assert.ok(!lines.some((l) => l.type === 'API_ERROR'), `no 410 and no error: ${JSON.stringify(lines)}`);
    assert.ok(!lines.some((l) => l.name === keep && (l.type === 'ADDED' || l.type === 'DELETED')), JSON.stringify(lines));
    py.kill('SIGTERM');
    await pyExit;
  });

  it('a damaged store file at start: set aside, one clear error, and the API rebuilt from the node', async () => {
    const ws2 = workspace();
    let b: Berth | undefined;
    try {
      ws2.write('web.yaml', shPod('web', 'sleep 3600'));
      b = await startBerth(ws2);
      const running = b.logs.find((l) => l.msg === 'berth is running')!;
      const api = String(running.api);
      const kc = String(running.kubeconfig);
      const env = { ...process.env, KUBECONFIG: kc, HOME: home, KUBECACHEDIR: join(home, 'cache2') };
      const mirrorUid = () => {
        const r = spawnSync('kubectl', ['get', 'pod', '-n', 'default', `web-${NODE}`, '-o', 'jsonpath={.metadata.uid}'], { encoding: 'utf8', env, timeout: 30_000 });
        return r.status === 0 && r.stdout ? r.stdout : undefined;
      };
      const first = await waitFor(mirrorUid, 'mirror pod');
      assert.equal(await b.stop('SIGKILL'), null);
      const db = join(ws2.root, 'api', 'state.db');
      assert.ok(existsSync(db));
      writeFileSync(db, 'garbage, not a database '.repeat(400));
      rmSync(`${db}-wal`, { force: true });

      b = await startBerth(ws2);
      const err = await b.waitLog((l) => l.level === 'error' && /state\.db cannot be used/.test(String(l.msg)), 'the store error');
      assert.match(String(err.msg), /the file is damaged or not a database.*moved to .*state\.db\.unusable-.*republishes its Node and mirror pods/);
      assert.ok(readdirSync(join(ws2.root, 'api')).some((n) => n.startsWith('state.db.unusable-')), 'the damaged file is kept aside');
      // Rebuilt from the node's own state: the mirror pod is back (a new object), the node too.
      const second = await waitFor(mirrorUid, 'mirror pod republished');
      assert.notEqual(second, first);
      assert.equal(String(b.logs.find((l) => l.msg === 'berth is running')?.api).replace(/:\d+$/, ''), api.replace(/:\d+$/, ''));
      // And the next start uses the rebuilt store: no error, same mirror.
      await b.stop('SIGKILL');
      b = await startBerth(ws2);
      assert.equal(await waitFor(mirrorUid, 'mirror pod after another restart'), second);
      assert.ok(!b.logs.some((l) => /cannot be used/.test(String(l.msg))));
    } finally {
      await b?.stop();
      await ws2.cleanup();
    }
  });
});
