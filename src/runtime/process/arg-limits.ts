// The kernel's limits on what execve accepts (linux/binfmts.h): one argument or environment
// string may be at most MAX_ARG_STRLEN bytes, and all of them together (with their pointers) at
// most a quarter of the stack limit. Checked before a container's state exists, so that an
// oversized manifest value is reported by its field instead of as a bare `spawn E2BIG`.
import { readFileSync } from 'node:fs';
import type { Container, Pod } from 'kubernetes-types/core/v1';

/** One string, its terminating NUL included (32 pages of 4 KiB). */
export const MAX_ARG_STRLEN = 32 * 4096;
/** Room left for the shim's own options (mount lists, cgroup files) and the pointers' alignment. */
const SHIM_ROOM = 64 * 1024;

let argMaxCache: number | undefined;

/** ARG_MAX as the kernel computes it for this process: a quarter of the stack's soft limit. */
export function argMax(): number {
  if (argMaxCache !== undefined) return argMaxCache;
  let stack = 8 * 1024 * 1024;
  try {
    const m = /^Max stack size\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (m) stack = m[1] === 'unlimited' ? 4 * 6 * 1024 * 1024 : Number(m[1]);
  } catch {
    // No /proc: assume the usual 8 MiB stack.
  }
  argMaxCache = Math.max(stack / 4, 32 * 4096);
  return argMaxCache;
}

/** Why `command`/`args`/`env` cannot be exec'd (naming the field), or undefined when they can. */
export function oversizedArgument(pod: Pod, container: Container, command: string[], args: string[], env: Record<string, string>, limit = argMax()): string | undefined {
  const base = fieldOf(pod, container);
  const fix = 'shorten it, e.g. put big values in a file from a volume (a ConfigMap or hostPath) and read it from there';
  let total = 0;
  const check = (value: string, field: string): string | undefined => {
    const bytes = Buffer.byteLength(value) + 1;
    total += bytes + 8;
    if (bytes > MAX_ARG_STRLEN) return `${field} is ${bytes - 1} bytes, more than the ${MAX_ARG_STRLEN - 1} bytes the kernel accepts for one argument or environment variable (E2BIG); ${fix}`;
    return undefined;
  };
  for (const [i, v] of command.entries()) {
    const problem = check(v, `${base}.command[${i}]`);
    if (problem) return problem;
  }
  for (const [i, v] of args.entries()) {
    const problem = check(v, `${base}.args[${i}]`);
    if (problem) return problem;
  }
  for (const [name, value] of Object.entries(env)) {
    const index = container.env?.findIndex((e) => e.name === name) ?? -1;
    const problem = check(`${name}=${value}`, index >= 0 ? `${base}.env[${index}] (${name})` : `the environment variable ${name}`);
    if (problem) return problem;
  }
  if (total + SHIM_ROOM > limit) {
    return `${base}: command, args and env are ${total} bytes together, more than the ${limit - SHIM_ROOM} bytes the kernel accepts for one program (E2BIG); ${fix}`;
  }
  return undefined;
}

function fieldOf(pod: Pod, container: Container): string {
  const i = pod.spec?.containers?.findIndex((c) => c.name === container.name) ?? -1;
  if (i >= 0) return `spec.containers[${i}]`;
  const j = pod.spec?.initContainers?.findIndex((c) => c.name === container.name) ?? -1;
  return j >= 0 ? `spec.initContainers[${j}]` : `container "${container.name}"`;
}
