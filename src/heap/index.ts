// The agent's V8 heap settings. A node agent is judged by its resident memory, and its garbage is
// short-lived bursts (loading its modules, a folder of manifests at once, API requests, probe
// attempts): V8 would grow the young generation to 32 MB in such a burst and keep it that size,
// most of it empty, for good. Kept at its initial size, the young generation is collected more
// often (each collection costs what survives it, little here) and the agent stays 20-30 MB
// smaller (100 pods on the process runtime).
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { setFlagsFromString } from 'node:v8';

/** Read by V8 each time it would grow the young generation, so it takes effect at run time. */
export function keepYoungGenerationSmall(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}

/**
 * A worker thread that leaves the setting in place. V8 flags are process-wide, and setting up a
 * new isolate's heap raises a growth factor below 2 back to 2: without this, the first worker
 * undid the setting for the main thread too (new space back to 32 MB with 100 pods). The reset
 * happens while the thread starts, so the setting is applied again once it is online.
 */
export function startWorkerThread(script: string | URL, options?: WorkerOptions): Worker {
  const worker = new Worker(script, options);
  worker.once('online', keepYoungGenerationSmall);
  return worker;
}
