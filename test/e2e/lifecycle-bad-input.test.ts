// Issue 7's bad input, the same on the process runtime and on containerd, Docker and Podman, with
// the real kubectl: probes on a port nothing listens on, to a URL that redirects to another host,
// to a server that never answers, an exec probe that never exits and one whose command does not
// exist (beside a tcpSocket probe that passes); a postStart hook that hangs far past the grace
// period and an init container that never exits, both while their manifest is removed; and a pod
// of 50 containers each probing every second. hostNetwork pods, so the probes reach the servers
// this test runs on the host.
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Container, Pod, Probe } from 'kubernetes-types/core/v1';
import { BUSYBOX, ENGINES, engineSkipReason, openEngine, type Engine, type EngineSpec } from './engines.js';
import { freePort, NODE, startBerth, waitFor, workspace, type Berth, type Workspace } from './harness.js';
import { kubectlFor, type Kubectl } from './kubectl-run.js';

const PODS = ['bad-probes', 'hanghook', 'stuck', 'fifty'];
const LOOP = ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.2; done'];
const FIFTY = 50;

interface Target {
  name: string;
  /** berth's flags for this runtime. */
  flags: string[];
  image: string;
  engine?: EngineSpec;
  skip: string | false;
}

function pod(name: string, spec: NonNullable<Pod['spec']>): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { hostNetwork: true, ...spec } } satisfies Pod);
}

/** A host HTTP server: /redirect sends the prober to another host, /c<N> counts each probe. */
async function probeServer(): Promise<{ server: HttpServer; port: number; hits: Map<string, number> }> {
  const hits = new Map<string, number>();
  const server = createHttpServer((req, res) => {
    hits.set(req.url ?? '', (hits.get(req.url ?? '') ?? 0) + 1);
    if (req.url === '/redirect') res.writeHead(302, { location: 'http://elsewhere.invalid/' }).end('moved');
    else res.writeHead(200).end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '0.0.0.0', r));
  return { server, port: (server.address() as { port: number }).port, hits };
}

/** A host TCP server that accepts connections and never answers. */
async function silentServer(): Promise<{ server: Server; port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((s) => void sockets.push(s));
  await new Promise<void>((r) => server.listen(0, '0.0.0.0', r));
  return { server, port: (server.address() as { port: number }).port, sockets };
}

