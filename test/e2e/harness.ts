// End-to-end harness: runs the real `./bin/berth run` against temp folders and talks to it over
// real HTTP. Every test gets its own folders and ports and cleans up every process it caused,
// including containers that outlive a killed agent.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Pod, PodList } from 'kubernetes-types/core/v1';
import { nodeRequest } from './node-api.js';
import { removeContainerCgroup, type ContainerCgroup } from '../../src/cgroups/index.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BERTH = join(ROOT, 'bin', 'berth');
export const NODE = 'my-node1';

export interface Workspace {
  dir: string;
  manifests: string;
  root: string;
  logs: string;
  /** Writes a manifest atomically (temp file + rename), as a careful operator or a config tool does. */
  write(name: string, content: string): string;
  cleanup(): Promise<void>;
}

export function workspace(): Workspace {
  const dir = mkdtempSync(join(tmpdir(), 'berth-e2e-'));
  const ws: Workspace = {
    dir,
    manifests: join(dir, 'manifests'),
    root: join(dir, 'root'),
    logs: join(dir, 'pods'),
    write(name, content) {
      mkdirSync(ws.manifests, { recursive: true });
      const tmp = join(dir, `.${name}.tmp`);
      writeFileSync(tmp, content);
      renameSync(tmp, join(ws.manifests, name));
      return join(ws.manifests, name);
    },
    async cleanup() {
      killContainers(ws.root);
      await removeContainerCgroups(ws.root);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  mkdirSync(ws.manifests, { recursive: true });
  return ws;
}

/** Each container's JSON record `file` (pid, meta.json) under ROOT/containers; missing or unreadable ones are skipped. */
function containerRecords<T>(rootDir: string, file: string): T[] {
  const dir = join(rootDir, 'containers');
  let ids: string[] = [];
  try {
    ids = readdirSync(dir);
  } catch {
    return [];
  }
  const records: T[] = [];
  for (const id of ids) {
    try {
      records.push(JSON.parse(readFileSync(join(dir, id, file), 'utf8')) as T);
    } catch {
      /* no such file: never started, or removed meanwhile */
    }
  }
  return records;
}

/** Kills every container (process group) and shim the agent left under this root dir. */
export function killContainers(rootDir: string): void {
  for (const rec of containerRecords<{ pid?: number; shimPid?: number }>(rootDir, 'pid')) {
    // Never 0: kill(0) and kill(-0) would signal this process's own group.
    const targets = [rec.pid ? -rec.pid : 0, rec.pid ?? 0, rec.shimPid ?? 0].filter((t) => t !== 0);
    for (const target of targets) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
}

/**
 * Removes the cgroups of the containers recorded under this root dir, once their processes are
 * gone. An agent killed with its pods running leaves them behind, and a machine has room for
 * 65 535 memory cgroups in all: runs of thousands of pods soon fill it, and then no container
 * anywhere can start.
 */
export async function removeContainerCgroups(rootDir: string): Promise<void> {
  for (const { cgroup } of containerRecords<{ cgroup?: ContainerCgroup }>(rootDir, 'meta.json')) {
    if (!cgroup) continue;
    // A killed process leaves its cgroup a moment later.
    for (let attempt = 0; attempt < 40 && (await removeContainerCgroup(cgroup)); attempt++) await new Promise((r) => setTimeout(r, 50));
  }
}

export interface Berth {
  proc: ChildProcess;
  port: number;
  /** Every log line (parsed JSON) the agent printed so far. */
  logs: Array<Record<string, unknown>>;
  pods(): Promise<Pod[]>;
  pod(name: string): Promise<Pod | undefined>;
  /** GET on the node API over HTTPS with the node's token, as root on the node does it. */
  get(path: string): Promise<{ status: number; body: string }>;
  /** Resolves with the first log line matching, waiting for it. */
  waitLog(match: (line: Record<string, unknown>) => boolean, what: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Every agent a test file started and has not seen exit. When the test process ends (an after
 * hook that failed or timed out included) they are killed: a leftover agent of node my-node1
 * would take the next file's containers on the same engine for its own and remove them.
 */
const liveAgents = new Set<ChildProcess>();
process.once('exit', () => {
  for (const agent of liveAgents) agent.kill('SIGKILL');
});

export async function startBerth(ws: Workspace, extra: string[] = [], opts: { manifests?: boolean; uid?: number } = {}): Promise<Berth> {
  const args = [
    'run',
    `--hostname-override=${NODE}`,
    `--root-dir=${ws.root}`,
    `--pod-logs-dir=${ws.logs}`,
    '--port=0',
    '--api-port=0',
    ...(opts.manifests === false ? [] : [`--pod-manifest-path=${ws.manifests}`]),
    ...extra,
  ];
  const proc = spawn(process.execPath, [BERTH, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, BERTH_LOG_LEVEL: 'debug' },
    // An unprivileged agent (gid = uid, as nobody:nogroup are 65534:65534).
    ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.uid } : {}),
  });
  liveAgents.add(proc);
  proc.once('exit', () => liveAgents.delete(proc));
  const logs: Array<Record<string, unknown>> = [];
  const waiters = new Set<() => void>();
  let buffered = '';
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ msg: line, raw: true });
      }
    }
    for (const w of waiters) w();
  });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));

  const waitLog = (match: (l: Record<string, unknown>) => boolean, what: string, timeoutMs = 20_000) =>
    new Promise<Record<string, unknown>>((resolvePromise, reject) => {
      const check = () => {
        const hit = logs.find(match);
        if (hit) {
          waiters.delete(check);
          clearTimeout(timer);
          resolvePromise(hit);
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out waiting for log: ${what}\nlogs:\n${logs.map((l) => JSON.stringify(l)).join('\n')}`));
      }, timeoutMs);
      waiters.add(check);
      exited.then((code) => {
        if (!logs.find(match)) {
          waiters.delete(check);
          clearTimeout(timer);
          reject(new Error(`berth exited (${code}) before log: ${what}\nlogs:\n${logs.map((l) => JSON.stringify(l)).join('\n')}`));
        }
      });
      check();
    });

  const ready = await waitLog((l) => l.msg === 'berth is running', 'berth is running');
  const port = Number(String(ready.endpoints).split(':').pop());
  const get = async (path: string) => {
    const res = await nodeRequest(ws.root, port, path);
    return { status: res.status, body: res.body };
  };
  const pods = async () => (JSON.parse((await get('/pods')).body) as PodList).items;
  return {
    proc,
    port,
    logs,
    pods,
    pod: async (name) => (await pods()).find((p) => p.metadata?.name === name),
    get,
    waitLog,
    stop: async (signal = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

/**
 * Polls `check` until it returns a value other than undefined/false, or fails after the deadline.
 * `what` may be a function so that the failure describes the state at the deadline, not at the call.
 */
export async function waitFor<T>(check: () => Promise<T | undefined | false> | T | undefined | false, what: string | (() => string), timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function freePort(): Promise<number> {
  return new Promise((r) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => r(port));
    });
  });
}

/** A pod manifest whose container runs `sh -c script`. */
export function shPod(name: string, script: string, extra: { restartPolicy?: string; labels?: Record<string, string>; grace?: number } = {}): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: extra.labels ?? { app: name } },
    spec: {
      ...(extra.restartPolicy ? { restartPolicy: extra.restartPolicy } : {}),
      ...(extra.grace !== undefined ? { terminationGracePeriodSeconds: extra.grace } : {}),
      containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', script] }],
    },
  });
}

export function containerState(pod: Pod | undefined, name = 'main') {
  return pod?.status?.containerStatuses?.find((c) => c.name === name);
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** The container pid of the current attempt, from the agent's state folder. */
export function containerPid(rootDir: string, containerId: string): number {
  const id = containerId.replace(/^[a-z]+:\/\//, '');
  return (JSON.parse(readFileSync(join(rootDir, 'containers', id, 'pid'), 'utf8')) as { pid: number }).pid;
}
