// Issue 3's story with the real kubectl: berth serves a Kubernetes API on its own, plain kubectl
// shows the static pods (mirror pods), nodes, events and logs; deleting a mirror does not stop the
// pod; a bad manifest shows up as a Node event. Then remote mode: a second berth joins the first
// one's API through --kubeconfig, and survives that API going away and coming back.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { containerPid, containerState, freePort, NODE, processAlive, shPod, startBerth, waitFor, workspace, type Berth, type Workspace } from './harness.js';

function kubectlEnv(kubeconfig: string, home: string): NodeJS.ProcessEnv {
  return { ...process.env, KUBECONFIG: kubeconfig, HOME: home, KUBECACHEDIR: join(home, 'cache') };
}

describe('kubectl against the embedded API server', () => {
  let ws: Workspace;
  let berth: Berth;
  let home: string;
  let kubeconfig: string;
  let webPort: number;
  const kubectl = (...args: string[]) => {
    const r = spawnSync('kubectl', args, { encoding: 'utf8', env: kubectlEnv(kubeconfig, home), timeout: 30_000 });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const mirrorUid = async () => JSON.parse(kubectl('get', 'pod', `static-web-${NODE}`, '-o', 'json').out || '{}')?.metadata?.uid as string | undefined;

  before(async () => {
    ws = workspace();
    home = mkdtempSync(join(tmpdir(), 'berth-kubectl-home-'));
    webPort = await freePort();
    ws.write(
      'static-web.yaml',
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'static-web', labels: { role: 'myrole' } },
        spec: { containers: [{ name: 'web', image: 'busybox', command: ['python3', '-u', '-m', 'http.server', String(webPort), '--bind', '127.0.0.1'] }] },
      }),
    );
    berth = await startBerth(ws);
    const running = berth.logs.find((l) => l.msg === 'berth is running')!;
    kubeconfig = String(running.kubeconfig);
    assert.match(String(running.api), /^https:\/\/127\.0\.0\.1:\d+$/);
  });

  after(async () => {
    await berth?.stop();
    await ws?.cleanup();
    rmSync(home, { recursive: true, force: true });
  });

  it('writes a private kubeconfig with a CA and a token', () => {
    const text = readFileSync(kubeconfig, 'utf8');
    assert.match(text, /certificate-authority-data: /);
    assert.match(text, /token: /);
    assert.equal(statSync(kubeconfig).mode & 0o777, 0o600);
  });

  it('kubectl get pods / -l / -o yaml / get nodes', async () => {
    const out = await waitFor(() => {
      const r = kubectl('get', 'pods');
      return /static-web-my-node1\s+1\/1\s+Running\s+0\s+\d+s/.test(r.out) ? r.out : undefined;
    }, 'kubectl get pods shows the mirror Running');
    assert.match(out, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE/);
    assert.match(kubectl('get', 'pods', '-l', 'role=myrole').out, /static-web-my-node1/);
    const none = kubectl('get', 'pods', '-l', 'role=other');
    assert.match(none.err + none.out, /No resources found/);
    const yaml = kubectl('get', 'pod', `static-web-${NODE}`, '-o', 'yaml').out;
    assert.match(yaml, /kubernetes\.io\/config\.mirror: [0-9a-f]{32}/);
    assert.match(yaml, /ownerReferences:\n\s+- apiVersion: v1\n\s+controller: true\n\s+kind: Node\n\s+name: my-node1/);
    assert.match(yaml, /phase: Running/);
    await waitFor(() => /my-node1\s+Ready/.test(kubectl('get', 'nodes').out) || undefined, 'node Ready');
  });

  it('kubectl logs and logs -f show the container output', async () => {
    await waitFor(() => fetch(`http://127.0.0.1:${webPort}/hello`).then((r) => r.status), 'web answers');
    const logs = await waitFor(() => {
      const r = kubectl('logs', `static-web-${NODE}`);
      return r.out.includes('GET /hello') ? r.out : undefined;
    }, 'kubectl logs shows the request');
    assert.match(logs, /"GET \/hello HTTP\/1\.1" 404/);
    const follow = spawn('kubectl', ['logs', '-f', `static-web-${NODE}`], { env: kubectlEnv(kubeconfig, home) });
    let seen = '';
    follow.stdout.on('data', (d: Buffer) => (seen += d.toString()));
    try {
      await waitFor(() => seen.includes('GET /hello') || undefined, 'logs -f prints the old lines');
      await fetch(`http://127.0.0.1:${webPort}/later`);
      await waitFor(() => seen.includes('GET /later') || undefined, 'logs -f streams a new line');
    } finally {
      follow.kill();
    }
  });

  it('kubectl get pods -w streams a restart, a new pod and a removal', async () => {
    const watch = spawn('kubectl', ['get', 'pods', '-w'], { env: kubectlEnv(kubeconfig, home) });
    let seen = '';
    watch.stdout.on('data', (d: Buffer) => (seen += d.toString()));
    try {
      await waitFor(() => seen.includes('static-web-my-node1') || undefined, 'initial list');
      const c = containerState(await berth.pod(`static-web-${NODE}`), 'web')!;
      process.kill(containerPid(ws.root, c.containerID!), 'SIGKILL');
      await waitFor(() => /static-web-my-node1\s+1\/1\s+Running\s+1 \(/.test(seen) || undefined, 'restart seen in the watch');
      ws.write('watched.yaml', shPod('watched', 'sleep 3600'));
      await waitFor(() => /watched-my-node1\s+1\/1\s+Running/.test(seen) || undefined, 'new pod seen in the watch');
      const linesBefore = (seen.match(/watched-my-node1/g) ?? []).length;
      rmSync(join(ws.manifests, 'watched.yaml'));
      // The removal shows as more rows for the pod (Terminating, then the deletion).
      await waitFor(() => (seen.match(/watched-my-node1/g) ?? []).length > linesBefore || undefined, 'removal seen in the watch');
      await waitFor(() => !kubectl('get', 'pods').out.includes('watched-my-node1') || undefined, 'removed pod gone from the API');
      assert.equal(watch.exitCode, null, 'kubectl -w is still watching');
    } finally {
      watch.kill();
    }
  });

  it('kubectl describe pod shows the events', async () => {
    const text = await waitFor(() => {
      const r = kubectl('describe', 'pod', `static-web-${NODE}`);
      return /Started\s+.*Started container web/.test(r.out) ? r.out : undefined;
    }, 'describe shows the Started event');
    assert.match(text, /Status:\s+Running/);
    assert.match(text, /Controlled By:\s+Node\/my-node1/);
  });

  it('kubectl delete pod: the container keeps running and the mirror comes back with a new UID', async () => {
    const c = containerState(await berth.pod(`static-web-${NODE}`), 'web')!;
    const pid = containerPid(ws.root, c.containerID!);
    const before = await mirrorUid();
    const r = kubectl('delete', 'pod', `static-web-${NODE}`);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /pod "static-web-my-node1" deleted/);
    const after = await waitFor(async () => {
      const uid = await mirrorUid();
      return uid && uid !== before ? uid : undefined;
    }, 'mirror recreated', 5_000);
    assert.notEqual(after, before);
    assert.ok(processAlive(pid), 'same process still running');
    assert.equal(containerState(await berth.pod(`static-web-${NODE}`), 'web')?.containerID, c.containerID, 'not restarted');
  });

  it('refuses to create an ordinary pod, saying why', () => {
    const r = kubectl('run', 'ordinary', '--image=busybox', '--restart=Never');
    assert.notEqual(r.code, 0);
    assert.match(r.err, /static pods|pod-manifest-path/);
  });

  it('shows a bad manifest as a Warning event on the Node', async () => {
    ws.write('broken.yaml', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: Broken_Name\nspec:\n  containers: []\n');
    const events = await waitFor(() => {
      const r = kubectl('get', 'events');
      return /Warning\s+FailedValidation\s+node\/my-node1\s+.*broken\.yaml/.test(r.out) ? r.out : undefined;
    }, 'FailedValidation event');
    assert.match(events, /broken\.yaml: metadata\.name/);
    assert.match(kubectl('describe', 'node', NODE).out, /FailedValidation.*broken\.yaml/);
  });
});