function badInputOn(t: Target): void {
  describe(`issue 7 bad input on ${t.name}`, { skip: t.skip }, () => {
    let ws: Workspace;
    let berth: Berth;
    let k: Kubectl;
    let engine: Engine | undefined;
    let web: Awaited<ReturnType<typeof probeServer>>;
    let silent: Awaited<ReturnType<typeof silentServer>>;
    const full = (n: string) => `${n}-${NODE}`;
    const c = (name: string, extra: Partial<Container> = {}): Container => ({ name, image: t.image, imagePullPolicy: 'IfNotPresent', command: LOOP, ...extra });
    const every = (extra: Probe): Probe => ({ periodSeconds: 1, timeoutSeconds: 1, ...extra });
    const leftInEngine = async (uid: string) => (engine ? (await engine.objects({ podUid: uid })).length : 0);

    before(async () => {
      ws = workspace();
      if (t.engine) {
        engine = openEngine(t.engine);
        await engine.purge(PODS.map(full));
      }
      web = await probeServer();
      silent = await silentServer();
      berth = await startBerth(ws, t.flags);
      k = kubectlFor(String(berth.logs.find((l) => l.msg === 'berth is running')!.kubeconfig));
    });

    after(async () => {
      const timer = setTimeout(() => berth?.proc.kill('SIGKILL'), 30_000);
      await berth?.stop();
      clearTimeout(timer);
      if (engine) {
        await engine.purge(PODS.map(full)).catch((err: unknown) => console.error(`cleanup of ${t.name} failed: ${String(err)}`));
        engine.close();
      }
      for (const s of silent?.sockets ?? []) s.destroy();
      silent?.server.close();
      web?.server.close();
      k?.cleanup();
      await ws?.cleanup();
    });

    it('probes: refused port, redirect to another host, a server that never answers, an exec that never exits, a missing command; tcpSocket', async () => {
      const closed = await freePort();
      ws.write(
        'bad-probes.json',
        pod('bad-probes', {
          terminationGracePeriodSeconds: 1,
          containers: [
            c('refused', { readinessProbe: every({ httpGet: { path: '/healthz', port: closed } }) }),
            c('redirect', { readinessProbe: every({ httpGet: { path: '/redirect', port: web.port } }) }),
            c('silent', { readinessProbe: every({ httpGet: { path: '/healthz', port: silent.port } }) }),
            c('hung', { readinessProbe: every({ exec: { command: ['sleep', '30'] } }) }),
            c('missing', { readinessProbe: every({ exec: { command: ['/no/such/command'] } }) }),
            c('tcp', { readinessProbe: every({ tcpSocket: { port: web.port } }) }),
          ],
        }),
      );
      const name = full('bad-probes');
      const text = await k.described(name, /command "sleep 30" timed out/, 120_000);
      const events = await k.described(name, /no\/such\/command/, 60_000);
      assert.match(events + text, new RegExp(`Readiness probe failed: Get "http://[^"]+:${closed}/healthz": dial tcp [^ ]+:${closed}: connect: connection refused`));
      assert.match(events, /ProbeWarning\s+.*Readiness probe warning: Probe terminated redirects, Response body: moved/);
      assert.match(events, new RegExp(`Readiness probe failed: Get "http://[^"]+:${silent.port}/healthz": context deadline exceeded`));
      assert.match(events, /Readiness probe (failed|errored): .*no\/such\/command/);
      const ready = await waitFor(() => {
        const statuses = k.get(name).status?.containerStatuses ?? [];
        return statuses.length === 6 && statuses.every((s) => s.state?.running) && statuses[5]!.ready ? statuses : undefined;
      }, 'all six running, the tcpSocket probe passed', 60_000);
      assert.deepEqual(ready.map((s) => [s.name, s.ready]), [['refused', false], ['redirect', true], ['silent', false], ['hung', false], ['missing', false], ['tcp', true]]);
      assert.ok(ready.every((s) => s.restartCount === 0), 'readiness failures never restart a container');
      assert.equal(berth.proc.exitCode, null, 'berth still runs');
      const uid = (await berth.pod(name))!.metadata!.uid!;
      rmSync(join(ws.manifests, 'bad-probes.json'));
      await waitFor(async () => (!(await berth.pod(name)) && (await leftInEngine(uid)) === 0) || undefined, 'bad-probes gone', 60_000);
    });

    it('a postStart hook that hangs and an init container that never exits do not keep removed pods alive', async () => {
      ws.write('hanghook.json', pod('hanghook', { terminationGracePeriodSeconds: 1, containers: [c('main', { lifecycle: { postStart: { exec: { command: ['sleep', '3600'] } } } })] }));
      ws.write(
        'stuck.json',
        pod('stuck', {
          terminationGracePeriodSeconds: 2,
          initContainers: [c('forever', { command: ['sh', '-c', 'trap "" TERM; while true; do sleep 0.1; done'] })],
          containers: [c('app')],
        }),
      );
      await k.rowIs(full('hanghook'), '0/1', 'ContainerCreating', 120_000);
      await k.rowIs(full('stuck'), '0/1', 'Init:0/1', 120_000);
      const uids = await Promise.all(['hanghook', 'stuck'].map(async (n) => (await berth.pod(full(n)))!.metadata!.uid!));
      rmSync(join(ws.manifests, 'hanghook.json'));
      rmSync(join(ws.manifests, 'stuck.json'));
      // Generous deadlines for this loaded machine, yet far below the hour the hook and the init
      // container would take if berth waited for them.
      for (const [i, n] of ['hanghook', 'stuck'].entries()) {
        await waitFor(async () => (!(await berth.pod(full(n))) && (await leftInEngine(uids[i]!)) === 0) || undefined, `${n} stopped and gone`, 60_000);
      }
    });

    it(`${FIFTY} containers each probing every second all become ready and keep being probed`, async () => {
      const containers = Array.from({ length: FIFTY }, (_, i) => c(`c${i}`, { readinessProbe: every({ httpGet: { path: `/c${i}`, port: web.port } }) }));
      ws.write('fifty.json', pod('fifty', { terminationGracePeriodSeconds: 1, containers }));
      const name = full('fifty');
      await k.rowIs(name, `${FIFTY}/${FIFTY}`, 'Running', 600_000);
      const before = containers.map((x) => web.hits.get(`/${x.name}`) ?? 0);
      await waitFor(() => containers.every((x, i) => (web.hits.get(`/${x.name}`) ?? 0) >= before[i]! + 3) || undefined, 'every container probed 3 more times', 60_000);
      assert.equal(k.row(name)?.ready, `${FIFTY}/${FIFTY}`);
      assert.equal(berth.proc.exitCode, null);
      const uid = (await berth.pod(name))!.metadata!.uid!;
      rmSync(join(ws.manifests, 'fifty.json'));
      await waitFor(async () => (!(await berth.pod(name)) && (await leftInEngine(uid)) === 0) || undefined, 'fifty gone', 300_000);
    });
  });
}

const targets: Target[] = [{ name: 'the process runtime', flags: [], image: 'busybox', skip: false }];
for (const spec of [ENGINES.containerd, ENGINES.docker, ENGINES.podman]) {
  targets.push({ name: spec.kind, flags: [`--container-runtime-endpoint=${spec.endpoint}`], image: BUSYBOX, engine: spec, skip: await engineSkipReason(spec) });
}
for (const t of targets) badInputOn(t);
