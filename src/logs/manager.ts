// The agent's container log manager: every monitor interval (the kubelet's
// containerLogMonitorInterval, 10s) it looks at each running container's log. Runtimes whose
// writer rotates its own file at the size limit (the process shim, the Docker log copier) only
// get their older rotated files compressed and pruned; a runtime that reopens on request
// (containerd) gets the kubelet's rename + ReopenContainerLog. It also notices output dropped
// because a log could not be written, says so once per container, and once more when it recovers.
import { promises as fs } from 'node:fs';
import type { Logger } from '../log/index.js';
import { rotateIfFull, tidyRotatedLogs } from './rotate.js';
import type { LogRotationPolicy } from './policy.js';
import type { DroppedOutput } from './writer.js';

/** A running container whose log is looked after. */
export interface LoggedContainer {
  id: string;
  logPath: string;
  pod: string;
  container: string;
}

/** What the manager needs from the runtime (a subset of Runtime). */
export interface LogRuntime {
  /** Present when the runtime only reopens its log on request: then the manager rotates. */
  reopenContainerLog?(id: string): Promise<void>;
  /** Output dropped so far because the container's log could not be written, when counted. */
  droppedLogOutput?(id: string): Promise<DroppedOutput | undefined>;
}

export interface ContainerLogManagerOptions {
  policy: LogRotationPolicy;
  monitorIntervalMs: number;
  runtime: LogRuntime;
  containers: () => LoggedContainer[];
  logger: Logger;
}

interface Watched {
  /** Inode of the live file at the last pass: a new one means its writer rotated it. */
  inode?: number;
  /** Lines dropped at the last pass, and whether it was still dropping then. */
  droppedLines: number;
  dropping: boolean;
}

export class ContainerLogManager {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private pass: Promise<void> = Promise.resolve();
  private readonly watched = new Map<string, Watched>();
  /** Lines dropped in total by containers seen (for the metric). */
  private droppedTotal = 0;

  constructor(private readonly o: ContainerLogManagerOptions) {}

  start(): void {
    const tick = (): void => {
      this.pass = this.runPass().finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.o.monitorIntervalMs).unref();
      });
    };
    this.timer = setTimeout(tick, this.o.monitorIntervalMs).unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.pass;
  }

  get droppedLines(): number {
    return this.droppedTotal;
  }

  /** One look at every running container's log (exported for tests). */
  async runPass(): Promise<void> {
    const seen = new Set<string>();
    for (const c of this.o.containers()) {
      if (this.stopped) return;
      seen.add(c.id);
      const w = this.watched.get(c.id) ?? { droppedLines: 0, dropping: false };
      this.watched.set(c.id, w);
      try {
        await this.rotate(c, w);
      } catch (err) {
        this.o.logger.warn('container log rotation failed; retrying at the next pass', {
          pod: c.pod,
          container: c.container,
          logPath: c.logPath,
          err: (err as Error).message,
        });
      }
      await this.checkDropped(c, w);
    }
    for (const id of this.watched.keys()) if (!seen.has(id)) this.watched.delete(id);
  }

  private async rotate(c: LoggedContainer, w: Watched): Promise<void> {
    const reopen = this.o.runtime.reopenContainerLog?.bind(this.o.runtime);
    if (reopen) {
      await rotateIfFull(c.logPath, this.o.policy, () => reopen(c.id));
      return;
    }
    const inode = await fs.stat(c.logPath).then(
      (s) => s.ino,
      () => undefined,
    );
    if (inode === undefined || inode === w.inode) return;
    w.inode = inode;
    await tidyRotatedLogs(c.logPath, this.o.policy);
  }

  private async checkDropped(c: LoggedContainer, w: Watched): Promise<void> {
    const dropped = await this.o.runtime.droppedLogOutput?.(c.id).catch(() => undefined);
    if (!dropped) return;
    const grew = dropped.lines > w.droppedLines;
    this.droppedTotal += Math.max(0, dropped.lines - w.droppedLines);
    w.droppedLines = Math.max(w.droppedLines, dropped.lines);
    if (grew && !w.dropping) {
      w.dropping = true;
      this.o.logger.error('container output is being dropped: its log file cannot be written (is the log disk full or read-only?); the container keeps running', {
        pod: c.pod,
        container: c.container,
        logPath: c.logPath,
        droppedLines: dropped.lines,
      });
    } else if (!dropped.failing && w.dropping) {
      w.dropping = false;
      this.o.logger.info('container output is written to its log again', {
        pod: c.pod,
        container: c.container,
        logPath: c.logPath,
        droppedLines: dropped.lines,
        droppedBytes: dropped.bytes,
      });
    }
  }
}
