// Retry delays for API calls: doubling from `initialMs` to `maxMs`, with a little jitter so that a
// node's loops do not all hit a recovering API server in the same millisecond. A waiting loop can be
// woken early (the API server answered something else: try again now).

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 1000, maxMs: 30_000 };

export class Backoff {
  private next: number;
  private timer: NodeJS.Timeout | undefined;
  private wakeUp: (() => void) | undefined;

  constructor(private readonly o: BackoffOptions = DEFAULT_BACKOFF) {
    this.next = o.initialMs;
  }

  reset(): void {
    this.next = this.o.initialMs;
  }

  /** The delay the next wait() will use, then doubles it. */
  step(): number {
    const d = this.next;
    this.next = Math.min(this.o.maxMs, this.next * 2);
    return Math.round(d * (0.9 + Math.random() * 0.2));
  }

  /** Sleeps for the next delay, or until wake() / cancel(). */
  wait(): Promise<void> {
    const ms = this.step();
    return new Promise((resolve) => {
      this.wakeUp = () => {
        clearTimeout(this.timer);
        this.timer = undefined;
        this.wakeUp = undefined;
        resolve();
      };
      this.timer = setTimeout(this.wakeUp, ms);
    });
  }

  /** Ends a wait() now (without resetting the delay). */
  wake(): void {
    this.wakeUp?.();
  }
}
