// One probe of one container attempt, driven by a single timer: the first attempt when
// initialDelaySeconds have passed since the container started, then one every periodSeconds
// (an attempt never overlaps the next). Results pass through successThreshold /
// failureThreshold as the kubelet's probe worker does; a liveness or startup probe that reaches
// its failure threshold stops (the container is going to be killed; the next attempt gets new
// workers), a startup probe also stops once it succeeded.
//
// After the first attempt, attempts start on a grid shared by every probe (multiples of
// SLOT_MS since the epoch) and stay on it, one period apart as a ticker's: a node with hundreds
// of probes then wakes once per slot for a batch of them rather than once per probe, which is
// most of what a probe costs the agent (the connections are cheap next to the wake-ups). The
// price is that the second attempt comes up to SLOT_MS later than one period after the first.
import type { Probe } from 'kubernetes-types/core/v1';
import { probeTiming, runProbe, type ProbeTiming } from './prober.js';
import type { ProbeKind, ProbeOutcome, ProbeTarget } from './types.js';

/** The probes' shared grid (ms): divides every period (whole seconds), so a probe stays on it. */
export const SLOT_MS = 100;

/**
 * When the attempt after one due at `dueAt` starts: one period later (a late timer does not shift
 * the attempts after it), or at once when the attempt itself took longer than that; on the grid.
 */
export function nextAttemptAt(dueAt: number, periodMs: number, now: number): number {
  return Math.ceil(Math.max(dueAt + periodMs, now) / SLOT_MS) * SLOT_MS;
}

export interface ProbeWorkerOptions {
  kind: ProbeKind;
  probe: Probe;
  target: ProbeTarget;
  /** When the container attempt started (epoch ms): initialDelaySeconds count from there. */
  startedAt: number;
  /** The probe's settled result changed or was confirmed past a threshold. */
  onResult(result: 'success' | 'failure'): void;
  /** Unhealthy / ProbeWarning events, in the kubelet's words. */
  onEvent(type: 'Normal' | 'Warning', reason: string, message: string): void;
  /** Replaceable in tests. */
  run?: (probe: Probe, target: ProbeTarget, timeoutMs: number) => Promise<ProbeOutcome>;
}

export class ProbeWorker {
  readonly timing: ProbeTiming;
  private timer: NodeJS.Timeout | undefined;
  /** When the pending attempt is due (epoch ms). */
  private dueAt = 0;
  private stopped = false;
  private lastResult: 'success' | 'failure' | undefined;
  private run = 0;
  /** Attempts made (for tests and metrics). */
  attempts = 0;

  constructor(private readonly o: ProbeWorkerOptions) {
    this.timing = probeTiming(o.probe);
  }

  start(): void {
    if (this.stopped) return;
    this.schedule(this.o.startedAt + this.timing.initialDelayMs);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  private schedule(at: number): void {
    clearTimeout(this.timer);
    this.dueAt = at;
    this.timer = setTimeout(() => void this.tick(), Math.max(0, at - Date.now()));
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    this.attempts++;
    let outcome: ProbeOutcome;
    try {
      outcome = await (this.o.run ?? runProbe)(this.o.probe, this.o.target, this.timing.timeoutMs);
    } catch (err) {
      outcome = { result: 'unknown', output: err instanceof Error ? err.message : String(err) };
    }
    if (this.stopped) return;
    this.settle(outcome);
    if (!this.stopped) this.schedule(nextAttemptAt(this.dueAt, this.timing.periodMs, Date.now()));
  }

  private settle(outcome: ProbeOutcome): void {
    const { kind } = this.o;
    if (outcome.result === 'unknown') {
      // The prober itself failed: reported, but the result is not counted (as upstream).
      this.o.onEvent('Warning', 'Unhealthy', `${kind} probe errored: ${outcome.output}`);
      return;
    }
    if (outcome.result === 'failure') this.o.onEvent('Warning', 'Unhealthy', `${kind} probe failed: ${outcome.output}`);
    if (outcome.result === 'warning') this.o.onEvent('Warning', 'ProbeWarning', `${kind} probe warning: ${outcome.output}`);
    const result = outcome.result === 'failure' ? 'failure' : 'success';
    if (result === this.lastResult) this.run++;
    else {
      this.lastResult = result;
      this.run = 1;
    }
    const threshold = result === 'failure' ? this.timing.failureThreshold : this.timing.successThreshold;
    if (this.run < threshold) return;
    if (kind !== 'Readiness' && result === 'failure') this.stop();
    if (kind === 'Startup' && result === 'success') this.stop();
    this.o.onResult(result);
  }
}
