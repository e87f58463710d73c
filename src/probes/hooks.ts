// Lifecycle hooks (postStart, preStop) as pkg/kubelet/lifecycle runs them: exec inside the
// container (fails on a non-zero exit), httpGet (fails only when no answer comes at all; the
// status code is not judged, as upstream), sleep. A hook can be abandoned through `signal`:
// the pod is being removed and must still stop within its grace period.
import type { LifecycleHandler, Pod } from 'kubernetes-types/core/v1';
import { httpGetFollowing, httpGetRequest } from './http.js';
import type { ProbeTarget } from './types.js';

export interface HookContext {
  pod: Pod;
  target: ProbeTarget;
  /** Ends the hook early (it then counts as done, not failed). */
  signal?: AbortSignal;
  /** Upper bound for the hook (preStop: the grace period); none for postStart, as upstream. */
  timeoutMs?: number;
}

/** The pod as the kubelet's messages name it: `name_namespace(uid)`. */
export function podDescription(pod: Pod): string {
  const m = pod.metadata;
  return `${m?.name ?? ''}_${m?.namespace || 'default'}(${m?.uid ?? ''})`;
}

/** Runs a hook; resolves with the kubelet's failure message, or undefined when it succeeded (or was abandoned). */
export async function runHook(handler: LifecycleHandler, ctx: HookContext): Promise<string | undefined> {
  const name = ctx.target.container.name;
  const pod = podDescription(ctx.pod);
  const work = (async (): Promise<string | undefined> => {
    if (handler.exec) {
      const command = handler.exec.command ?? [];
      try {
        // execSync needs a finite timeout: an unbounded hook is bounded by a day, and by `signal`.
        const r = await ctx.target.exec(command, ctx.timeoutMs ?? 86_400_000);
        if (r.exitCode === 0 && !r.timedOut) return undefined;
        const output = Buffer.concat([r.stdout, r.stderr]).toString('utf8');
        const why = r.timedOut ? `command '${command.join(' ')}' timed out` : `command '${command.join(' ')}' exited with ${r.exitCode}: ${r.stderr.toString('utf8')}`;
        return `Exec lifecycle hook ([${command.join(' ')}]) for Container "${name}" in Pod "${pod}" failed - error: ${why}, message: ${JSON.stringify(output)}`;
      } catch (err) {
        return `Exec lifecycle hook ([${command.join(' ')}]) for Container "${name}" in Pod "${pod}" failed - error: ${(err as Error).message}, message: ""`;
      }
    }
    if (handler.httpGet) {
      const path = handler.httpGet.path ?? '';
      try {
        const req = httpGetRequest(handler.httpGet, ctx.target);
        const res = await httpGetFollowing(req.url, req.headers, ctx.timeoutMs ?? 86_400_000);
        if (!res.error) return undefined;
        return `HTTP lifecycle hook (${path}) for Container "${name}" in Pod "${pod}" failed - error: ${res.error}`;
      } catch (err) {
        return `HTTP lifecycle hook (${path}) for Container "${name}" in Pod "${pod}" failed - error: ${(err as Error).message}`;
      }
    }
    if (handler.sleep) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(0, handler.sleep!.seconds) * 1000);
        ctx.signal?.addEventListener('abort', () => {
          clearTimeout(t);
          r();
        });
      });
      return undefined;
    }
    return `Lifecycle hook for Container "${name}" in Pod "${pod}" failed - error: no handler set (use exec, httpGet or sleep)`;
  })();
  if (!ctx.signal) return work;
  if (ctx.signal.aborted) return undefined;
  return Promise.race([work, new Promise<undefined>((r) => ctx.signal!.addEventListener('abort', () => r(undefined), { once: true }))]);
}
