// Streaming benchmarks (issue 8): what kubectl exec and port-forward cost through berth (kubectl ->
// embedded API -> node API -> runtime) against going straight to the engine or the port.
//   exec-latency:  `kubectl exec POD -- true` through berth on Docker vs `docker exec CONTAINER true`
//                  on the same container (ratio of medians <= 150 %); the process runtime's median.
//   pf-throughput: 256 MB read through a port-forward vs straight from the port (throughput ratio
//                  >= 0.3, i.e. time ratio <= 333 %), berth's RSS growth during it (flat: no buffering).
//   exec-20:       20 concurrent `kubectl exec` sessions: berth's RSS and CPU.
import { spawn, spawnSync } from 'node:child_process';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import type { Benchmark, Check, Outcome, Unit } from './core.js';
import { createEnv, NODE_NAME, type BenchEnv } from './lib/berth.js';
import { freePorts } from './lib/http-probe.js';
import { readKubeconfig } from './lib/kube.js';
import { DOCKER_CLI, DOCKER_HOST, dockerUnavailable } from './lib/peers.js';
import { clockTicksPerSecond, cpuTicks, sleep, statusKb } from './lib/proc.js';
import { round, summarize } from './lib/stats.js';

const BUSYBOX = 'berth.test/busybox:1';
const EXEC_RUNS = 20;
const WARMUP = 2;
const PF_BYTES = 256 << 20;
const SESSIONS = 20;

const check = (label: string, value: number, unit: Unit, target?: number): Check =>
  target === undefined ? { label, value: round(value), unit } : { label, value: round(value), unit, target, ok: value <= target };

const sleeperPod = (name: string, image: string) =>
  JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image, command: ['sleep', '3600'] }] } });

/** Starts berth with the API on, writes the pod and waits until kubectl can exec into it. */
async function agentWithPod(env: BenchEnv, name: string, image: string, flags: string[]): Promise<{ kubeconfig: string; pod: string }> {
  await env.startBerth(['--api-port=0', ...flags]);
  const kubeconfig = join(env.root, 'kubeconfig');
  env.writeManifest(name, sleeperPod(name, image));
  const pod = `${name}-${NODE_NAME}`;
  const deadline = Date.now() + 120_000;
  while (kubectl(kubeconfig, ['exec', pod, '--', 'true']).code !== 0) {
    if (Date.now() > deadline) throw new Error(`bench: kubectl exec into ${pod} did not work within 120 s`);
    await sleep(500);
  }
  return { kubeconfig, pod };
}

function kubectl(kubeconfig: string, args: string[]): { code: number | null; ms: number; err: string } {
  const t = performance.now();
  const r = spawnSync('kubectl', args, { encoding: 'utf8', env: { ...process.env, KUBECONFIG: kubeconfig }, timeout: 60_000 });
  return { code: r.status, ms: performance.now() - t, err: r.stderr ?? '' };
}

