// The real container engines the end-to-end story runs on (containerd over the CRI, Docker and
// Podman over the Engine API), seen from the outside: what berth left in the engine for a pod, a
// crash caused through the engine, and a cleanup by labels that works even after a failed test.
// Outside CI an engine that does not answer skips its suite (naming the script that starts it);
// with CI=true it fails, as in test/runtime/cri-harness.ts. BERTH_E2E_DUMP=/tmp/x writes each
// agent's log lines to /tmp/x-<engine>-<n>.log when a suite ends (for looking into a failure).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { ContainerStatus, Pod } from 'kubernetes-types/core/v1';
import { CriClient, isCriEndpoint } from '../../src/runtime/cri/index.js';
import { EngineClient, isDockerEndpoint, socketPathOf } from '../../src/runtime/docker/index.js';
import { containerState, freePort, NODE, startBerth, waitFor, workspace, type Berth, type Workspace } from './harness.js';

const run = promisify(execFile);

export type EngineKind = 'containerd' | 'docker' | 'podman';

export interface EngineSpec {
  kind: EngineKind;
  endpoint: string;
  /** The script that starts the engine and imports the test images. */
  script: string;
  /** How berth's container IDs start in the pod status. */
  idPrefix: string;
}

export const ENGINES: Record<EngineKind, EngineSpec> = {
  containerd: {
    kind: 'containerd',
    endpoint: process.env.BERTH_CRI_ENDPOINT ?? 'unix:///run/containerd/containerd.sock',
    script: 'scripts/containerd-up.sh',
    idPrefix: 'containerd://',
  },
  docker: {
    kind: 'docker',
    endpoint: process.env.BERTH_TEST_DOCKER_ENDPOINT ?? 'unix:///var/run/docker.sock',
    script: 'scripts/docker-up.sh',
    idPrefix: 'docker://',
  },
  podman: {
    kind: 'podman',
    endpoint: process.env.BERTH_TEST_PODMAN_ENDPOINT ?? 'unix:///run/podman/podman.sock',
    script: 'scripts/podman-up.sh',
    idPrefix: 'docker://',
  },
};

export const BUSYBOX = 'berth.test/busybox:1';
const PAUSE = 'registry.k8s.io/pause:3.6';

const LABEL_MANAGED = 'berth.managed';
const LABEL_NODE = 'berth.node';
const LABEL_POD_NAME = 'io.kubernetes.pod.name';
const LABEL_POD_UID = 'io.kubernetes.pod.uid';

/**
 * false when the engine answers and has the test images; else why the suite skips. With CI=true
 * it throws instead, so that the test file fails rather than passing empty.
 */
