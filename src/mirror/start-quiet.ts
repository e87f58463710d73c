// Lets the node's API bookkeeping (mirror pod writes, events) wait while containers are being
// started. On a small node the agent, the embedded API server it talks to over HTTPS and the
// container engine share a couple of cores: a mirror create, its status writes and three event
// POSTs sent in the middle of a start made it a quarter slower (containerd, 2 cores: 133 ms from
// manifest to a serving httpd instead of 108 with no API). The wait is bounded, so under a steady
// stream of starts (2000 pods at once) the API still hears from the node at least every maxWaitMs.

interface Waiter {
  settleMs: number;
  done: () => void;
}

export class StartQuiet {
  private readonly waiters = new Set<Waiter>();

  constructor(
    /** True while some sandbox or container start is under way. */
    private readonly busy: () => boolean,
    private readonly maxWaitMs: number,
  ) {}

  /**
   * Resolves when no start is under way, or after maxWaitMs. With `settleMs`, a wait that began
   * during a start ends that much after it (a process just started is still initialising).
   */
  wait(settleMs = 0): Promise<void> {
    if (!this.busy()) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter: Waiter = {
        settleMs,
        done: () => {
          clearTimeout(cap);
          this.waiters.delete(waiter);
          resolve();
        },
      };
      const cap = setTimeout(waiter.done, this.maxWaitMs);
      this.waiters.add(waiter);
    });
  }

  /** The node's pods changed (a start may have returned): release the waiters if it is quiet now. */
  changed(): void {
    if (this.waiters.size === 0 || this.busy()) return;
    for (const w of [...this.waiters]) {
      if (w.settleMs === 0) w.done();
      else setTimeout(() => (this.busy() ? undefined : w.done()), w.settleMs);
    }
  }

  /** Releases every waiter now (shutdown). */
  release(): void {
    for (const w of [...this.waiters]) w.done();
  }
}