function timed(file: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const t = performance.now();
  const r = spawnSync(file, args, { encoding: 'utf8', env, timeout: 60_000 });
  if (r.status !== 0) throw new Error(`bench: ${file} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return performance.now() - t;
}

/** Alternates the two commands run after run, so load changes hit both alike. */
function interleaved(a: () => number, b: () => number): { a: number[]; b: number[] } {
  const out = { a: [] as number[], b: [] as number[] };
  for (let i = 0; i < WARMUP + EXEC_RUNS; i++) {
    const x = a();
    const y = b();
    if (i >= WARMUP) out.a.push(x), out.b.push(y);
  }
  return out;
}

const execLatency: Benchmark = {
  id: 'exec-latency',
  title: 'kubectl exec POD -- true through berth (Docker) vs docker exec on the same container; process runtime',
  async run(): Promise<Outcome> {
    const checks: Check[] = [];
    const raw: Record<string, unknown> = {};
    const down = await dockerUnavailable(BUSYBOX);
    if (down) {
      raw.dockerNotRun = down;
    } else {
      const env = createEnv('exec-docker');
      try {
        const { kubeconfig, pod } = await agentWithPod(env, 'bexec', BUSYBOX, [`--container-runtime-endpoint=${DOCKER_HOST}`]);
        const id = (await env.berth!.pods()).items.find((p) => p.metadata?.name === pod)!.status!.containerStatuses![0]!.containerID!.replace('docker://', '');
        const env1 = { ...process.env, KUBECONFIG: kubeconfig };
        const runs = interleaved(
          () => timed('kubectl', ['exec', pod, '--', 'true'], env1),
          () => timed(DOCKER_CLI, ['-H', DOCKER_HOST, 'exec', id, 'true']),
        );
        const berth = summarize(runs.a);
        const docker = summarize(runs.b);
        checks.push(
          check('exec-latency: kubectl exec -- true via berth (Docker), median', berth.median, 'ms'),
          check('exec-latency: docker exec CONTAINER true, median', docker.median, 'ms'),
          check('exec-latency: berth / docker (ratio of medians)', (berth.median / docker.median) * 100, '%', 150),
        );
        raw.docker = { berth, docker, berthMs: runs.a, dockerMs: runs.b };
      } finally {
        await env.cleanup();
        spawnSync(DOCKER_CLI, ['-H', DOCKER_HOST, 'rm', '-f', ...dockerIds(`bexec-${NODE_NAME}`)]);
      }
    }
    const env = createEnv('exec-process');
    try {
      const { kubeconfig, pod } = await agentWithPod(env, 'pexec', 'busybox', []);
      const ms: number[] = [];
      for (let i = 0; i < WARMUP + EXEC_RUNS; i++) {
        const t = timed('kubectl', ['exec', pod, '--', 'true'], { ...process.env, KUBECONFIG: kubeconfig });
        if (i >= WARMUP) ms.push(t);
      }
      const s = summarize(ms);
      checks.push(check('exec-latency: kubectl exec -- true via berth (process runtime), median', s.median, 'ms'));
      raw.process = { summary: s, ms };
    } finally {
      await env.cleanup();
    }
    raw.loadavg = loadavg();
    return { checks, breakdown: [], raw };
  },
};

function dockerIds(podName: string): string[] {
  const r = spawnSync(DOCKER_CLI, ['-H', DOCKER_HOST, 'ps', '-aq', '--filter', `label=io.kubernetes.pod.name=${podName}`], { encoding: 'utf8' });
  return (r.stdout ?? '').split('\n').filter(Boolean);
}

/** A server that sends `bytes` zero bytes to every connection, then ends it. */
function source(port: number, bytes: number): Promise<Server> {
  const chunk = Buffer.alloc(1 << 20);
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    let left = bytes;
    const pump = (): void => {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        if (!socket.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void socket.once('drain', pump);
      }
      socket.end();
    };
    pump();
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

/** Reads everything from 127.0.0.1:port; resolves with the bytes and ms it took. */
function drain(port: number): Promise<{ bytes: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    let bytes = 0;
    const s: Socket = connect(port, '127.0.0.1');
    s.on('data', (d: Buffer) => (bytes += d.length));
    s.on('end', () => resolve({ bytes, ms: performance.now() - t }));
    s.on('error', reject);
  });
}

/**
 * A local listener that forwards each connection over the embedded API's WebSocket port-forward
 * (v4.channel.k8s.io, as the official Python client does): the path kubectl 1.32 would take, minus
 * its SPDY-in-WebSocket tunnel (which needs the SPDY layer).
 */
function webSocketForwarder(kubeconfig: string, pod: string, remotePort: number, localPort: number): Promise<Server> {
  const api = readKubeconfig(kubeconfig);
  const server = createServer((local) => {
    const ws = new WebSocket(`${api.url.replace(/^https/, 'wss')}/api/v1/namespaces/default/pods/${pod}/portforward?ports=${remotePort}`, ['v4.channel.k8s.io'], {
      ca: api.caPem,
      headers: { Authorization: `Bearer ${api.token}` },
    });
    const seen = new Set<number>();
    ws.on('message', (data: Buffer) => {
      const channel = data[0]!;
      // Each channel's first message is the port number.
      if (!seen.has(channel)) return void seen.add(channel);
      if (channel === 0 && !local.write(data.subarray(1))) {
        ws.pause();
        local.once('drain', () => ws.resume());
      }
    });
    ws.on('close', () => local.end());
    ws.on('error', () => local.destroy());
    local.on('data', (d: Buffer) => ws.readyState === WebSocket.OPEN && ws.send(Buffer.concat([Buffer.from([0]), d])));
    local.on('error', () => ws.terminate());
  });
  return new Promise((resolve) => server.listen(localPort, '127.0.0.1', () => resolve(server)));
}

async function kubectlPortForward(kubeconfig: string, pod: string, remotePort: number, localPort: number): Promise<() => void> {
  const child = spawn('kubectl', ['port-forward', `pod/${pod}`, `${localPort}:${remotePort}`], { env: { ...process.env, KUBECONFIG: kubeconfig } });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 60_000;
  while (!out.includes('Forwarding from')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill();
      throw new Error(`kubectl port-forward did not start: ${out.trim()}`);
    }
    await sleep(100);
  }
  return () => child.kill();
}

/** Samples berth's RSS every 100 ms while `work` runs; resolves with its result and the RSS peak (MB). */
async function withRss<T>(pid: number, work: () => Promise<T>): Promise<{ result: T; beforeMb: number; peakMb: number }> {
  const beforeMb = statusKb(pid, 'VmRSS') / 1024;
  let peakMb = beforeMb;
  const timer = setInterval(() => (peakMb = Math.max(peakMb, statusKb(pid, 'VmRSS') / 1024)), 100);
  try {
    const result = await work();
    return { result, beforeMb, peakMb: Math.max(peakMb, statusKb(pid, 'VmRSS') / 1024) };
  } finally {
    clearInterval(timer);
  }
}

const pfThroughput: Benchmark = {
  id: 'pf-throughput',
  title: '256 MB through a port-forward (process runtime, host network) vs straight from the port',
  async run(): Promise<Outcome> {
    const env = createEnv('pf');
    const [targetPort, wsPort, kubectlPort] = await freePorts(3);
    const target = await source(targetPort!, PF_BYTES);
    try {
      const { kubeconfig, pod } = await agentWithPod(env, 'pf', 'busybox', []);
      const pid = env.berth!.pid;
      const direct = await drain(targetPort!);
      const checks: Check[] = [];
      const raw: Record<string, unknown> = { directMs: direct.ms };
      checks.push(check('pf-throughput: 256 MB straight from the port (MB/s)', (PF_BYTES / (1 << 20)) / (direct.ms / 1000), 'MB'));
      const forwarder = await webSocketForwarder(kubeconfig, pod, targetPort!, wsPort!);
      try {
        const ws = await withRss(pid, () => drain(wsPort!));
        if (ws.result.bytes !== PF_BYTES) throw new Error(`the WebSocket port-forward delivered ${ws.result.bytes} of ${PF_BYTES} bytes`);
        checks.push(
          check('pf-throughput: 256 MB via berth, WebSocket v4 (MB/s)', (PF_BYTES / (1 << 20)) / (ws.result.ms / 1000), 'MB'),
          check('pf-throughput: WebSocket v4 time / direct time (<= 333 % = throughput ratio >= 0.3)', (ws.result.ms / direct.ms) * 100, '%', 333),
          check('pf-throughput: berth RSS growth during the WebSocket transfer', ws.peakMb - ws.beforeMb, 'MB', 64),
        );
        raw.webSocket = { ms: ws.result.ms, rssBeforeMb: ws.beforeMb, rssPeakMb: ws.peakMb };
      } finally {
        forwarder.close();
      }
      try {
        const stop = await kubectlPortForward(kubeconfig, pod, targetPort!, kubectlPort!);
        try {
          const k = await withRss(pid, () => drain(kubectlPort!));
          checks.push(
            check('pf-throughput: 256 MB via kubectl port-forward (MB/s)', (PF_BYTES / (1 << 20)) / (k.result.ms / 1000), 'MB'),
            check('pf-throughput: kubectl port-forward time / direct time (<= 333 %)', (k.result.ms / direct.ms) * 100, '%', 333),
            check('pf-throughput: berth RSS growth during kubectl port-forward', k.peakMb - k.beforeMb, 'MB', 64),
          );
          raw.kubectl = { ms: k.result.ms, bytes: k.result.bytes, rssBeforeMb: k.beforeMb, rssPeakMb: k.peakMb };
        } finally {
          stop();
        }
      } catch (err) {
        raw.kubectlNotRun = (err as Error).message;
      }
      raw.loadavg = loadavg();
      return { checks, breakdown: [], raw };
    } finally {
      target.close();
      await env.cleanup();
    }
  },
};

const exec20: Benchmark = {
  id: 'exec-20',
  title: `${SESSIONS} concurrent kubectl exec sessions (process runtime): berth RSS and CPU`,
  async run(): Promise<Outcome> {
    const env = createEnv('exec20');
    try {
      const { kubeconfig, pod } = await agentWithPod(env, 'ex20', 'busybox', []);
      const pid = env.berth!.pid;
      const ticks0 = cpuTicks(pid);
      const t0 = performance.now();
      const { result: codes, beforeMb, peakMb } = await withRss(pid, () =>
        Promise.all(
          Array.from(
            { length: SESSIONS },
            () =>
              new Promise<number | null>((resolve) => {
                // Each session streams a little output for 10 s, as an interactive one would.
                const c = spawn('kubectl', ['exec', pod, '--', 'sh', '-c', 'for i in 1 2 3 4 5 6 7 8 9 10; do echo $i; sleep 1; done'], { env: { ...process.env, KUBECONFIG: kubeconfig }, stdio: 'ignore' });
                c.on('exit', (code) => resolve(code));
              }),
          ),
        ),
      );
      const seconds = (performance.now() - t0) / 1000;
      const cpuPercent = ((cpuTicks(pid) - ticks0) / clockTicksPerSecond() / seconds) * 100;
      const failed = codes.filter((c) => c !== 0).length;
      if (failed) throw new Error(`${failed} of ${SESSIONS} kubectl exec sessions failed`);
      return {
        checks: [
          check(`exec-20: berth RSS before ${SESSIONS} sessions`, beforeMb, 'MB'),
          check(`exec-20: berth RSS peak during ${SESSIONS} sessions`, peakMb, 'MB'),
          check(`exec-20: berth CPU during ${SESSIONS} sessions (one core = 100 %)`, cpuPercent, '%'),
        ],
        breakdown: [],
        raw: { beforeMb, peakMb, cpuPercent, seconds, loadavg: loadavg() },
      };
    } finally {
      await env.cleanup();
    }
  },
};

export const streamingBenchmarks: Benchmark[] = [execLatency, pfThroughput, exec20];