export async function engineSkipReason(spec: EngineSpec): Promise<string | false> {
  const reason = await unusable(spec).catch((err: Error) => `${spec.kind} at ${spec.endpoint} failed: ${err.message}`);
  if (!reason) return false;
  const full = `${reason}; start it with \`bash ${spec.script}\` (as root)`;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${full}`);
  return full;
}

async function unusable(spec: EngineSpec): Promise<string | undefined> {
  if (spec.kind === 'containerd') {
    if (!(await isCriEndpoint(spec.endpoint, 2000))) return `containerd does not answer at ${spec.endpoint}`;
    const client = new CriClient(spec.endpoint);
    try {
      for (const image of [BUSYBOX, PAUSE]) {
        const status = await client.call<{ image: unknown }>('ImageService', 'ImageStatus', { image: { image } });
        if (!status.image) return `the test image ${image} is missing in containerd`;
      }
    } finally {
      client.close();
    }
    return undefined;
  }
  if (!(await isDockerEndpoint(spec.endpoint, 2000))) return `${spec.kind} does not answer at ${spec.endpoint}`;
  const client = new EngineClient(spec.endpoint);
  try {
    const version = await client.json<{ Components?: Array<{ Name: string }> }>('GET', '/version');
    const isPodman = (version?.Components ?? []).some((c) => /podman/i.test(c.Name));
    if (isPodman !== (spec.kind === 'podman')) return `${spec.endpoint} is ${isPodman ? 'Podman' : 'Docker'}, not ${spec.kind}`;
    for (const image of [BUSYBOX, PAUSE]) {
      if (!(await client.json('GET', `/images/${image}/json`))) return `the test image ${image} is missing in ${spec.kind}`;
    }
  } finally {
    client.close();
  }
  return undefined;
}

/** One sandbox or container berth made, as the engine lists it. */
export interface EngineObject {
  id: string;
  kind: 'sandbox' | 'container';
  /** The engine's name (Docker/Podman: without the leading slash; CRI: metadata name). */
  name: string;
  podName: string;
  podUid: string;
  running: boolean;
  labels: Record<string, string>;
}

export interface Engine {
  readonly spec: EngineSpec;
  /** What berth (any node's) left in the engine for these pods (full names like static-web-my-node1) or this uid. */
  objects(match: { podNames?: string[]; podUid?: string }): Promise<EngineObject[]>;
  /** Makes the container die through the engine: containerd `ctr tasks kill -s SIGKILL`; Docker/Podman stop (n=0) or kill. */
  crash(containerId: string, n: number): Promise<void>;
  /** How the engine says the container ended (state, exit code, reason), for a failure message. */
  describe(containerId: string): Promise<string>;
  /** Removes every container and sandbox labelled for these pods (cleanup, also after a failure). */
  purge(podNames: string[]): Promise<void>;
  close(): void;
}

export function openEngine(spec: EngineSpec): Engine {
  return spec.kind === 'containerd' ? new ContainerdEngine(spec) : new DockerEngine(spec);
}

function matches(labels: Record<string, string>, match: { podNames?: string[]; podUid?: string }): boolean {
  if (match.podUid !== undefined && labels[LABEL_POD_UID] !== match.podUid) return false;
  if (match.podNames !== undefined && !match.podNames.includes(labels[LABEL_POD_NAME] ?? '')) return false;
  return true;
}

class ContainerdEngine implements Engine {
  private readonly client: CriClient;
  constructor(readonly spec: EngineSpec) {
    this.client = new CriClient(spec.endpoint);
  }

  async objects(match: { podNames?: string[]; podUid?: string }): Promise<EngineObject[]> {
    const labelSelector: Record<string, string> = { [LABEL_MANAGED]: 'true' };
    if (match.podUid !== undefined) labelSelector[LABEL_POD_UID] = match.podUid;
    type Item = { id: string; state: string; labels: Record<string, string>; metadata: { name: string } | null };
    const { items } = await this.client.call<{ items: Item[] }>('RuntimeService', 'ListPodSandbox', { filter: { labelSelector } });
    const { containers } = await this.client.call<{ containers: Item[] }>('RuntimeService', 'ListContainers', { filter: { labelSelector } });
    const out: EngineObject[] = [];
    for (const [kind, list] of [['sandbox', items], ['container', containers]] as const) {
      for (const o of list) {
        if (!matches(o.labels, match)) continue;
        out.push({
          id: o.id,
          kind,
          name: o.metadata?.name ?? '',
          podName: o.labels[LABEL_POD_NAME] ?? '',
          podUid: o.labels[LABEL_POD_UID] ?? '',
          running: o.state === 'SANDBOX_READY' || o.state === 'CONTAINER_RUNNING',
          labels: o.labels,
        });
      }
    }
    return out;
  }

  async describe(containerId: string): Promise<string> {
    const { status } = await this.client.call<{ status: Record<string, unknown> }>('RuntimeService', 'ContainerStatus', { containerId });
    const { state, exitCode, reason, message, finishedAt } = status;
    return JSON.stringify({ state, exitCode, reason, message, finishedAt });
  }

  async crash(containerId: string): Promise<void> {
    const address = socketPathOf(this.spec.endpoint);
    await run('ctr', ['--address', address, '--connect-timeout', '2s', '-n', 'k8s.io', 'tasks', 'kill', '-s', 'SIGKILL', containerId]);
  }

  async purge(podNames: string[]): Promise<void> {
    const all = await this.objects({ podNames });
    // Removing a sandbox removes its containers with it.
    for (const s of all.filter((o) => o.kind === 'sandbox')) {
      await this.client.call('RuntimeService', 'StopPodSandbox', { podSandboxId: s.id }, 60_000).catch(() => undefined);
      await this.client.call('RuntimeService', 'RemovePodSandbox', { podSandboxId: s.id }, 60_000).catch(() => undefined);
    }
    for (const c of await this.objects({ podNames }).catch(() => [])) {
      if (c.kind !== 'container') continue;
      await this.client.call('RuntimeService', 'StopContainer', { containerId: c.id, timeout: 0 }, 60_000).catch(() => undefined);
      await this.client.call('RuntimeService', 'RemoveContainer', { containerId: c.id }, 60_000).catch(() => undefined);
    }
  }

  close(): void {
    this.client.close();
  }
}

class DockerEngine implements Engine {
  private readonly client: EngineClient;
  constructor(readonly spec: EngineSpec) {
    this.client = new EngineClient(spec.endpoint);
  }

  async objects(match: { podNames?: string[]; podUid?: string }): Promise<EngineObject[]> {
    const label = [`${LABEL_MANAGED}=true`];
    if (match.podUid !== undefined) label.push(`${LABEL_POD_UID}=${match.podUid}`);
    type Summary = { Id: string; Names: string[] | null; Labels: Record<string, string> | null; State: string };
    const list = (await this.client.json<Summary[]>('GET', '/containers/json', { query: { all: true, filters: JSON.stringify({ label }) } })) ?? [];
    return list
      .filter((c) => matches(c.Labels ?? {}, match))
      .map((c) => ({
        id: c.Id,
        kind: c.Labels?.['io.kubernetes.docker.type'] === 'podsandbox' ? ('sandbox' as const) : ('container' as const),
        name: (c.Names?.[0] ?? '').replace(/^\//, ''),
        podName: c.Labels?.[LABEL_POD_NAME] ?? '',
        podUid: c.Labels?.[LABEL_POD_UID] ?? '',
        running: c.State === 'running',
        labels: c.Labels ?? {},
      }));
  }

  async describe(containerId: string): Promise<string> {
    const inspected = await this.client.json<{ State: unknown }>('GET', `/containers/${containerId}/json`);
    return JSON.stringify(inspected?.State);
  }

  async crash(containerId: string, n: number): Promise<void> {
    // `docker stop -t 0` the first time (SIGTERM, then SIGKILL at once), `docker kill` after.
    if (n === 0) await this.client.call('POST', `/containers/${containerId}/stop`, { query: { t: 0 } }, [304]);
    else await this.client.call('POST', `/containers/${containerId}/kill`, { query: { signal: 'KILL' } });
  }

  async purge(podNames: string[]): Promise<void> {
    const all = await this.objects({ podNames });
    // App containers first: they live in their sandbox's namespaces.
    const ordered = [...all.filter((o) => o.kind === 'container'), ...all.filter((o) => o.kind === 'sandbox')];
    for (const o of ordered) {
      await this.client.call('DELETE', `/containers/${o.id}`, { query: { force: true, v: true } }, [404]).catch(() => undefined);
    }
  }

  close(): void {
    this.client.close();
  }
}

// ---- the story of issue 4, the same on every engine -------------------------------------------

/** The pods of the story (full names); the cleanup removes whatever the engine holds for them. */
const STORY_PODS = ['static-web', 'hostport', 'logs', 'neverpull', 'pullfail', 'nocmd', 'crashloop', 'portclash', 'ghost'].map(
  (n) => `${n}-${NODE}`,
);

function pod(name: string, spec: Record<string, unknown>): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: name } }, spec: { terminationGracePeriodSeconds: 1, ...spec } });
}

/** A pod on its own network (a sandbox) whose httpd serves `text` on containerPort 8080 = hostPort. */
function hostPortPod(name: string, text: string, hostPort: number): string {
  return pod(name, {
    containers: [
      {
        name: 'web',
        image: BUSYBOX,
        command: ['sh', '-c', `mkdir -p /www && echo ${text} > /www/index.html && exec httpd -f -p 8080 -h /www`],
        ports: [{ containerPort: 8080, hostPort }],
      },
    ],
  });
}

/** A container that ends at once on SIGTERM (a shell as PID 1 ignores it unless trapped). */
const SLEEPER = `trap 'exit 0' TERM; sleep 3600 & wait`;

async function http(port: number): Promise<{ status: number; body: string } | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) });
    return { status: res.status, body: await res.text() };
  } catch {
    return undefined;
  }
}

function idOf(status: ContainerStatus | undefined): string {
  return (status?.containerID ?? '').replace(/^[a-z]+:\/\//, '');
}

/**
 * Registers the story's suite for one engine: every step drives the real `./bin/berth run` with
 * --container-runtime-endpoint and checks the result both on berth's endpoints and in the engine.
 */
export function engineStory(spec: EngineSpec, skip: string | false): void {
  describe(`issue 4 on ${spec.kind} (${spec.endpoint})`, { skip }, () => {
    let ws: Workspace;
    let engine: Engine;
    let berth: Berth;
    const berths: Berth[] = [];
    let webPort = 0;
    let hostPort = 0;
    let blocker: Server | undefined;
    const full = (name: string) => `${name}-${NODE}`;

    const startAgent = async () => {
      berth = await startBerth(ws, [`--container-runtime-endpoint=${spec.endpoint}`]);
      berths.push(berth);
    };
    const status = async (name: string, container = 'main') => containerState(await berth.pod(full(name)), container);
    const running = (name: string, container = 'main', also: (c: ContainerStatus, p: Pod) => boolean = () => true) =>
      waitFor(async () => {
        const p = await berth.pod(full(name));
        const c = containerState(p, container);
        return p && c?.state?.running && also(c, p) ? { pod: p, c } : undefined;
      }, `${name} running`, 30_000);
    const waiting = (name: string, reasons: string[], container = 'main', timeoutMs = 30_000) =>
      waitFor(async () => {
        const c = await status(name, container);
        return c?.state?.waiting?.reason && reasons.includes(c.state.waiting.reason) ? c : undefined;
      }, `${name} waiting with ${reasons.join(' or ')}`, timeoutMs);
    /** Waits until berth no longer lists the pod and the engine holds nothing labelled with its uid. */
    const gone = (name: string, uid: string) =>
      waitFor(async () => {
        if (await berth.pod(full(name))) return undefined;
        const left = await engine.objects({ podUid: uid });
        return left.length === 0 || undefined;
      }, `${name} (uid ${uid}) gone from berth and from ${spec.kind}`, 30_000);

    before(async () => {
      ws = workspace();
      engine = openEngine(spec);
      await engine.purge(STORY_PODS); // what an interrupted earlier run may have left
      webPort = await freePort();
      hostPort = await freePort();
      ws.write(
        'static-web.yaml',
        `apiVersion: v1
kind: Pod
metadata:
  name: static-web
  labels:
    role: myrole
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 1
  containers:
    - name: web
      image: ${BUSYBOX}
      imagePullPolicy: IfNotPresent
      command: ["httpd", "-f", "-p", "${webPort}"]
`,
      );
      ws.write('hostport.yaml', hostPortPod('hostport', 'hostport-v1', hostPort));
      ws.write('logs.yaml', pod('logs', { containers: [{ name: 'main', image: BUSYBOX, command: ['sh', '-c', `echo line-one; echo line-two; echo line-three >&2; ${SLEEPER}`] }] }));
      await startAgent();
    });

    after(async () => {
      if (process.env.BERTH_E2E_DUMP) {
        const { writeFileSync } = await import('node:fs');
        berths.forEach((b, i) => writeFileSync(`${process.env.BERTH_E2E_DUMP}-${spec.kind}-${i}.log`, b.logs.map((l) => JSON.stringify(l)).join('\n')));
      }
      for (const b of berths) {
        const timer = setTimeout(() => b.proc.kill('SIGKILL'), 10_000);
        await b.stop();
        clearTimeout(timer);
      }
      await new Promise<void>((r) => (blocker ? blocker.close(() => r()) : r()));
      if (engine) {
        await engine.purge(STORY_PODS).catch((err: unknown) => console.error(`cleanup of ${spec.kind} failed: ${String(err)}`));
        engine.close();
      }
      await ws?.cleanup();
    });

    it('1. static-web (hostNetwork) runs: its port answers, /pods shows it Running with the engine container ID', async () => {
      const { pod: p, c } = await running('static-web', 'web');
      assert.equal(p.status?.phase, 'Running');
      assert.equal(c.restartCount, 0);
      assert.match(c.containerID ?? '', new RegExp(`^${spec.idPrefix}[0-9a-f]{64}$`));
      const answer = await waitFor(() => http(webPort), `static-web answers on ${webPort}`);
      assert.ok(answer.status > 0, 'busybox httpd answers (404 for / without an index)');
      const uid = p.metadata!.uid!;
      const objects = await engine.objects({ podUid: uid });
      const container = objects.find((o) => o.id === idOf(c));
      if (!container?.running) {
        const ended = await engine.describe(idOf(c)).catch((err: unknown) => String(err));
        const mentions = berth.logs.filter((l) => JSON.stringify(l).includes(idOf(c).slice(0, 12)) || l.level === 'warn' || l.level === 'error');
        assert.fail(`${spec.kind} runs container ${idOf(c)}: ${JSON.stringify(objects)}\nthe engine says: ${ended}\nthe agent logged:\n${mentions.map((l) => JSON.stringify(l)).join('\n')}`);
      }
      assert.equal(container.kind, 'container');
      assert.equal(container.labels['io.kubernetes.pod.name'], full('static-web'));
      assert.equal(container.labels['berth.managed'], 'true');
      assert.equal(container.labels[LABEL_NODE], NODE, 'labelled with its node: agents sharing an engine keep apart');
      const sandboxes = objects.filter((o) => o.kind === 'sandbox');
      if (spec.kind === 'containerd') {
        assert.equal(sandboxes.length, 1, 'containerd: the pod has one sandbox');
        assert.ok(sandboxes[0]!.running, 'sandbox ready');
        assert.equal(sandboxes[0]!.name, full('static-web'));
        assert.equal(sandboxes[0]!.labels[LABEL_NODE], NODE);
      } else {
        assert.equal(sandboxes.length, 0, 'docker: a hostNetwork pod needs no pause container');
        assert.equal(container.name, `k8s_web_static-web-${NODE}_default_${uid}_0`, '`docker ps` shows the kubelet name');
      }
    });

    it('2. a pod on its own network answers on its hostPort', async () => {
      const { pod: p, c } = await running('hostport', 'web');
      const answer = await waitFor(async () => {
        const r = await http(hostPort);
        return r?.body === 'hostport-v1\n' ? r : undefined;
      }, `hostport answers on ${hostPort}`);
      assert.equal(answer.status, 200);
      assert.ok(p.status?.podIP && p.status.podIP !== p.status.hostIP, `a pod IP of its own: ${p.status?.podIP} (host ${p.status?.hostIP})`);
      const uid = p.metadata!.uid!;
      const objects = await engine.objects({ podUid: uid });
      const sandboxes = objects.filter((o) => o.kind === 'sandbox');
      assert.equal(sandboxes.length, 1, `one sandbox: ${JSON.stringify(objects)}`);
      assert.ok(sandboxes[0]!.running);
      if (spec.kind !== 'containerd') {
        assert.equal(sandboxes[0]!.name, `k8s_POD_hostport-${NODE}_default_${uid}_0`);
        assert.equal(objects.find((o) => o.id === idOf(c))?.name, `k8s_web_hostport-${NODE}_default_${uid}_0`);
      }
    });

    it("5. /containerLogs shows the container's output", async () => {
      const path = `/containerLogs/default/${full('logs')}/main`;
      const body = await waitFor(async () => {
        const r = await berth.get(path);
        return r.status === 200 && ['line-one', 'line-two', 'line-three'].every((l) => r.body.includes(l)) ? r.body : undefined;
      }, 'logs output');
      const lines = body.trimEnd().split('\n');
      assert.deepEqual([...lines].sort(), ['line-one', 'line-three', 'line-two'], body);
      assert.ok(lines.indexOf('line-one') < lines.indexOf('line-two'), 'stdout in order');
      assert.equal((await berth.get(`/containerLogs/default/${full('logs')}/main?tailLines=1`)).body.split('\n').length, 2);
    });

    it('3. a container killed through the engine is restarted at once, the second crash backs off', async () => {
      const c0 = (await status('static-web', 'web'))!;
      assert.equal(c0.restartCount, 0);
      await engine.crash(idOf(c0), 0);
      const { c: c1 } = await running('static-web', 'web', (c) => c.restartCount === 1 && c.containerID !== c0.containerID);
      assert.ok(c1.lastState?.terminated, 'the crash is the last state');
      assert.equal(c1.lastState.terminated.containerID, c0.containerID);
      await waitFor(() => http(webPort), 'static-web answers again');
      const after1 = await engine.objects({ podUid: (await berth.pod(full('static-web')))!.metadata!.uid! });
      assert.ok(after1.some((o) => o.id === idOf(c1) && o.running), `the new container runs in ${spec.kind}`);

      await engine.crash(idOf(c1), 1);
      const w = await waiting('static-web', ['CrashLoopBackOff'], 'web');
      assert.match(w.state!.waiting!.message ?? '', new RegExp(`^back-off 10s restarting failed container=web pod=static-web-${NODE}_default\\(`));
      assert.equal(w.restartCount, 1);
      assert.equal(w.lastState?.terminated?.exitCode, 137);
      assert.equal((await berth.pod(full('static-web')))?.status?.phase, 'Running', 'CrashLoopBackOff with restartPolicy Always is Running');
    });

    it('7. bad input shows in the status, the rest keeps running', async () => {
      const clashPort = await freePort();
      blocker = createServer();
      await new Promise<void>((r) => blocker!.listen(clashPort, '0.0.0.0', () => r()));
      ws.write('neverpull.yaml', pod('neverpull', { containers: [{ name: 'main', image: 'berth.test/absent:1', imagePullPolicy: 'Never', command: ['sh', '-c', SLEEPER] }] }));
      ws.write('pullfail.yaml', pod('pullfail', { containers: [{ name: 'main', image: 'nosuch.invalid/x:1', imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', SLEEPER] }] }));
      ws.write('nocmd.yaml', pod('nocmd', { containers: [{ name: 'main', image: BUSYBOX, command: ['/no/such/binary'] }] }));
      ws.write('crashloop.yaml', pod('crashloop', { containers: [{ name: 'main', image: BUSYBOX, command: ['sh', '-c', 'echo bye; exit 1'] }] }));
      ws.write('portclash.yaml', hostPortPod('portclash', 'clash', clashPort));

      const pullReasons: string[] = [];
      const [never, pullBackOff, nocmd, loop, clash] = await Promise.all([
        waiting('neverpull', ['ErrImageNeverPull']),
        waitFor(async () => {
          const reason = (await status('pullfail'))?.state?.waiting?.reason;
          if (reason && pullReasons.at(-1) !== reason) pullReasons.push(reason);
          return reason === 'ImagePullBackOff' ? status('pullfail') : undefined;
        }, 'pullfail ImagePullBackOff', 60_000),
        waiting('nocmd', ['RunContainerError', 'CrashLoopBackOff']),
        waiting('crashloop', ['CrashLoopBackOff']),
        waitFor(async () => {
          const c = await status('portclash', 'web');
          return c?.state?.waiting?.message?.includes(String(clashPort)) ? c : undefined;
        }, `portclash shows an error naming host port ${clashPort}`),
      ]);
      assert.match(never.state!.waiting!.message ?? '', /berth\.test\/absent:1.*Never/);
      assert.equal((await berth.pod(full('neverpull')))?.status?.phase, 'Pending');
      assert.ok(pullReasons.includes('ErrImagePull'), `ErrImagePull before ImagePullBackOff: ${pullReasons.join(' -> ')}`);
      assert.ok(pullReasons.indexOf('ErrImagePull') < pullReasons.indexOf('ImagePullBackOff'));
      assert.match(pullBackOff!.state!.waiting!.message ?? '', /nosuch\.invalid\/x:1/);
      if (nocmd.state!.waiting!.reason === 'RunContainerError') assert.match(nocmd.state!.waiting!.message ?? '', /\/no\/such\/binary/);
      assert.equal(loop.lastState?.terminated?.exitCode, 1);
      assert.ok(loop.restartCount >= 1);
      assert.equal(clash.state!.waiting!.reason, 'CreatePodSandboxError');
      assert.equal((await berth.pod(full('portclash')))?.status?.phase, 'Pending');

      // berth kept going, and the good pods are untouched.
      assert.equal(berth.proc.exitCode, null, 'berth still runs');
      assert.equal((await berth.get('/healthz')).status, 200);
      assert.equal((await http(hostPort))?.body, 'hostport-v1\n');
      assert.ok((await status('logs'))?.state?.running);

      // Removing the bad pods leaves nothing of them in the engine.
      const uids = await Promise.all(['neverpull', 'pullfail', 'nocmd', 'crashloop', 'portclash'].map(async (n) => [n, (await berth.pod(full(n)))!.metadata!.uid!] as const));
      for (const [n] of uids) rmSync(join(ws.manifests, `${n}.yaml`));
      for (const [n, uid] of uids) await gone(n, uid);
    });

    it('7b. a pod removed while its container is being created leaves nothing behind', async () => {
      ws.write('ghost.yaml', pod('ghost', { containers: [{ name: 'main', image: BUSYBOX, command: ['sh', '-c', SLEEPER] }] }));
      const p = await waitFor(() => berth.pod(full('ghost')), 'ghost listed', 10_000);
      rmSync(join(ws.manifests, 'ghost.yaml'));
      const uid = p.metadata!.uid!;
      await gone('ghost', uid);
      await new Promise((r) => setTimeout(r, 1000));
      assert.deepEqual(await engine.objects({ podUid: uid }), [], 'still nothing a second later');
      assert.equal(existsSync(join(ws.logs, `default_${full('ghost')}_${uid}`)), false, 'no log folder left');
    });

    it('4. manifest removed: pod gone from the engine; back: running; changed: replaced (new uid)', async () => {
      const manifest = join(ws.manifests, 'hostport.yaml');
      const aside = join(ws.dir, 'hostport.yaml');
      const uid = (await berth.pod(full('hostport')))!.metadata!.uid!;
      renameSync(manifest, aside);
      await gone('hostport', uid);
      await waitFor(async () => (await http(hostPort)) === undefined || undefined, 'host port closed');

      renameSync(aside, manifest);
      const { pod: back, c } = await running('hostport', 'web');
      assert.equal(back.metadata?.uid, uid, 'the same manifest is the same pod');
      assert.equal(c.restartCount, 0, 'a pod that comes back starts afresh');
      await waitFor(async () => ((await http(hostPort))?.body === 'hostport-v1\n' ? true : undefined), 'hostport answers again');

      ws.write('hostport.yaml', hostPortPod('hostport', 'hostport-v2', hostPort));
      const { pod: changed } = await running('hostport', 'web', (_c, p) => p.metadata?.uid !== uid);
      await waitFor(async () => ((await http(hostPort))?.body === 'hostport-v2\n' ? true : undefined), 'the changed pod answers');
      assert.deepEqual(await engine.objects({ podUid: uid }), [], 'nothing of the old pod left');
      assert.equal((await berth.pods()).filter((x) => x.metadata?.name === full('hostport')).length, 1);
      assert.ok((await engine.objects({ podUid: changed.metadata!.uid! })).some((o) => o.kind === 'sandbox' && o.running));
    });

    it('6. after kill -9 of berth, running containers are adopted and a vanished pod is removed', async () => {
      const hp = (await running('hostport', 'web')).c;
      const logsPod = (await berth.pod(full('logs')))!;
      const logsUid = logsPod.metadata!.uid!;
      assert.ok((await engine.objects({ podUid: logsUid })).length > 0);

      assert.equal(await berth.stop('SIGKILL'), null);
      rmSync(join(ws.manifests, 'logs.yaml'));
      assert.ok((await engine.objects({ podUid: logsUid })).some((o) => o.running), 'containers outlive the agent');
      await startAgent();

      const adopted = (await waitFor(async () => status('hostport', 'web'), 'hostport listed'))!;
      assert.ok(adopted.state?.running, 'still running');
      assert.equal(adopted.containerID, hp.containerID, 'adopted: the same container');
      assert.equal(adopted.restartCount, hp.restartCount);
      assert.equal(adopted.state.running.startedAt, hp.state!.running!.startedAt, 'not restarted');
      assert.equal((await http(hostPort))?.body, 'hostport-v2\n');
      const uid = (await berth.pod(full('hostport')))!.metadata!.uid!;
      assert.equal((await engine.objects({ podUid: uid })).filter((o) => o.kind === 'container').length, 1, 'no second container');

      await gone('logs', logsUid);
      // The folder goes last, after the engine's objects.
      await waitFor(() => !existsSync(join(ws.logs, `default_${full('logs')}_${logsUid}`)) || undefined, 'its log folder gone too');
    });

    it("6b. an agent of another node on the same engine leaves this node's pods alone", async () => {
      const before = (await running('hostport', 'web')).c;
      const other = workspace();
      try {
        const stranger = await startBerth(other, [`--container-runtime-endpoint=${spec.endpoint}`, '--hostname-override=other-node']);
        berths.push(stranger);
        assert.deepEqual(await stranger.pods(), []);
        await stranger.stop();
        assert.ok(!stranger.logs.some((l) => l.msg === 'stopping pod whose manifest is gone'), 'it stopped none of our pods');
      } finally {
        await other.cleanup();
      }
      const now = (await status('hostport', 'web'))!;
      assert.equal(now.containerID, before.containerID);
      assert.ok(now.state?.running);
      assert.ok((await engine.objects({ podUid: (await berth.pod(full('hostport')))!.metadata!.uid! })).some((o) => o.id === idOf(now) && o.running));
    });

    it('leaves nothing behind once every manifest is gone', async () => {
      for (const f of readdirSync(ws.manifests)) rmSync(join(ws.manifests, f));
      await waitFor(async () => (await berth.pods()).length === 0 || undefined, 'no pods');
      assert.deepEqual(await engine.objects({ podNames: STORY_PODS }), []);
      assert.deepEqual(readdirSync(ws.logs), [], 'no pod log folders');
      await waitFor(async () => (await http(webPort)) === undefined || undefined, 'static-web port closed');
    });
  });
}
