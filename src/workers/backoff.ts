// The kubelet's CrashLoopBackOff for one container: the first restart is immediate, then the delay
// starts at 10 s and doubles up to 300 s. A container that ran for 10 minutes without crashing
// starts again from the beginning.

export const BACKOFF_INITIAL_MS = 10_000;
export const BACKOFF_MAX_MS = 300_000;
export const BACKOFF_RESET_MS = 600_000;

export class CrashLoopBackoff {
  /** Restarts since the last reset. */
  private restarts = 0;

  constructor(
    private readonly initialMs = BACKOFF_INITIAL_MS,
    private readonly maxMs = BACKOFF_MAX_MS,
    private readonly resetMs = BACKOFF_RESET_MS,
  ) {}

  /**
   * Called when a container has exited and will be restarted. Returns how long to wait before the
   * restart, counted from its exit.
   */
  nextDelay(ranForMs: number): number {
    if (ranForMs >= this.resetMs) this.restarts = 0;
    const delay = this.restarts === 0 ? 0 : Math.min(this.initialMs * 2 ** (this.restarts - 1), this.maxMs);
    this.restarts++;
    return delay;
  }
}