describe('remote mode: a berth joins another API server through --kubeconfig', () => {
  let cluster: Workspace;
  let node: Workspace;
  let api: Berth | undefined;
  let agent: Berth | undefined;
  let home: string;

  before(() => {
    cluster = workspace();
    node = workspace();
    home = mkdtempSync(join(tmpdir(), 'berth-kubectl-home-'));
  });

  after(async () => {
    await agent?.stop();
    await api?.stop();
    await node.cleanup();
    await cluster.cleanup();
    rmSync(home, { recursive: true, force: true });
  });

  it('publishes Node and mirrors, keeps pods through an API outage, and reconciles after it', async () => {
    const apiPort = await freePort();
    // The "cluster": a berth that serves the API and runs nothing.
    api = await startBerth(cluster, ['--hostname-override=control', `--api-port=${apiPort}`], { manifests: false });
    const kubeconfig = String(api.logs.find((l) => l.msg === 'berth is running')!.kubeconfig);
    const kubectl = (...args: string[]) => spawnSync('kubectl', args, { encoding: 'utf8', env: kubectlEnv(kubeconfig, home), timeout: 30_000 }).stdout;

    node.write('remote.yaml', shPod('remote', 'sleep 3600', { labels: { tier: 'edge' } }));
    agent = await startBerth(node, [`--kubeconfig=${kubeconfig}`, '--hostname-override=edge-1']);
    assert.ok(!agent.logs.some((l) => l.msg === 'serving the Kubernetes API'), 'with --kubeconfig berth serves no API');
    await waitFor(() => /remote-edge-1\s+1\/1\s+Running/.test(kubectl('get', 'pods')) || undefined, 'remote mirror visible');
    await waitFor(() => /edge-1\s+Ready/.test(kubectl('get', 'nodes')) || undefined, 'remote node Ready');
    const lease = kubectl('get', '--raw', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/edge-1');
    assert.match(lease, /"holderIdentity":"edge-1"/);
    const c = containerState((await agent.pods())[0])!;
    const pid = containerPid(node.root, c.containerID!);

    // The API goes away; the static pod keeps running.
    await api.stop();
    api = undefined;
    node.write('while-down.yaml', shPod('whiledown', 'sleep 3600'));
    await waitFor(async () => containerState(await agent!.pod('whiledown-edge-1'))?.state?.running, 'pod started while the API is down');
    assert.ok(processAlive(pid));

    // It comes back (same port, same certificates and token): everything is reconciled.
    api = await startBerth(cluster, ['--hostname-override=control', `--api-port=${apiPort}`], { manifests: false });
    await waitFor(() => {
      const out = kubectl('get', 'pods');
      return /remote-edge-1\s+1\/1\s+Running/.test(out) && /whiledown-edge-1\s+1\/1\s+Running/.test(out) ? out : undefined;
    }, 'mirrors reconciled after the API came back', 40_000);
    const names = kubectl('get', 'pods', '-o', 'name').trim().split('\n').sort();
    assert.deepEqual(names, ['pod/remote-edge-1', 'pod/whiledown-edge-1'], 'no duplicates');
    assert.ok(processAlive(pid), 'nothing restarted');
    assert.equal(containerState(await agent.pod('remote-edge-1'))?.restartCount, 0);
  });
});
