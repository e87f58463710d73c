// grpc probes: one grpc.health.v1.Health/Check call over plaintext HTTP/2, healthy only when the
// answer is SERVING (pkg/probe/grpc). The two tiny messages are encoded here by hand with
// protobufjs' reader/writer: HealthCheckRequest { string service = 1; } and
// HealthCheckResponse { ServingStatus status = 1; }.
import { Client, credentials, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import protobuf from 'protobufjs/minimal.js';
import type { GRPCAction } from 'kubernetes-types/core/v1';
import { hostPort } from './port.js';
import type { ProbeOutcome, ProbeTarget } from './types.js';

const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];
const CHECK = '/grpc.health.v1.Health/Check';

export function encodeHealthCheckRequest(service: string): Buffer {
  const w = protobuf.Writer.create();
  if (service) w.uint32((1 << 3) | 2).string(service);
  return Buffer.from(w.finish());
}

export function decodeHealthCheckResponse(buf: Buffer): number {
  const r = protobuf.Reader.create(buf);
  let status = 0;
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === 0) status = r.int32();
    else r.skipType(tag & 7);
  }
  return status;
}

export function servingStatusName(n: number): string {
  return SERVING_STATUS[n] ?? String(n);
}

export async function probeGrpc(action: GRPCAction, target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  const addr = hostPort(target.podIP, action.port);
  const client = new Client(addr, credentials.createInsecure(), {
    'grpc.user_agent': 'kube-probe/1.32',
    'grpc.enable_retries': 0,
    'grpc.initial_reconnect_backoff_ms': 100,
  });
  const seconds = `${timeoutMs / 1000}s`;
  try {
    const deadline = Date.now() + timeoutMs;
    const connectError = await new Promise<Error | undefined>((resolve) => client.waitForReady(deadline, (err) => resolve(err ?? undefined)));
    if (connectError) return { result: 'failure', output: `timeout: failed to connect service "${addr}" within ${seconds}: ${connectError.message}` };
    const answer = await new Promise<{ status?: number; err?: ServiceError }>((resolve) => {
      client.makeUnaryRequest(
        CHECK,
        (service: string) => encodeHealthCheckRequest(service),
        (b: Buffer) => decodeHealthCheckResponse(b),
        action.service ?? '',
        { deadline },
        (err, value) => resolve(err ? { err } : { status: value }),
      );
    });
    if (answer.err) {
      const e = answer.err;
      if (e.code === GrpcStatus.UNIMPLEMENTED) {
        return { result: 'failure', output: `this server does not implement the grpc health protocol (grpc.health.v1.Health): ${e.details}` };
      }
      if (e.code === GrpcStatus.DEADLINE_EXCEEDED) return { result: 'failure', output: `timeout: health rpc did not complete within ${seconds}` };
      return { result: 'failure', output: `error: health rpc probe failed: rpc error: code = ${GrpcStatus[e.code]} desc = ${e.details}` };
    }
    if (answer.status !== 1) return { result: 'failure', output: `service unhealthy (responded with "${servingStatusName(answer.status ?? 0)}")` };
    return { result: 'success', output: 'service healthy' };
  } finally {
    client.close();
  }
}
