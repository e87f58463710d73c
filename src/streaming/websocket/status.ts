// What the error channel carries at the end of an exec or attach: a metav1.Status JSON on v4 and
// v5 (kubectl takes the exit code from it), the failure's message text alone on older protocols.
import type { RemoteCommandOutcome } from '../types.js';
import type { StatusStyle } from './protocols.js';

interface Status {
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { causes: { reason?: string; message: string }[] };
  code?: number;
}

/** The Status the kubelet writes for this outcome (field order as Go's encoder writes it). */
export function statusOf(outcome: RemoteCommandOutcome): Status {
  if ('error' in outcome) {
    return {
      metadata: {},
      status: 'Failure',
      message: `Internal error occurred: ${outcome.error}`,
      reason: 'InternalError',
      details: { causes: [{ message: outcome.error }] },
      code: 500,
    };
  }
  if (outcome.exitCode === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: exit status ${outcome.exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(outcome.exitCode) }] },
  };
}

/** The error channel's last message for this outcome; undefined when there is nothing to send (v1 success). */
export function errorChannelMessage(outcome: RemoteCommandOutcome, style: StatusStyle): string | undefined {
  const status = statusOf(outcome);
  if (style === 'status') return JSON.stringify(status);
  return status.status === 'Success' ? undefined : status.message;
}
