// The probes of one container attempt: startup first (liveness and readiness wait until it has
// succeeded), then liveness and readiness side by side. Keeps the container's `started` and
// `ready` as the kubelet's prober manager reports them, and asks for a kill when liveness or
// startup reaches its failure threshold.
import type { Container } from 'kubernetes-types/core/v1';
import { ProbeWorker, type ProbeKind, type ProbeTarget } from '../probes/index.js';

export interface ProbeCallbacks {
  /** `started` or `ready` changed. */
  changed(): void;
  /** Liveness or startup failed past its threshold: the container must be killed and restarted. */
  failed(kind: 'Liveness' | 'Startup', graceSeconds: number | undefined): void;
  event(type: 'Normal' | 'Warning', reason: string, message: string): void;
}

export class ContainerProbes {
  started: boolean;
  ready: boolean;
  private readonly workers: ProbeWorker[] = [];
  private stopped = false;

  constructor(
    private readonly spec: Container,
    private readonly target: ProbeTarget,
    private readonly startedAt: number,
    private readonly cb: ProbeCallbacks,
  ) {
    this.started = !spec.startupProbe;
    this.ready = this.started && !spec.readinessProbe;
  }

  start(): void {
    if (this.spec.startupProbe) {
      const probe = this.spec.startupProbe;
      this.add('Startup', probe, (r) => {
        if (r === 'failure') return this.cb.failed('Startup', probe.terminationGracePeriodSeconds);
        if (this.started) return;
        this.started = true;
        this.ready = !this.spec.readinessProbe;
        this.startRunning();
        this.cb.changed();
      });
    } else this.startRunning();
  }

  stop(): void {
    this.stopped = true;
    for (const w of this.workers) w.stop();
    this.started = false;
    this.ready = false;
  }

  private startRunning(): void {
    const live = this.spec.livenessProbe;
    if (live) this.add('Liveness', live, (r) => r === 'failure' && this.cb.failed('Liveness', live.terminationGracePeriodSeconds));
    if (this.spec.readinessProbe) {
      this.add('Readiness', this.spec.readinessProbe, (r) => {
        const ready = r === 'success';
        if (ready === this.ready) return;
        this.ready = ready;
        this.cb.changed();
      });
    }
  }

  private add(kind: ProbeKind, probe: NonNullable<Container['livenessProbe']>, onResult: (r: 'success' | 'failure') => void): void {
    if (this.stopped) return;
    // As upstream, every probe's initialDelaySeconds counts from the container's start, also for
    // liveness and readiness that only begin once startup succeeded.
    const startedAt = this.startedAt;
    const w = new ProbeWorker({
      kind,
      probe,
      target: this.target,
      startedAt,
      onResult: (r) => !this.stopped && onResult(r),
      onEvent: (type, reason, message) => !this.stopped && this.cb.event(type, reason, message),
    });
    this.workers.push(w);
    w.start();
  }
}
