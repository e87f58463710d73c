// Shared test plumbing for the API server tests: a server in a temp dir, an HTTPS client that
// trusts its CA, a watch reader, and a kubectl runner with its own HOME and discovery cache.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest, type Agent } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../src/log/index.js';
import { kubeconfigFor, startApiServer, type ApiServer, type ApiServerOptions, type LogReader } from '../../src/apiserver/index.js';
import { NO_NODE, startFakeNode, type FakeNode } from './fake-node.js';

export const TOKEN = 'test-token-0123456789';
export const NODE = 'my-node1';

export interface TestServer {
  server: ApiServer;
  /** The node API the server proxies to, when the test gave one (logs or a handler). */
  node?: FakeNode;
  dir: string;
  kubeconfig: string;
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

/** `logs`: a fake node API serves /containerLogs from it (pods/log goes there over HTTP). */
export async function startTestServer(extra: Partial<ApiServerOptions> & { logs?: LogReader } = {}): Promise<TestServer> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-apiserver-'));
  const { logs, ...options } = extra;
  const node = logs ? await startFakeNode({ logs }) : undefined;
  let server: ApiServer;
  try {
    server = await startApiServer({
      bindAddress: '127.0.0.1',
      port: 0,
      certDir: join(dir, 'certs'),
      token: TOKEN,
      nodeName: NODE,
      logger: silentLogger,
      node: node?.connection ?? NO_NODE,
      ...options,
    });
  } catch (err) {
    await node?.close();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(kubeconfig, kubeconfigFor(server, TOKEN, { clusterName: 'berth-test' }), { mode: 0o600 });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KUBECONFIG: kubeconfig,
    HOME: join(dir, 'home'),
    KUBECACHEDIR: join(dir, 'kube-cache'),
  };
  return {
    server,
    ...(node ? { node } : {}),
    dir,
    kubeconfig,
    env,
    async close() {
      try {
        await server.close();
        await node?.close();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: any;
  /** The request went over a connection an earlier request had opened (see `agent`). */
  reusedSocket: boolean;
}

export interface RequestOptions {
  body?: unknown;
  contentType?: string;
  accept?: string;
  /** null: no Authorization header. Default: the right token. */
  token?: string | null;
  /** A keep-alive agent, to see whether the server kept the connection open. */
  agent?: Agent;
}

export function call(ts: TestServer, method: string, path: string, o: RequestOptions = {}): Promise<Reply> {
  const url = new URL(path, ts.server.url);
  const headers: Record<string, string> = {};
  const token = o.token === undefined ? TOKEN : o.token;
  if (token !== null) headers['Authorization'] = `Bearer ${token}`;
  if (o.accept) headers['Accept'] = o.accept;
  let data: Buffer | undefined;
  if (o.body !== undefined) {
    data = Buffer.isBuffer(o.body) ? o.body : Buffer.from(typeof o.body === 'string' ? o.body : JSON.stringify(o.body));
    headers['Content-Type'] = o.contentType ?? 'application/json';
    headers['Content-Length'] = String(data.length);
  }
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { method, headers, ca: ts.server.caCertPem, ...(o.agent ? { agent: o.agent } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json, reusedSocket: req.reusedSocket });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(data);
  });
}

export interface WatchEvent {
  type: string;
  object: any;
}

export interface WatchReader {
  status: Promise<number>;
  events: WatchEvent[];
  ended: Promise<void>;
  waitFor(pred: (e: WatchEvent) => boolean, what: string, timeoutMs?: number): Promise<WatchEvent>;
  close(): void;
}

/** Opens a watch (GET with a streaming body) and collects its events. */
export function openWatch(ts: TestServer, path: string, accept?: string): WatchReader {
  const events: WatchEvent[] = [];
  const waiters = new Set<() => void>();
  let setStatus!: (n: number) => void;
  let setEnded!: () => void;
  const status = new Promise<number>((r) => (setStatus = r));
  const ended = new Promise<void>((r) => (setEnded = r));
  const headers: Record<string, string> = { Authorization: `Bearer ${TOKEN}` };
  if (accept) headers['Accept'] = accept;
  const req = httpsRequest(new URL(path, ts.server.url), { headers, ca: ts.server.caCertPem }, (res) => {
    setStatus(res.statusCode ?? 0);
    let buf = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => {
      buf += c;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim()) events.push(JSON.parse(line) as WatchEvent);
      }
      for (const w of [...waiters]) w();
    });
    res.on('end', setEnded);
    res.on('close', setEnded);
    res.on('error', setEnded);
  });
  req.on('error', () => setEnded());
  req.end();
  return {
    status,
    events,
    ended,
    waitFor(pred, what, timeoutMs = 10_000) {
      return new Promise<WatchEvent>((resolve, reject) => {
        const check = () => {
          const e = events.find(pred);
          if (e) {
            cleanup();
            resolve(e);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for watch event: ${what}; got ${JSON.stringify(events.map((e) => e.type))}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    close() {
      req.destroy();
    },
  };
}

export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function kubectl(ts: TestServer, args: string[], timeoutMs = 60_000): Promise<KubectlResult> {
  return new Promise((resolve) => {
    execFile('kubectl', args, { env: ts.env, timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

// ---- objects as the agent would send them --------------------------------------------------------

export function nodeBody(name = NODE): Record<string, unknown> {
  const t = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, 'node-role.kubernetes.io/static': '' } },
    status: {
      conditions: [
        { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'berth is posting ready status', lastHeartbeatTime: t, lastTransitionTime: t },
      ],
      addresses: [{ type: 'InternalIP', address: '10.0.0.1' }, { type: 'Hostname', address: name }],
      nodeInfo: {
        kubeletVersion: 'v1.32.0-berth',
        osImage: 'Debian GNU/Linux 12',
        kernelVersion: '6.1.0',
        containerRuntimeVersion: 'process://0.1.0',
        operatingSystem: 'linux',
        architecture: 'amd64',
        machineID: '',
        systemUUID: '',
        bootID: '',
        kubeProxyVersion: '',
      },
    },
  };
}

export function mirrorPodBody(name: string, nodeUid: string, opts: { hash?: string; labels?: Record<string, string>; restartedAgoMs?: number } = {}): Record<string, unknown> {
  const hash = opts.hash ?? 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
  const started = new Date(Date.now() - 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
  const containerStatus: Record<string, unknown> = {
    name: 'web',
    ready: true,
    started: true,
    restartCount: opts.restartedAgoMs !== undefined ? 3 : 0,
    image: 'nginx:1.27',
    imageID: '',
    state: { running: { startedAt: started } },
  };
  if (opts.restartedAgoMs !== undefined) {
    const finished = new Date(Date.now() - opts.restartedAgoMs).toISOString().replace(/\.\d+Z$/, 'Z');
    containerStatus['lastState'] = { terminated: { exitCode: 1, reason: 'Error', finishedAt: finished } };
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      labels: opts.labels ?? { role: 'myrole' },
      annotations: {
        'kubernetes.io/config.mirror': hash,
        'kubernetes.io/config.hash': hash,
        'kubernetes.io/config.source': 'file',
      },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: NODE, uid: nodeUid, controller: true }],
    },
    spec: { nodeName: NODE, containers: [{ name: 'web', image: 'nginx:1.27' }] },
    status: {
      phase: 'Running',
      podIP: '10.0.0.5',
      podIPs: [{ ip: '10.0.0.5' }],
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [containerStatus],
    },
  };
}
