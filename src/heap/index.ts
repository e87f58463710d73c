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

/** Starting sizes for a thread that builds large short-lived structures (a 10 MB manifest's tree). */
export interface RoomyHeap {
  /** Each of the young generation's two semi-spaces, from the start (V8 --min-semi-space-size). */
  semiSpaceMb: number;
  /** The old generation's first limit (V8 --initial-old-space-size): fewer full collections while it fills. */
  oldSpaceMb: number;
}

/**
 * A worker thread that leaves the setting in place. V8 flags are process-wide, and setting up a
 * new isolate's heap raises a growth factor below 2 back to 2: without this, the first worker
 * undid the setting for the main thread too (new space back to 32 MB with 100 pods). The reset
 * happens while the thread starts, so the setting is applied again once it is online.
 *
 * `roomy` gives the new thread's heap larger starting sizes: those flags are read only when an
 * isolate's heap is set up, so they are set just before the thread starts and put back once it is
 * online; the main thread's heap, set up long before, keeps its own. A 10 MB manifest decodes in
 * 1.8 s this way instead of 2.4 s (young collections that copy the growing tree, and repeated full
 * collections as the old generation grows step by step).
 */
export function startWorkerThread(script: string | URL, options?: WorkerOptions, roomy?: RoomyHeap): Worker {
  if (roomy) setFlagsFromString(`--min-semi-space-size=${roomy.semiSpaceMb} --initial-old-space-size=${roomy.oldSpaceMb}`);
  const worker = new Worker(script, options);
  worker.once('online', () => {
    if (roomy) setFlagsFromString('--min-semi-space-size=0 --initial-old-space-size=0');
    keepYoungGenerationSmall();
  });
  return worker;
}
export { boundHeapGrowthWhenLarge, type HeapGrowthControl } from './growth.js';
