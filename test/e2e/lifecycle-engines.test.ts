// Issue 7's story, lean, on containerd (CRI) and Docker (Engine API): one pod covers an init
// container, a sidecar gated by its startup exec probe, readiness and liveness httpGet probes
// (a restart), postStart and preStop exec hooks, and the Terminating mirror, with the real kubectl.
// The test steers the pod through files in a hostPath folder the containers share. A second pod
// has grpc readiness and liveness probes (answered by a grpc.health.v1 server on the host: see
// grpc-health.ts for why) and a startup probe that never passes.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Container, Pod } from 'kubernetes-types/core/v1';
import { BUSYBOX, ENGINES, engineSkipReason, openEngine, type Engine, type EngineSpec } from './engines.js';
import { freePort, NODE, startBerth, waitFor, workspace, type Berth, type Workspace } from './harness.js';
import { NOT_SERVING, SERVING, startGrpcHealthServer } from './grpc-health.js';
import { kubectlFor, type Kubectl } from './kubectl-run.js';

const POD = 'lifecycle';
const PROBES_POD = 'probes';
const LOOP = ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.2; done'];

function probesPod(grpcPort: number): Pod {
  const grpc = (service: string, failureThreshold: number) => ({ grpc: { port: grpcPort, service }, periodSeconds: 1, timeoutSeconds: 1, failureThreshold });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: PROBES_POD },
    spec: {
      hostNetwork: true,
      terminationGracePeriodSeconds: 2,
      containers: [
        { name: 'app', image: BUSYBOX, imagePullPolicy: 'IfNotPresent', command: LOOP, readinessProbe: grpc('berth-ready', 1), livenessProbe: grpc('berth-live', 2) },
        {
          name: 'never',
          image: BUSYBOX,
          imagePullPolicy: 'IfNotPresent',
          command: LOOP,
          startupProbe: { exec: { command: ['test', '-f', '/no/such/file'] }, periodSeconds: 1, failureThreshold: 2 },
        },
      ],
    },
  };
}

function lifecyclePod(port: number): Pod {
  const mount = { volumeMounts: [{ name: 'www', mountPath: '/www' }] };
  const c = (name: string, command: string[], extra: Partial<Container> = {}): Container => ({
    name,
    image: BUSYBOX,
    imagePullPolicy: 'IfNotPresent',
    command,
    ...mount,
    ...extra,
  });
  const http = (path: string, failureThreshold: number) => ({ httpGet: { path, port }, periodSeconds: 1, timeoutSeconds: 1, failureThreshold });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: POD },
    spec: {
      hostNetwork: true,
      terminationGracePeriodSeconds: 5,
      volumes: [{ name: 'www', hostPath: { path: '/www-placeholder', type: 'Directory' } }],
      initContainers: [
        c('setup', ['sh', '-c', 'echo ok > /www/healthz']),
        c('proxy', ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.2; done'], {
          restartPolicy: 'Always',
          startupProbe: { exec: { command: ['test', '-f', '/www/proxy-up'] }, periodSeconds: 1, failureThreshold: 120 },
        }),
      ],
      containers: [
        c('web', ['httpd', '-f', '-p', String(port), '-h', '/www'], {
          readinessProbe: http('/ready', 1),
          livenessProbe: http('/healthz', 2),
          lifecycle: {
            postStart: { exec: { command: ['sh', '-c', 'echo post >> /www/hooks'] } },
            preStop: { exec: { command: ['sh', '-c', 'echo pre >> /www/hooks'] } },
          },
        }),
      ],
    },
  };
}

