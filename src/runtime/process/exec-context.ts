// What a command exec'd into a container inherits, from the container's recorded state. The one
// place that gives an exec'd process the container's context: a container that gets a cgroup or
// namespaces records them in its meta.json, and this function hands them on to `execLaunch`.
import { RuntimeError } from '../types.js';
import type { ExecContext } from './exec.js';
import type { ContainerMeta } from './state.js';

export function containerExecContext(meta: ContainerMeta, pid: number): ExecContext {
  if (!meta.exec) {
    // Guessing (e.g. running as the agent's root) could give the command more than the container has.
    throw new RuntimeError(
      'ExecError',
      `exec: container "${meta.containerName}" of pod ${meta.podNamespace}/${meta.podName} was started by an older berth ` +
        'that did not record its user and environment; restart the pod (or its container) to exec into it',
    );
  }
  return { runAs: meta.exec.runAs, env: meta.exec.env, workingDir: meta.exec.workingDir, pid };
}
