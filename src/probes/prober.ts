// One attempt of a probe, whichever handler it names, with the upstream defaults.
import type { Probe } from 'kubernetes-types/core/v1';
import { probeExec } from './exec.js';
import { probeGrpc } from './grpc.js';
import { probeHttp } from './http.js';
import { probeTcp } from './tcp.js';
import type { ProbeOutcome, ProbeTarget } from './types.js';

/** A probe's timing with the API defaults filled in (pkg/apis/core/v1/defaults.go). */
export interface ProbeTiming {
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
  successThreshold: number;
  failureThreshold: number;
}

export function probeTiming(p: Probe): ProbeTiming {
  const pos = (v: number | undefined, dflt: number) => (typeof v === 'number' && v > 0 ? v : dflt);
  return {
    initialDelayMs: Math.max(0, p.initialDelaySeconds ?? 0) * 1000,
    periodMs: pos(p.periodSeconds, 10) * 1000,
    timeoutMs: pos(p.timeoutSeconds, 1) * 1000,
    successThreshold: pos(p.successThreshold, 1),
    failureThreshold: pos(p.failureThreshold, 3),
  };
}

export function runProbe(p: Probe, target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  if (p.exec) return probeExec(p.exec, target, timeoutMs);
  if (p.httpGet) return probeHttp(p.httpGet, target, timeoutMs);
  if (p.tcpSocket) return probeTcp(p.tcpSocket, target, timeoutMs);
  if (p.grpc) return probeGrpc(p.grpc, target, timeoutMs);
  return Promise.resolve({ result: 'unknown', output: 'missing probe handler (set one of exec, httpGet, tcpSocket, grpc)' });
}
