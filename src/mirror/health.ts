// Whether the API server answers, logged once per transition rather than per failed call: an
// unreachable API server is a normal state for a node agent (the static pods keep running) and must
// not flood the log. Error answers (403, 422, ...) are logged once per task and message until that
// task succeeds again. Recovery listeners let loops that are backing off try again at once.
import type { Logger } from '../log/index.js';
import { ApiError, describeError } from './errors.js';

export class ApiHealth {
  private down = false;
  private readonly recovered: (() => void)[] = [];
  /** Last error answer logged per task, so a repeated 403 is logged once. */
  private readonly lastError = new Map<string, string>();

  constructor(
    private readonly log: Logger,
    private readonly server: string,
  ) {}

  get reachable(): boolean {
    return !this.down;
  }

  onRecovered(fn: () => void): void {
    this.recovered.push(fn);
  }

  ok(task: string): void {
    this.lastError.delete(task);
    this.up();
  }

  /** A failed call of `task` (e.g. `node`, `lease`, `mirror default/web-n1`, `event`). */
  failed(task: string, err: unknown): void {
    if (err instanceof ApiError) {
      this.up();
      const msg = describeError(err);
      if (this.lastError.get(task) !== msg) {
        if (this.lastError.size > 1000) this.lastError.clear();
        this.lastError.set(task, msg);
        this.log.warn(`API server refused a request (${task})`, { server: this.server, request: err.request, error: msg });
      }
      return;
    }
    if (!this.down) {
      this.down = true;
      this.log.warn('API server unreachable; static pods keep running, mirror pods and node status catch up when it returns', {
        server: this.server,
        task,
        error: describeError(err),
      });
    }
  }

  private up(): void {
    if (!this.down) return;
    this.down = false;
    this.log.info('API server reachable again; reconciling node, lease and mirror pods', { server: this.server });
    for (const fn of this.recovered) fn();
  }
}
