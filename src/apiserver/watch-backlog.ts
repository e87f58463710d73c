// The bytes queued for all watch clients together, bounded: many slow watchers (each under its own
// limit) could otherwise hold gigabytes of unsent events between them. Past the bound the watches
// with the most unsent bytes (the slowest readers) are ended first, until the total is back under
// it; their clients re-watch (kubectl and informers do) from the last resourceVersion they got.

export interface WatchBacklogEntry {
  /** Bytes written but not yet taken by the client. */
  pending(): number;
  /** Ends the watch (it was too slow). */
  drop(pendingBytes: number, totalBytes: number): void;
}

/** Default bound on the unsent bytes of all watches together. */
export const DEFAULT_WATCH_BACKLOG_BYTES = 64 * 1024 * 1024;

export class WatchBacklog {
  private readonly entries = new Map<WatchBacklogEntry, number>();
  /** Sum of the last pending size seen per watch: only ever too high (sockets drain unseen). */
  private estimate = 0;

  constructor(readonly limitBytes: number = DEFAULT_WATCH_BACKLOG_BYTES) {}

  add(entry: WatchBacklogEntry): void {
    this.entries.set(entry, 0);
  }

  remove(entry: WatchBacklogEntry): void {
    this.estimate -= this.entries.get(entry) ?? 0;
    this.entries.delete(entry);
  }

  /** After a write to `entry`: updates the total and drops the slowest watches when over the bound. */
  wrote(entry: WatchBacklogEntry): void {
    const before = this.entries.get(entry);
    if (before === undefined) return;
    const now = entry.pending();
    this.entries.set(entry, now);
    this.estimate += now - before;
    if (this.estimate <= this.limitBytes) return;
    // The estimate can be stale: measure every watch before dropping any.
    let total = 0;
    for (const e of this.entries.keys()) {
      const p = e.pending();
      this.entries.set(e, p);
      total += p;
    }
    this.estimate = total;
    if (total <= this.limitBytes) return;
    const slowest = [...this.entries].sort((a, b) => b[1] - a[1]);
    for (const [e, p] of slowest) {
      if (this.estimate <= this.limitBytes || p === 0) break;
      const totalBefore = this.estimate;
      this.remove(e);
      e.drop(p, totalBefore);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
