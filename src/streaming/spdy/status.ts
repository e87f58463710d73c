// What the kubelet writes on the error stream when a command ends: a metav1.Status (JSON) on v4,
// the bare message on older protocols (which have nothing to write on success).
import type { RemoteCommandOutcome } from '../types.js';

/** Exit codes travel as a uint8 (kubectl parses them so); one outside 0..255 is reported as 1. */
function exitCodeOf(code: number): number {
  return Number.isInteger(code) && code >= 0 && code <= 255 ? code : 1;
}

export function statusMessage(protocol: string, outcome: RemoteCommandOutcome): string {
  const v4 = protocol === 'v4.channel.k8s.io';
  if ('exitCode' in outcome) {
    const code = exitCodeOf(outcome.exitCode);
    if (code === 0) return v4 ? JSON.stringify({ metadata: {}, status: 'Success' }) : '';
    const message = `command terminated with non-zero exit code: command terminated with exit code ${code}`;
    if (!v4) return message;
    return JSON.stringify({ metadata: {}, status: 'Failure', message, reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: String(code) }] } });
  }
  const message = `Internal error occurred: ${outcome.error}`;
  if (!v4) return message;
  return JSON.stringify({ metadata: {}, status: 'Failure', message, reason: 'InternalError', details: { causes: [{ message: outcome.error }] }, code: 500 });
}
