// Decoding a large manifest off the main thread. Parsing 10 MB of YAML takes a second or two even
// when linear; on the main thread that would stall /healthz, the API and every other pod's restarts.
// Small manifests (nearly all) are decoded inline: a thread round trip would cost more than the parse.
// The thread is started on demand, ended when idle (its heap is freed with it) and has a heap cap, so
// a manifest that still manages to blow up costs a failed decode, never the agent.
import type { Worker } from 'node:worker_threads';
import { startWorkerThread } from '../heap/index.js';
import { decodePodListManifest, decodePodManifest } from './decode.js';
import type { ManifestProblem } from './problem.js';
import type { DecodeResult, StaticIdentity } from './types.js';

/** Manifests up to this size are decoded on the calling thread (a few ms at most). */
export const OFF_THREAD_MIN_BYTES = 256 * 1024;
/** The decode thread's heap cap: a 10 MB manifest of 120 000 labels needs about 300 MB. */
const THREAD_HEAP_MB = 768;
/** The thread ends after this long without work, returning its memory. */
const IDLE_MS = 2_000;

export interface DecodeRequest {
  id: number;
  kind: 'pod' | 'list';
  data: Uint8Array;
  identity: StaticIdentity;
}

export type DecodeResponse = { id: number; result: DecodeResult } | { id: number; error: string };

interface Pending {
  worker: Worker;
  origin: string;
  resolve(result: DecodeResult): void;
}

// Built, this file is dist/manifest/off-thread.js; in tests and benchmarks it runs from src/ through
// tsx, whose loader a thread does not inherit: there a small bootstrap registers it first.
const fromSource = import.meta.url.endsWith('.ts');
const workerUrl = new URL(fromSource ? './decode-worker.ts' : './decode-worker.js', import.meta.url);

function newThread(): Worker {
  // Only large manifests come here, and the thread ends when idle: it starts with room for a big
  // document's tree (a young generation at its full size, an old generation that need not be
  // collected again and again while it fills).
  const resourceLimits = { maxOldGenerationSizeMb: THREAD_HEAP_MB, maxYoungGenerationSizeMb: 96 };
  const roomy = { semiSpaceMb: 32, oldSpaceMb: 256 };
  if (!fromSource) return startWorkerThread(workerUrl, { resourceLimits }, roomy);
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(workerUrl.href)}); })`;
  return startWorkerThread(bootstrap, { eval: true, resourceLimits }, roomy);
}

let worker: Worker | undefined;
let idleTimer: NodeJS.Timeout | undefined;
let nextId = 1;
const pending = new Map<number, Pending>();

function failedDecode(origin: string, why: string): DecodeResult {
  const problem: ManifestProblem = {
    origin,
    field: '',
    message: `could not be decoded: ${why}`,
    fix: 'make the manifest smaller and simpler (one pod, no bulk data); if it is small, report this as a Berth bug',
    reason: 'FailedToParse',
  };
  return { pods: [], problems: [problem], warnings: [] };
}

function settleAll(w: Worker, why: string): void {
  for (const [id, p] of pending) {
    if (p.worker !== w) continue;
    pending.delete(id);
    p.resolve(failedDecode(p.origin, why));
  }
}

function startWorker(): Worker {
  const w = newThread();
  w.on('message', (res: DecodeResponse) => {
    const p = pending.get(res.id);
    if (!p) return;
    pending.delete(res.id);
    p.resolve('result' in res ? res.result : failedDecode(p.origin, res.error));
    if (pending.size === 0) {
      // Idle: the thread must not keep the agent alive, and ends soon unless more work comes.
      w.unref();
      scheduleIdleStop(w);
    }
  });
  w.on('error', (err) => {
    if (worker === w) worker = undefined;
    const oom = (err as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY';
    settleAll(w, oom ? `decoding it needed more than ${THREAD_HEAP_MB} MB of memory` : `the decode thread failed: ${err.message}`);
  });
  w.on('exit', () => {
    if (worker === w) worker = undefined;
    settleAll(w, 'the decode thread ended unexpectedly');
  });
  return w;
}

function scheduleIdleStop(w: Worker): void {
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => {
    if (worker !== w || pending.size > 0) return;
    worker = undefined;
    void w.terminate();
  }, IDLE_MS);
  idleTimer.unref();
}

function decodeOnThread(kind: DecodeRequest['kind'], data: Buffer, identity: StaticIdentity): Promise<DecodeResult> {
  clearTimeout(idleTimer);
  const w = (worker ??= startWorker());
  w.ref();
  const id = nextId++;
  return new Promise<DecodeResult>((resolve) => {
    pending.set(id, { worker: w, origin: identity.origin, resolve });
    w.postMessage({ id, kind, data, identity } satisfies DecodeRequest);
  });
}

const asBuffer = (data: Buffer | string) => (typeof data === 'string' ? Buffer.from(data, 'utf8') : data);

/** decodePodManifest, off the main thread when the manifest is large. Never rejects. */
export function decodePodManifestOffThread(data: Buffer | string, identity: StaticIdentity): Promise<DecodeResult> {
  const bytes = asBuffer(data);
  if (bytes.length < OFF_THREAD_MIN_BYTES) return Promise.resolve(decodePodManifest(bytes, identity));
  return decodeOnThread('pod', bytes, identity);
}

/** decodePodListManifest, off the main thread when the body is large. Never rejects. */
export function decodePodListManifestOffThread(data: Buffer | string, identity: StaticIdentity): Promise<DecodeResult> {
  const bytes = asBuffer(data);
  if (bytes.length < OFF_THREAD_MIN_BYTES) return Promise.resolve(decodePodListManifest(bytes, identity));
  return decodeOnThread('list', bytes, identity);
}