function lifecycleOn(spec: EngineSpec, skip: string | false): void {
  describe(`issue 7 on ${spec.kind} (${spec.endpoint})`, { skip }, () => {
    let ws: Workspace;
    let engine: Engine;
    let berth: Berth;
    let k: Kubectl;
    let www: string;
    const full = `${POD}-${NODE}`;
    const probesFull = `${PROBES_POD}-${NODE}`;

    before(async () => {
      ws = workspace();
      engine = openEngine(spec);
      await engine.purge([full, probesFull]);
      www = join(ws.dir, 'www');
      mkdirSync(www, { mode: 0o777 });
      berth = await startBerth(ws, [`--container-runtime-endpoint=${spec.endpoint}`]);
      k = kubectlFor(String(berth.logs.find((l) => l.msg === 'berth is running')!.kubeconfig));
    });

    after(async () => {
      const timer = setTimeout(() => berth?.proc.kill('SIGKILL'), 20_000);
      await berth?.stop();
      clearTimeout(timer);
      if (engine) {
        await engine.purge([full, probesFull]).catch((err: unknown) => console.error(`cleanup of ${spec.kind} failed: ${String(err)}`));
        engine.close();
      }
      k?.cleanup();
      await ws?.cleanup();
    });

    it('init, sidecar startup gate, readiness, liveness restart, hooks, Terminating', async () => {
      const port = await freePort();
      const pod = lifecyclePod(port);
      pod.spec!.volumes![0]!.hostPath!.path = www;
      ws.write('lifecycle.yaml', JSON.stringify(pod));

      // The init container ran; the sidecar waits for its startup probe, so the app has not started.
      await k.rowIs(full, '0/2', 'Init:1/2', 120_000);
      assert.equal(readFileSync(join(www, 'healthz'), 'utf8'), 'ok\n');
      writeFileSync(join(www, 'proxy-up'), '');
      // The app runs (its postStart ran) but is not ready: /ready is missing (404).
      await k.rowIs(full, '1/2', 'Running', 60_000);
      assert.equal(readFileSync(join(www, 'hooks'), 'utf8'), 'post\n');
      writeFileSync(join(www, 'ready'), 'ok\n');
      await k.rowIs(full, '2/2', 'Running');
      rmSync(join(www, 'ready'));
      await k.rowIs(full, '1/2', 'Running');
      await k.described(full, /Unhealthy\s+.*Readiness probe failed: HTTP probe failed with statuscode: 404/);
      writeFileSync(join(www, 'ready'), 'ok\n');
      await k.rowIs(full, '2/2', 'Running');

      // Liveness: /healthz disappears, the container is killed (preStop runs) and restarted.
      const before = k.get(full).status!.containerStatuses![0]!;
      rmSync(join(www, 'healthz'));
      await k.described(full, /Killing\s+.*Container web failed liveness probe, will be restarted/);
      writeFileSync(join(www, 'healthz'), 'ok\n');
      const restarted = await waitFor(() => {
        const c = k.get(full).status?.containerStatuses?.[0];
        return c && c.restartCount === 1 && c.state?.running ? c : undefined;
      }, 'web restarted', 60_000);
      assert.equal(restarted.lastState?.terminated?.containerID, before.containerID);
      await waitFor(() => readFileSync(join(www, 'hooks'), 'utf8') === 'post\npre\npost\n' || undefined, 'preStop, then postStart of the new attempt');
      await k.rowIs(full, '2/2', 'Running');

      // Removal: the mirror shows Terminating, preStop runs, then everything is gone from the engine.
      const uid = (await berth.pod(full))!.metadata!.uid!;
      rmSync(join(ws.manifests, 'lifecycle.yaml'));
      await k.rowIs(full, undefined, 'Terminating');
      await waitFor(() => k.run('get', 'pod', full).code !== 0 || undefined, 'mirror gone', 60_000);
      await waitFor(async () => (await engine.objects({ podUid: uid })).length === 0 || undefined, `nothing left in ${spec.kind}`, 60_000);
      assert.equal(readFileSync(join(www, 'hooks'), 'utf8'), 'post\npre\npost\npre\n');
      assert.ok(existsSync(join(www, 'proxy-up')));
    });

    it('grpc readiness and liveness probes (grpc.health.v1 Check, SERVING); a startup probe that never passes restarts its container', async () => {
      const health = await startGrpcHealthServer();
      try {
        health.set('berth-ready', NOT_SERVING);
        health.set('berth-live', SERVING);
        ws.write('probes.yaml', JSON.stringify(probesPod(health.port)));
        const app = () => k.get(probesFull).status?.containerStatuses?.find((c) => c.name === 'app');
        const never = () => k.get(probesFull).status?.containerStatuses?.find((c) => c.name === 'never');

        await k.described(probesFull, /Unhealthy\s+.*Readiness probe failed: service unhealthy \(responded with "NOT_SERVING"\)/, 120_000);
        assert.equal(app()?.ready, false);
        health.set('berth-ready', SERVING);
        await waitFor(() => app()?.ready || undefined, 'app ready once its service is SERVING', 60_000);
        assert.ok(health.asked.includes('berth-ready') && health.asked.includes('berth-live'), `the probe names its service: ${[...new Set(health.asked)].join(', ')}`);

        // The startup probe of `never` never passes: it is killed and restarted, never started.
        await k.described(probesFull, /Killing\s+.*Container never failed startup probe, will be restarted/, 60_000);
        await waitFor(() => ((never()?.restartCount ?? 0) >= 1 ? true : undefined), 'never restarted', 60_000);
        assert.equal(never()?.started, false);
        assert.equal(never()?.ready, false);

        // Liveness: the service stops serving, the container is killed and restarted.
        const first = app()!;
        health.set('berth-live', NOT_SERVING);
        await k.described(probesFull, /Killing\s+.*Container app failed liveness probe, will be restarted/, 60_000);
        health.set('berth-live', SERVING);
        const again = await waitFor(() => {
          const c = app();
          return c && c.restartCount >= 1 && c.state?.running ? c : undefined;
        }, 'app restarted', 60_000);
        assert.equal(again.lastState?.terminated?.containerID, first.containerID);
        await waitFor(() => app()?.ready || undefined, 'app ready again', 60_000);

        const uid = (await berth.pod(probesFull))!.metadata!.uid!;
        rmSync(join(ws.manifests, 'probes.yaml'));
        await waitFor(async () => (await engine.objects({ podUid: uid })).length === 0 || undefined, `nothing of probes left in ${spec.kind}`, 60_000);
      } finally {
        await health.close();
      }
    });
  });
}

for (const spec of [ENGINES.containerd, ENGINES.docker, ENGINES.podman]) lifecycleOn(spec, await engineSkipReason(spec));
