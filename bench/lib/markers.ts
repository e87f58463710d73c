// Watches the folder the benchmark containers "touch" when they start, and records when each
// marker file first appeared (performance.now() in this process). That is the external proof
// that a container process is running, independent of what the agent logs.
import { watch, readdirSync, type FSWatcher } from 'node:fs';

interface Waiter {
  match: (name: string) => boolean;
  count: number;
  hits: Array<{ name: string; at: number }>;
  resolve: (hits: Array<{ name: string; at: number }>) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class MarkerDir {
  /** Marker file name -> performance.now() when this process first learned of it. */
  readonly seen = new Map<string, number>();
  private readonly watcher: FSWatcher;
  private readonly waiters = new Set<Waiter>();

  constructor(readonly dir: string) {
    this.watcher = watch(dir, (_event, filename) => {
      if (filename) this.record(filename.toString(), performance.now());
      else this.rescan(); // the kernel queue overflowed or the name is unknown: look at the folder
    });
    this.rescan();
  }

  /** Reads the folder for markers an event did not name. */
  rescan(): void {
    const now = performance.now();
    for (const name of readdirSync(this.dir)) this.record(name, now);
  }

  private record(name: string, at: number): void {
    if (this.seen.has(name)) return;
    this.seen.set(name, at);
    for (const w of this.waiters) {
      if (!w.match(name)) continue;
      w.hits.push({ name, at });
      if (w.hits.length >= w.count) this.settle(w);
    }
  }

  private settle(w: Waiter): void {
    this.waiters.delete(w);
    clearTimeout(w.timer);
    w.resolve(w.hits);
  }

  /**
   * Resolves once `count` markers matching `match` exist (counting ones already seen), with their
   * names and first-seen times in the order they appeared.
   */
  waitMany(match: (name: string) => boolean, count: number, what: string, timeoutMs: number): Promise<Array<{ name: string; at: number }>> {
    return new Promise((resolve, reject) => {
      const hits = [...this.seen].filter(([n]) => match(n)).map(([name, at]) => ({ name, at }));
      const w: Waiter = {
        match,
        count,
        hits,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.rescan();
          if (!this.waiters.has(w)) return;
          this.waiters.delete(w);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${w.hits.length}/${count} markers in ${this.dir})`));
        }, timeoutMs),
      };
      this.waiters.add(w);
      if (hits.length >= count) this.settle(w);
    });
  }

  async waitOne(match: (name: string) => boolean, what: string, timeoutMs: number): Promise<{ name: string; at: number }> {
    return (await this.waitMany(match, 1, what, timeoutMs))[0]!;
  }

  close(): void {
    this.watcher.close();
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.reject(new Error('marker watch closed'));
    }
    this.waiters.clear();
  }
}
