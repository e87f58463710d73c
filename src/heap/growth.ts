// The old generation's growth once the agent holds a lot. After a full collection V8 lets the old
// generation grow to several times what survived before it collects again: with 2000 two-container
// pods (about 31 MB live) removing them all at once took the agent to 470-520 MB of RSS, most of it
// garbage not yet collected. With a growth of 1.3x the same removal peaks lower. The price is more
// frequent full collections, which a small agent should not pay (100 probed pods: about 0.9 % of a
// core), so it applies only while what survives a full collection is large.
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';

/** Live heap (measured right after a full collection) above which the growth is bounded... */
const HIGH_MB = 24;
/** ... and below which V8's own heuristics return. */
const LOW_MB = 18;
/** Growth after a full collection while bounded: the next limit is live x 1.3. */
const BOUNDED_PERCENT = 30;

export interface HeapGrowthControl {
  /** Whether the growth is bounded now. */
  readonly bounded: boolean;
  /** Decides from the heap in use right after a full collection (bytes). */
  afterFullGc(liveBytes: number): void;
  stop(): void;
}

/** Bounds the old generation's growth while the heap that survives a full collection is large. */
export function boundHeapGrowthWhenLarge(): HeapGrowthControl {
  let bounded = false;
  const set = (on: boolean) => {
    setFlagsFromString(`--heap-growing-percent=${on ? BOUNDED_PERCENT : 0}`);
    bounded = on;
  };
  const observer = new PerformanceObserver((list) => {
    // Entries arrive after the collection: the heap in use then is what survived it, plus little.
    const major = list.getEntries().some((e) => (e as unknown as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR);
    if (major) control.afterFullGc(getHeapStatistics().used_heap_size);
  });
  const control: HeapGrowthControl = {
    get bounded() {
      return bounded;
    },
    afterFullGc(liveBytes) {
      const mb = liveBytes / 1048576;
      if (!bounded && mb >= HIGH_MB) set(true);
      else if (bounded && mb < LOW_MB) set(false);
    },
    stop() {
      observer.disconnect();
      if (bounded) set(false);
    },
  };
  observer.observe({ entryTypes: ['gc'] });
  return control;
}
