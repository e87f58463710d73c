// Starts the real agent (`node bin/berth run`) against temp folders for one benchmark, and tears
// everything down again: the agent, every container process group and shim it left behind (read
// from the pid files under the root dir) and the temp folders, also when the benchmark fails or
// the run is interrupted.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, mkdirSync, mkdtempSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PodList } from 'kubernetes-types/core/v1';
import { Agent, request } from 'node:https';
import { killContainers, removeContainerCgroups } from '../../test/e2e/harness.js';
import { MarkerDir } from './markers.js';
import { discardLater } from './scratch.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BERTH = join(ROOT, 'bin', 'berth');
export const NODE_NAME = 'bench';

/** Wall-clock time in ms with sub-ms precision, on the same timeline as performance.now(). */
export const wallNow = () => performance.timeOrigin + performance.now();
/** Converts a wall-clock ms time (e.g. a log line's "time") to the performance.now() timeline. */
export const toMono = (wallMs: number) => wallMs - performance.timeOrigin;

export interface LogLine {
  line: Record<string, unknown>;
  /** performance.now() when the line reached this process. */
  arrivedAt: number;
}

export interface Berth {
  proc: ChildProcess;
  pid: number;
  port: number;
  logs: LogLine[];
  /** Rejects when the agent exits (used to fail waits fast instead of timing out). */
  exited: Promise<never>;
  pods(): Promise<PodList>;
  /** GET /healthz on the node API (HTTPS, one kept-alive connection); rejects unless 200. */
  healthz(): Promise<string>;
  waitLog(match: (l: Record<string, unknown>) => boolean, what: string, timeoutMs?: number): Promise<LogLine>;
  /** Log lines about one static pod (the agent names them NAME-NODE_default). */
  podLogs(podName: string): LogLine[];
  stop(): Promise<void>;
}

export interface BenchEnv {
  dir: string;
  manifests: string;
  root: string;
  podLogs: string;
  markers: MarkerDir;
  /** Writes NAME.json atomically (temp file outside the manifest folder, then rename). Returns performance.now() just before the rename. */
  writeManifest(name: string, content: string): number;
  /** Stages a manifest's temp file; the returned function renames it in and returns performance.now() just before. */
  stageManifest(name: string, content: string): () => number;
  /** Deletes NAME.json; returns performance.now() just before the unlink. */
  removeManifest(name: string): number;
  startBerth(extraArgs?: string[]): Promise<Berth>;
  berth: Berth | undefined;
  cleanup(): Promise<void>;
}

const active = new Set<BenchEnv>();

/** Cleans up every environment still open (for interrupt handlers). */
export async function cleanupAll(): Promise<void> {
  await Promise.allSettled([...active].map((e) => e.cleanup()));
}

/** A pod whose container marks its start by creating MARKERS/NAME.<container pid>, then sleeps (exits on SIGTERM). */
export function markerPod(name: string, markerDir: string): string {
  // `$$$$`: Kubernetes expands `$$` in command to `$`, so the shell sees `$$` (its own pid, which
  // `exec` hands to sleep: the container pid).
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { containers: [{ name: 'c', image: 'x', command: ['sh', '-c', `touch '${markerDir}/${name}'.$$$$; exec sleep 3600`] }] },
  });
}

/** Marker names of pod NAME look like NAME.<pid>. */
export const markerOf = (name: string) => (marker: string) => marker.startsWith(`${name}.`) && /^\d+$/.test(marker.slice(name.length + 1));
export const markerPid = (marker: string) => Number(marker.slice(marker.lastIndexOf('.') + 1));

export function createEnv(label: string): BenchEnv {
  const dir = mkdtempSync(join(tmpdir(), `berth-bench-${label}-`));
  const manifests = join(dir, 'manifests');
  const staging = join(dir, 'staging');
  const markersDir = join(dir, 'markers');
  for (const d of [manifests, staging, markersDir]) mkdirSync(d, { recursive: true });
  let cleaned = false;
  const env: BenchEnv = {
    dir,
    manifests,
    root: join(dir, 'root'),
    podLogs: join(dir, 'pod-logs'),
    markers: new MarkerDir(markersDir),
    berth: undefined,
    stageManifest(name, content) {
      const tmp = join(staging, `${name}.json`);
      writeFileSync(tmp, content);
      return () => {
        const t = performance.now();
        renameSync(tmp, join(manifests, `${name}.json`));
        return t;
      };
    },
    writeManifest(name, content) {
      return env.stageManifest(name, content)();
    },
    removeManifest(name) {
      const t = performance.now();
      unlinkSync(join(manifests, `${name}.json`));
      return t;
    },
    async startBerth(extraArgs = []) {
      env.berth = await startBerth(env, extraArgs);
      return env.berth;
    },
    async cleanup() {
      if (cleaned) return;
      cleaned = true;
      env.markers.close();
      // Stop the agent first so it does not restart what we kill next.
      if (env.berth) await env.berth.stop();
      killContainers(env.root);
      // A shim that was forking while the agent stopped writes its pid file a moment later.
      await new Promise((r) => setTimeout(r, 100));
      killContainers(env.root);
      await removeContainerCgroups(env.root);
      discardLater(dir);
      active.delete(env);
    },
  };
  active.add(env);
  return env;
}

