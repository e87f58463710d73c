// The real kubectl against a berth's API, for the lifecycle stories: a private HOME (its cache),
// a row of `kubectl get pods`, waiting for a row, `describe` until an event shows.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1';
import { waitFor } from './harness.js';

export interface Kubectl {
  run(...args: string[]): { code: number | null; out: string; err: string };
  /** READY, STATUS and RESTARTS of a pod in `kubectl get pods`. */
  row(pod: string): { ready: string; status: string; restarts: string } | undefined;
  /** Waits until the row shows `status` (and `ready`, when given). */
  rowIs(pod: string, ready: string | undefined, status: string, timeoutMs?: number): Promise<{ ready: string; status: string; restarts: string }>;
  get(pod: string): Pod;
  /** Waits until `kubectl describe pod` matches (events arrive asynchronously). */
  described(pod: string, pattern: RegExp, timeoutMs?: number): Promise<string>;
  cleanup(): void;
}

export function kubectlFor(kubeconfig: string): Kubectl {
  const home = mkdtempSync(join(tmpdir(), 'berth-kubectl-home-'));
  const env = { ...process.env, KUBECONFIG: kubeconfig, HOME: home, KUBECACHEDIR: join(home, 'cache') };
  const run = (...args: string[]) => {
    const r = spawnSync('kubectl', args, { encoding: 'utf8', env, timeout: 30_000 });
    return { code: r.status, out: r.stdout ?? '', err: r.stderr ?? '' };
  };
  const row = (pod: string) => {
    const cells = run('get', 'pod', pod, '--no-headers').out.trim().split(/\s{2,}/);
    return cells.length >= 3 ? { ready: cells[1]!, status: cells[2]!, restarts: cells[3] ?? '' } : undefined;
  };
  return {
    run,
    row,
    rowIs: (pod, ready, status, timeoutMs = 30_000) => {
      let last: ReturnType<typeof row>;
      return waitFor(
        () => {
          last = row(pod);
          return last && last.status === status && (ready === undefined || last.ready === ready) ? last : undefined;
        },
        `kubectl get pods shows ${pod} ${ready ?? '*'} ${status}`,
        timeoutMs,
      ).catch((err: Error) => {
        throw new Error(`${err.message} (it showed ${JSON.stringify(last)})`);
      });
    },
    get: (pod) => JSON.parse(run('get', 'pod', pod, '-o', 'json').out || '{}') as Pod,
    described: (pod, pattern, timeoutMs = 30_000) =>
      waitFor(() => {
        const out = run('describe', 'pod', pod).out;
        return pattern.test(out) ? out : undefined;
      }, `kubectl describe pod ${pod} shows ${pattern}`, timeoutMs),
    cleanup: () => rmSync(home, { recursive: true, force: true }),
  };
}
