// exec probes: the command runs inside the container through the runtime's execSync; exit code 0
// is healthy, anything else a failure whose output is what the command printed. A command that
// runs past timeoutSeconds is killed and counts as a failure (the kubelet's ExecProbeTimeout).
// When the runtime cannot exec at all (container gone, not supported) the result is `unknown`.
import type { ExecAction } from 'kubernetes-types/core/v1';
import type { ProbeOutcome, ProbeTarget } from './types.js';

export async function probeExec(action: ExecAction, target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  const command = action.command ?? [];
  let r;
  try {
    r = await target.exec(command, timeoutMs);
  } catch (err) {
    return { result: 'unknown', output: err instanceof Error ? err.message : String(err) };
  }
  if (r.timedOut) return { result: 'failure', output: `command "${command.join(' ')}" timed out` };
  const output = Buffer.concat([r.stdout, r.stderr]).toString('utf8');
  if (r.exitCode === 0) return { result: 'success', output };
  return { result: 'failure', output };
}
