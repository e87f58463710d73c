// The core story of issue 2, as a new user would try it: a manifest folder becomes running pods,
// crashes are restarted with the kubelet's backoff, removing/adding/editing files stops, starts
// and replaces pods, and the node endpoints show it all.
import assert from 'node:assert/strict';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { containerPid, containerState, freePort, NODE, processAlive, shPod, startBerth, waitFor, workspace, type Berth, type Workspace } from './harness.js';

describe('static pods from a manifest folder', () => {
  let ws: Workspace;
  let berth: Berth;
  let webPort: number;

  before(async () => {
    ws = workspace();
    webPort = await freePort();
    ws.write(
      'static-web.yaml',
      `apiVersion: v1
kind: Pod
metadata:
  name: static-web
  labels:
    role: myrole
spec:
  containers:
    - name: web
      image: busybox
      command: ["python3", "-m", "http.server", "${webPort}", "--bind", "127.0.0.1"]
      ports:
        - containerPort: ${webPort}
`,
    );
    berth = await startBerth(ws);
  });

  after(async () => {
    await berth?.stop();
    await ws?.cleanup();
  });

  it('runs the pod at once and lists it on /pods with the static identity', async () => {
    const pod = await waitFor(async () => {
      const p = await berth.pod(`static-web-${NODE}`);
      return p?.status?.phase === 'Running' ? p : undefined;
    }, 'static-web Running');
    assert.equal(pod.metadata?.namespace, 'default');
    assert.deepEqual(pod.metadata?.labels, { role: 'myrole' });
    const a = pod.metadata?.annotations ?? {};
    assert.equal(a['kubernetes.io/config.source'], 'file');
    assert.match(a['kubernetes.io/config.hash'] ?? '', /^[0-9a-f]{32}$/);
    assert.equal(a['kubernetes.io/config.hash'], pod.metadata?.uid);
    assert.ok(!Number.isNaN(Date.parse(a['kubernetes.io/config.seen'] ?? '')), 'config.seen is a time');
    assert.equal(pod.spec?.nodeName, NODE);
    const web = containerState(pod, 'web');
    assert.ok(web?.state?.running, 'container running');
    assert.equal(web?.restartCount, 0);
    assert.equal(web?.ready, true);
    const types = Object.fromEntries((pod.status?.conditions ?? []).map((c) => [c.type, c.status]));
    assert.deepEqual(
      { PodScheduled: types.PodScheduled, Initialized: types.Initialized, ContainersReady: types.ContainersReady, Ready: types.Ready },
      { PodScheduled: 'True', Initialized: 'True', ContainersReady: 'True', Ready: 'True' },
    );
    // The container really serves.
    const res = await waitFor(() => fetch(`http://127.0.0.1:${webPort}/`).then((r) => r.status), 'web server answers');
    assert.equal(res, 200);
  });

  it('restarts a container killed with SIGKILL and counts the restart', async () => {
    const before = containerState(await berth.pod(`static-web-${NODE}`), 'web')!;
    const pid = containerPid(ws.root, before.containerID!);
    process.kill(pid, 'SIGKILL');
    const after = await waitFor(async () => {
      const c = containerState(await berth.pod(`static-web-${NODE}`), 'web');
      return c?.restartCount === 1 && c.state?.running ? c : undefined;
    }, 'restartCount 1 and running');
    assert.equal(after.lastState?.terminated?.exitCode, 137);
    assert.notEqual(containerPid(ws.root, after.containerID!), pid);
    assert.equal(processAlive(pid), false);
    const metrics = (await berth.get('/metrics')).body;
    assert.match(metrics, /berth_container_restarts_total\{namespace="default",pod="static-web-my-node1",container="web"\} 1/);
    assert.match(metrics, /berth_pods\{phase="Running"\} 1/);
  });

  it('backs off the second restart (CrashLoopBackOff 10s)', async () => {
    const c1 = containerState(await berth.pod(`static-web-${NODE}`), 'web')!;
    process.kill(containerPid(ws.root, c1.containerID!), 'SIGKILL');
    const waiting = await waitFor(async () => {
      const c = containerState(await berth.pod(`static-web-${NODE}`), 'web');
      return c?.state?.waiting?.reason === 'CrashLoopBackOff' ? c : undefined;
    }, 'CrashLoopBackOff');
    assert.match(waiting.state!.waiting!.message!, /^back-off 10s restarting failed container=web pod=static-web-my-node1_default\(/);
    assert.equal(waiting.lastState?.terminated?.exitCode, 137);
    const pod = await berth.pod(`static-web-${NODE}`);
    assert.equal(pod?.status?.phase, 'Running', 'a pod in CrashLoopBackOff with restartPolicy Always is Running');
    await waitFor(async () => {
      const c = containerState(await berth.pod(`static-web-${NODE}`), 'web');
      return c?.restartCount === 2 && c.state?.running ? c : undefined;
    }, 'restarted after the back-off', 30_000);
  });

  it('serves container logs with tailLines, previous and refuses path traversal', async () => {
    const name = `logger-${NODE}`;
    ws.write('logger.yaml', shPod('logger', 'echo one; echo two; echo three >&2; sleep 3600'));
    await waitFor(async () => {
      const r = await berth.get(`/containerLogs/default/${name}/main`);
      return r.status === 200 && r.body.includes('three') ? r : undefined;
    }, 'logger output');
    assert.equal((await berth.get(`/containerLogs/default/${name}/main`)).body, 'one\ntwo\nthree\n');
    assert.equal((await berth.get(`/containerLogs/default/${name}/main?tailLines=1`)).body, 'three\n');
    const stamped = (await berth.get(`/containerLogs/default/${name}/main?timestamps=true&tailLines=1`)).body;
    assert.match(stamped, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z three\n$/);
    assert.equal((await berth.get(`/containerLogs/default/${name}/nope`)).status, 404);
    assert.equal((await berth.get(`/containerLogs/default/${name}/..%2F..%2F..%2Fetc%2Fpasswd`)).status, 400);
    assert.equal((await berth.get(`/containerLogs/default/..%2Fx/main`)).status, 400);
    // previous: the attempt before the current one.
    const c = containerState(await berth.pod(name))!;
    process.kill(containerPid(ws.root, c.containerID!), 'SIGKILL');
    await waitFor(async () => containerState(await berth.pod(name))?.restartCount === 1 || undefined, 'logger restarted');
    const prev = await berth.get(`/containerLogs/default/${name}/main?previous=true`);
    assert.equal(prev.status, 200);
    assert.equal(prev.body, 'one\ntwo\nthree\n');
  });

  it('stops the pod when its file is moved away, and runs it again when it is back', async () => {
    const path = join(ws.manifests, 'logger.yaml');
    const c = containerState(await berth.pod(`logger-${NODE}`))!;
    const pid = containerPid(ws.root, c.containerID!);
    renameSync(path, join(ws.dir, 'logger.yaml'));
    await waitFor(async () => !(await berth.pod(`logger-${NODE}`)) && !processAlive(pid), 'logger gone');
    renameSync(join(ws.dir, 'logger.yaml'), path);
    const again = await waitFor(async () => {
      const s = containerState(await berth.pod(`logger-${NODE}`));
      return s?.state?.running ? s : undefined;
    }, 'logger running again');
    assert.equal(again.restartCount, 0, 'a pod that comes back starts afresh');
  });

  it('replaces an edited pod: the old one stops before the new one starts', async () => {
    const journal = join(ws.dir, 'journal.txt');
    writeFileSync(journal, '');
    const script = (v: string) => `echo start-${v} >> ${journal}; trap 'sleep 1; echo stop-${v} >> ${journal}; exit 0' TERM; while true; do sleep 0.1; done`;
    ws.write('editme.yaml', shPod('editme', script('a')));
    await waitFor(() => readFileSync(journal, 'utf8').includes('start-a') || undefined, 'version a started');
    const oldUid = (await berth.pod(`editme-${NODE}`))?.metadata?.uid;
    ws.write('editme.yaml', shPod('editme', script('b')));
    await waitFor(() => readFileSync(journal, 'utf8').includes('start-b') || undefined, 'version b started');
    assert.deepEqual(readFileSync(journal, 'utf8').trim().split('\n'), ['start-a', 'stop-a', 'start-b']);
    const pod = await waitFor(async () => {
      const p = await berth.pod(`editme-${NODE}`);
      return p?.status?.phase === 'Running' ? p : undefined;
    }, 'edited pod Running');
    assert.notEqual(pod.metadata?.uid, oldUid, 'a changed manifest is a new pod (new UID)');
    assert.equal((await berth.pods()).filter((p) => p.metadata?.name === `editme-${NODE}`).length, 1);
  });

  it('kills a container that ignores SIGTERM after terminationGracePeriodSeconds, with its whole process group', async () => {
    const childPidFile = join(ws.dir, 'child.pid');
    ws.write('stubborn.yaml', shPod('stubborn', `trap '' TERM; sleep 3600 & echo $! > ${childPidFile}; while true; do sleep 0.2; done`, { grace: 1 }));
    const c = await waitFor(async () => {
      const s = containerState(await berth.pod(`stubborn-${NODE}`));
      return s?.state?.running ? s : undefined;
    }, 'stubborn running');
    const pid = containerPid(ws.root, c.containerID!);
    const child = await waitFor(() => {
      try {
        return Number(readFileSync(childPidFile, 'utf8').trim()) || undefined;
      } catch {
        return undefined;
      }
    }, 'child pid');
    renameSync(join(ws.manifests, 'stubborn.yaml'), join(ws.dir, 'stubborn.yaml'));
    await waitFor(() => !processAlive(pid) && !processAlive(child), 'stubborn and its child killed', 15_000);
  });

  it('ignores dot-files and editor leftovers, logging each leftover once', async () => {
    ws.write('.hidden.yaml', shPod('hidden', 'sleep 3600'));
    ws.write('backup.yaml~', shPod('tilde', 'sleep 3600'));
    ws.write('web.yaml.bak', shPod('bak', 'sleep 3600'));
    ws.write('web.yaml.swp', shPod('swp', 'sleep 3600'));
    ws.write('web.yaml.dpkg-old', shPod('dpkg', 'sleep 3600'));
    ws.write('marker.yaml', shPod('marker', 'sleep 3600'));
    await waitFor(async () => (await berth.pod(`marker-${NODE}`)) !== undefined, 'marker pod');
    const names = (await berth.pods()).map((p) => p.metadata?.name);
    for (const n of ['hidden', 'tilde', 'bak', 'swp', 'dpkg']) assert.ok(!names.includes(`${n}-${NODE}`), `${n} must not run`);
    const mentions = berth.logs.filter((l) => JSON.stringify(l).includes('web.yaml.bak'));
    assert.equal(mentions.length, 1, `one log line for web.yaml.bak, got ${JSON.stringify(mentions)}`);
    assert.ok(!berth.logs.some((l) => JSON.stringify(l).includes('.hidden.yaml')), 'dot-files are ignored silently');
  });
});

describe('restart policies', () => {
  let ws: Workspace;
  let berth: Berth;

  before(async () => {
    ws = workspace();
    berth = await startBerth(ws);
  });

  after(async () => {
    await berth?.stop();
    await ws?.cleanup();
  });

  it('OnFailure: a clean exit is not restarted (Succeeded), a failure is', async () => {
    ws.write('ok.yaml', shPod('ok', 'exit 0', { restartPolicy: 'OnFailure' }));
    ws.write('bad.yaml', shPod('bad', 'exit 3', { restartPolicy: 'OnFailure' }));
    const ok = await waitFor(async () => {
      const p = await berth.pod(`ok-${NODE}`);
      return p?.status?.phase === 'Succeeded' ? p : undefined;
    }, 'ok Succeeded');
    assert.equal(containerState(ok)?.state?.terminated?.exitCode, 0);
    assert.equal(containerState(ok)?.state?.terminated?.reason, 'Completed');
    assert.equal(containerState(ok)?.restartCount, 0);
    const bad = await waitFor(async () => {
      const c = containerState(await berth.pod(`bad-${NODE}`));
      return c && c.restartCount >= 1 ? c : undefined;
    }, 'bad restarted');
    assert.equal(bad.lastState?.terminated?.exitCode ?? bad.state?.terminated?.exitCode, 3);
  });

  it('Never: a failed container stays terminated and the pod is Failed', async () => {
    ws.write('never.yaml', shPod('never', 'echo bye; exit 4', { restartPolicy: 'Never' }));
    const pod = await waitFor(async () => {
      const p = await berth.pod(`never-${NODE}`);
      return p?.status?.phase === 'Failed' ? p : undefined;
    }, 'never Failed');
    const c = containerState(pod)!;
    assert.equal(c.state?.terminated?.exitCode, 4);
    assert.equal(c.state?.terminated?.reason, 'Error');
    assert.equal(c.restartCount, 0);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(containerState(await berth.pod(`never-${NODE}`))?.restartCount, 0, 'still not restarted');
  });

  it('Always: a container that exits 0 is restarted too', async () => {
    ws.write('loop.yaml', shPod('loop', 'exit 0'));
    await waitFor(async () => {
      const c = containerState(await berth.pod(`loop-${NODE}`));
      return c && c.restartCount >= 1 ? c : undefined;
    }, 'loop restarted');
  });

  it('reports a container without command clearly in the pod status', async () => {
    ws.write(
      'noimage.yaml',
      JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'nocmd' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } }),
    );
    const c = await waitFor(async () => {
      const s = containerState(await berth.pod(`nocmd-${NODE}`), 'c');
      return s?.state?.waiting?.reason === 'CreateContainerConfigError' ? s : undefined;
    }, 'CreateContainerConfigError');
    assert.match(c.state!.waiting!.message!, /command/);
    assert.equal((await berth.pod(`nocmd-${NODE}`))?.status?.phase, 'Pending');
  });
});
