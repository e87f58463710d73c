// Shared plumbing for the mirror tests: cleanups, temp dirs, condition waits, test certificates
// (openssl), and a fake MirrorSource made of plain objects.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Pod } from 'kubernetes-types/core/v1';
import type { ManifestProblem } from '../../src/manifest/problem.js';
import type { MirrorSource } from '../../src/mirror/index.js';
import { tempDir as sharedTempDir, type TestLike } from '../cleanup.js';

const run = promisify(execFile);

export { defer, type TestLike } from '../cleanup.js';

export function tempDir(t: TestLike): Promise<string> {
  return sharedTempDir(t, 'mirror');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` (sync or async) until it returns something other than undefined/false. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastErr ? ` (last error: ${(lastErr as Error).message})` : ''}`);
    await sleep(20);
  }
}

export interface TestPki {
  caPem: string;
  serverCertPem: string;
  serverKeyPem: string;
  clientCertPem: string;
  clientKeyPem: string;
  /** A second, unrelated CA (to prove verification fails with the wrong one). */
  otherCaPem: string;
  dir: string;
}

/** A CA, a server cert for 127.0.0.1/localhost and a client cert (CN=system:node:test), via openssl. */
export async function makePki(dir: string): Promise<TestPki> {
  const o = (...args: string[]) => run('openssl', args, { cwd: dir });
  const key = (name: string) => o('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', name);
  await key('ca.key');
  await o('req', '-x509', '-new', '-key', 'ca.key', '-subj', '/CN=test-ca', '-days', '2', '-out', 'ca.crt');
  await key('other.key');
  await o('req', '-x509', '-new', '-key', 'other.key', '-subj', '/CN=other-ca', '-days', '2', '-out', 'other.crt');
  await key('server.key');
  await o('req', '-new', '-key', 'server.key', '-subj', '/CN=127.0.0.1', '-out', 'server.csr');
  await run('sh', ['-c', "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > server.ext"], { cwd: dir });
  await o('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'server.ext', '-out', 'server.crt');
  await key('client.key');
  await o('req', '-new', '-key', 'client.key', '-subj', '/O=system:nodes/CN=system:node:test', '-out', 'client.csr');
  await o('x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-out', 'client.crt');
  const r = (f: string) => readFile(join(dir, f), 'utf8');
  return {
    caPem: await r('ca.crt'),
    serverCertPem: await r('server.crt'),
    serverKeyPem: await r('server.key'),
    clientCertPem: await r('client.crt'),
    clientKeyPem: await r('client.key'),
    otherCaPem: await r('other.crt'),
    dir,
  };
}

/** A MirrorSource of plain objects: the test sets pods/problems and calls changed(). */
export class FakeSource implements MirrorSource {
  private list: Pod[] = [];
  private probs: ManifestProblem[] = [];
  private readonly listeners: (() => void)[] = [];
  private readonly problemListeners: (() => void)[] = [];
  /** Container starts the fake node has under way (mirror writes and events wait for them). */
  starts = 0;

  pods(): Pod[] {
    return this.list;
  }
  onChange(l: () => void): void {
    this.listeners.push(l);
  }
  startsInFlight(): number {
    return this.starts;
  }
  problems(): ManifestProblem[] {
    return this.probs;
  }
  onProblemsChange(l: () => void): void {
    this.problemListeners.push(l);
  }
  setPods(pods: Pod[]): void {
    this.list = pods;
    for (const l of this.listeners) l();
  }
  setProblems(p: ManifestProblem[]): void {
    this.probs = p;
    for (const l of this.problemListeners) l();
  }
}

/** A static pod as the agent's sources produce it (name suffixed, uid = config.hash, nodeName set). */
export function staticPod(name: string, node: string, hash: string, status: Pod['status'] = { phase: 'Pending' }): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${name}-${node}`,
      namespace: 'default',
      uid: hash,
      labels: { app: name },
      annotations: {
        'kubernetes.io/config.hash': hash,
        'kubernetes.io/config.source': 'file',
        'kubernetes.io/config.seen': '2024-01-01T00:00:00.000Z',
      },
    },
    spec: {
      nodeName: node,
      containers: [{ name: 'web', image: 'nginx' }],
      tolerations: [{ operator: 'Exists', effect: 'NoExecute' }],
    },
    status,
  };
}
