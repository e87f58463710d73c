// Through the real ./bin/berth and the real kubectl, on containerd, Docker and Podman: a
// container's termination message and an OOM kill show in the pod status as the kubelet shows
// them, and `kubectl describe` lists the image and Created events.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1';
import { BUSYBOX, ENGINES, engineSkipReason, openEngine, type Engine, type EngineSpec } from './engines.js';
import { NODE, startBerth, waitFor, workspace, type Berth, type Workspace } from './harness.js';

const PODS = ['says-why', 'falls-back', 'too-big', 'late', 'shares'].map((n) => `${n}-${NODE}`);

function manifest(name: string, container: Record<string, unknown>): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { hostNetwork: true, restartPolicy: 'Never', terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: BUSYBOX, imagePullPolicy: 'IfNotPresent', ...container }] },
  });
}

function exitsStory(spec: EngineSpec, skip: string | false): void {
  describe(`container exits on ${spec.kind}`, { skip }, () => {
    let ws: Workspace;
    let berth: Berth;
    let engine: Engine;
    let home: string;
    let kubeconfig: string;
    const kubectl = (...args: string[]) => {
      const r = spawnSync('kubectl', args, { encoding: 'utf8', env: { ...process.env, KUBECONFIG: kubeconfig, HOME: home, KUBECACHEDIR: join(home, 'cache') }, timeout: 30_000 });
      return { code: r.status, out: r.stdout, err: r.stderr };
    };
    const terminated = (name: string) =>
      waitFor(() => {
        const r = kubectl('get', 'pod', `${name}-${NODE}`, '-o', 'json');
        if (r.code !== 0) return undefined;
        const pod = JSON.parse(r.out) as Pod;
        return pod.status?.containerStatuses?.[0]?.state?.terminated;
      }, `${name} terminated in kubectl`, 60_000);

    before(async () => {
      ws = workspace();
      engine = openEngine(spec);
      await engine.purge(PODS);
      home = mkdtempSync(join(tmpdir(), 'berth-exits-home-'));
      ws.write('says-why.json', manifest('says-why', { command: ['sh', '-c', 'echo "disk /data is full" > /dev/termination-log; exit 3'] }));
      ws.write('falls-back.json', manifest('falls-back', { command: ['sh', '-c', 'echo "fatal: no config file" >&2; exit 1'], terminationMessagePolicy: 'FallbackToLogsOnError' }));
      // Four containers, each writing 4000 bytes: the pod's 12 KiB leaves 3072 bytes for each.
      const chatty = (name: string) => ({ name, image: BUSYBOX, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', `printf '%4000s' '' | tr ' ' ${name} > /dev/termination-log`] });
      ws.write('shares.json', JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'shares' },
        spec: { hostNetwork: true, restartPolicy: 'Never', terminationGracePeriodSeconds: 1, initContainers: [chatty('i')], containers: ['a', 'b', 'c'].map(chatty) },
      }));
      ws.write('too-big.json', manifest('too-big', { command: ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=64M', 'count=1'], resources: { limits: { memory: '8Mi' } } }));
      berth = await startBerth(ws, [`--container-runtime-endpoint=${spec.endpoint}`]);
      kubeconfig = String(berth.logs.find((l) => l.msg === 'berth is running')!.kubeconfig);
    });

    after(async () => {
      await berth?.stop();
      if (engine) {
        await engine.purge(PODS).catch((err: unknown) => console.error(`cleanup of ${spec.kind} failed: ${String(err)}`));
        engine.close();
      }
      await ws?.cleanup();
      if (home) rmSync(home, { recursive: true, force: true });
    });

    it('the message the container wrote to /dev/termination-log is in state.terminated.message', async () => {
      const state = await terminated('says-why');
      assert.equal(state.exitCode, 3);
      assert.equal(state.reason, 'Error');
      assert.equal(state.message, 'disk /data is full\n');
    });

    it('FallbackToLogsOnError: the log tail is the message of a failed container', async () => {
      const state = await terminated('falls-back');
      assert.equal(state.exitCode, 1);
      assert.equal(state.message, 'fatal: no config file\n');
    });

    it("the pod's 12 KiB of termination messages is shared by its containers: each is cut to 3072 bytes", async () => {
      const pod = await waitFor(() => {
        const r = kubectl('get', 'pod', `shares-${NODE}`, '-o', 'json');
        const p = r.code === 0 ? (JSON.parse(r.out) as Pod) : undefined;
        return p?.status?.containerStatuses?.every((c) => c.state?.terminated) ? p : undefined;
      }, 'every container of shares terminated', 90_000);
      const messages = [...pod.status!.initContainerStatuses!, ...pod.status!.containerStatuses!].map((c) => c.state?.terminated?.message);
      assert.deepEqual(messages, ['i', 'a', 'b', 'c'].map((x) => x.repeat(3072)));
    });

    it('a container over its memory limit is OOMKilled with exit code 137', async () => {
      const state = await terminated('too-big');
      assert.equal(state.exitCode, 137);
      assert.equal(state.reason, 'OOMKilled');
    });

    it('kubectl describe shows the kubelet\'s image and Created events', async () => {
      // A pod that appears once the agent publishes events (events of pods started before the
      // mirror is up are a separate matter: see the report).
      await berth.waitLog((l) => l.msg === 'mirror: publishing node, lease, mirror pods and events', 'the mirror started');
      ws.write('late.json', manifest('late', { command: ['sh', '-c', 'exit 0'] }));
      const described = await waitFor(() => {
        const r = kubectl('describe', 'pod', `late-${NODE}`);
        return r.code === 0 && /Created container main/.test(r.out) ? r.out : undefined;
      }, 'the events in kubectl describe', 30_000);
      assert.match(described, new RegExp(`Pulled\\s+.*Container image "${BUSYBOX.replace(/[./]/g, '\\$&')}" already present on machine`));
      assert.match(described, /Created\s+.*Created container main/);
    });
  });
}

for (const spec of [ENGINES.containerd, ENGINES.docker, ENGINES.podman]) exitsStory(spec, await engineSkipReason(spec));