async function startBerth(env: BenchEnv, extraArgs: string[]): Promise<Berth> {
  const args = [
    BERTH,
    'run',
    `--pod-manifest-path=${env.manifests}`,
    `--root-dir=${env.root}`,
    `--pod-logs-dir=${env.podLogs}`,
    `--hostname-override=${NODE_NAME}`,
    '--port=0',
    '--file-check-frequency=20s',
    ...extraArgs,
  ];
  // Info level, as in production: debug logging would itself cost time.
  // BERTH_BENCH_NODE_FLAGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"): flags for the agent's node
  // only, to profile it under a benchmark's load (NODE_OPTIONS refuses --cpu-prof).
  // BERTH_BENCH_STDOUT=FILE: the agent's stdout goes there (e.g. what --trace-gc prints).
  const nodeFlags = (process.env.BERTH_BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const stdout = process.env.BERTH_BENCH_STDOUT ? openSync(process.env.BERTH_BENCH_STDOUT, 'a') : 'ignore';
  const proc = spawn(process.execPath, [...nodeFlags, ...args], { stdio: ['ignore', stdout, 'pipe'], env: { ...process.env, BERTH_LOG_LEVEL: 'info' } });
  // /healthz pollers measure the agent, not a TLS handshake per request.
  const healthAgent = new Agent({ keepAlive: true, maxSockets: 1 });
  const logs: LogLine[] = [];
  const listeners = new Set<() => void>();
  let buffered = '';
  proc.stderr!.setEncoding('utf8');
  // BERTH_BENCH_LOGS=FILE: the agent's log lines are also appended there (to see where time went).
  const logCopy = process.env.BERTH_BENCH_LOGS ? openSync(process.env.BERTH_BENCH_LOGS, 'a') : undefined;
  // 'close' comes after the last stderr data ('exit' may come before it).
  if (logCopy !== undefined) proc.once('close', () => closeSync(logCopy));
  proc.stderr!.on('data', (chunk: string) => {
    const arrivedAt = performance.now();
    if (logCopy !== undefined) writeSync(logCopy, chunk);
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const text = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        line = { msg: text, raw: true };
      }
      logs.push({ line, arrivedAt });
    }
    for (const l of listeners) l();
  });
  const exited = new Promise<never>((_, reject) => {
    proc.once('exit', (code, signal) => {
      const tail = logs.slice(-15).map((l) => JSON.stringify(l.line)).join('\n');
      reject(new Error(`berth exited (${code ?? signal})\nlast log lines:\n${tail}`));
    });
  });
  exited.catch(() => {}); // observed through waits; never an unhandled rejection

  const waitLog = (match: (l: Record<string, unknown>) => boolean, what: string, timeoutMs = 15_000) =>
    Promise.race([
      new Promise<LogLine>((resolvePromise, reject) => {
        const check = () => {
          const hit = logs.find((l) => match(l.line));
          if (!hit) return;
          listeners.delete(check);
          clearTimeout(timer);
          resolvePromise(hit);
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for berth log: ${what}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      }),
      exited,
    ]);

  // Generous: an agent that adopts 100 pods on a loaded 2-CPU machine takes a while.
  const ready = await waitLog((l) => l.msg === 'berth is running', 'berth is running', 60_000);
  const m = /:(\d+)/.exec(String(ready.line.endpoints));
  if (!m) throw new Error(`cannot read the port from berth's "berth is running" line: ${JSON.stringify(ready.line)}`);
  const port = Number(m[1]);

  let stopping: Promise<void> | undefined;
  return {
    proc,
    pid: proc.pid!,
    port,
    logs,
    exited,
    waitLog,
    podLogs: (podName) => logs.filter((l) => l.line.pod === `${podName}-${NODE_NAME}_default`),
    async pods() {
      return JSON.parse(await nodeGet(env.root, port, '/pods')) as PodList;
    },
    healthz() {
      return nodeGet(env.root, port, '/healthz', healthAgent);
    },
    stop() {
      healthAgent.destroy();
      stopping ??= new Promise<void>((done) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return done();
        const force = setTimeout(() => proc.kill('SIGKILL'), 5_000);
        proc.once('exit', () => {
          clearTimeout(force);
          done();
        });
        proc.kill('SIGTERM');
      });
      return stopping;
    },
  };
}

/** GET on berth's node API as root does it: HTTPS pinned to <root>/pki/kubelet.crt, the token in <root>/api/token. */
function nodeGet(rootDir: string, port: number, path: string, agent?: Agent): Promise<string> {
  const token = readFileSync(join(rootDir, 'api', 'token'), 'utf8').trim();
  const ca = readFileSync(join(rootDir, 'pki', 'kubelet.crt'), 'utf8');
  return new Promise((resolvePromise, reject) => {
    const req = request({ host: '127.0.0.1', port, path, ca, ...(agent ? { agent } : {}), headers: { Authorization: `Bearer ${token}` }, timeout: 30_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => (res.statusCode === 200 ? resolvePromise(body) : reject(new Error(`GET ${path}: HTTP ${res.statusCode}: ${body.trim()}`))));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: no answer within 30 s`)));
    req.on('error', reject);
    req.end();
  });
}
