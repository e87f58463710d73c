// Shared helpers for the source tests: temp dirs, a capturing logger, a snapshot recorder, waits.
import type { Pod } from 'kubernetes-types/core/v1';
import type { Fields, Logger } from '../../src/log/index.js';
import type { SourceSnapshot } from '../../src/sources/index.js';
import { tempDir as sharedTempDir, type TestLike } from '../cleanup.js';

export { defer, type TestLike } from '../cleanup.js';

export function tempDir(t: TestLike): Promise<string> {
  return sharedTempDir(t, 'sources');
}

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  msg: string;
  fields: Fields;
}

export function capturingLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const make = (base: Fields): Logger => ({
    debug: (msg, f) => void lines.push({ level: 'debug', msg, fields: { ...base, ...f } }),
    info: (msg, f) => void lines.push({ level: 'info', msg, fields: { ...base, ...f } }),
    warn: (msg, f) => void lines.push({ level: 'warn', msg, fields: { ...base, ...f } }),
    error: (msg, f) => void lines.push({ level: 'error', msg, fields: { ...base, ...f } }),
    child: (f) => make({ ...base, ...f }),
  });
  return Object.assign(make({}), { lines });
}

export async function waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export class Recorder {
  readonly snapshots: SourceSnapshot[] = [];
  readonly push = (s: SourceSnapshot): void => void this.snapshots.push(s);
  last(): SourceSnapshot {
    const s = this.snapshots.at(-1);
    if (!s) throw new Error('no snapshot yet');
    return s;
  }
  /** Waits until the latest snapshot satisfies pred; returns it. */
  until(what: string, pred: (s: SourceSnapshot) => boolean, timeoutMs?: number): Promise<SourceSnapshot> {
    return waitFor(what, () => {
      const s = this.snapshots.at(-1);
      return s && pred(s) ? s : undefined;
    }, timeoutMs);
  }
}

export function podYaml(name: string, image = 'busybox:1.36', extra = ''): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  containers:
  - name: main
    image: ${image}
${extra}`;
}

export function names(s: SourceSnapshot): string[] {
  return s.pods.map((p) => p.metadata?.name ?? '?');
}

export function image(p: Pod | undefined): string | undefined {
  return p?.spec?.containers[0]?.image;
}
