// grpc probes: one grpc.health.v1.Health/Check call over plaintext HTTP/2 (no TLS, as upstream), healthy only when the
// answer is SERVING (pkg/probe/grpc). The two tiny messages are encoded here by hand with
// protobufjs' reader/writer: HealthCheckRequest { string service = 1; } and
// HealthCheckResponse { ServingStatus status = 1; }.
import { connect } from 'node:http2';
import protobuf from 'protobufjs/minimal.js';
import type { GRPCAction } from 'kubernetes-types/core/v1';
import { goDialError, PROBE_USER_AGENT } from './http.js';
import { hostPort } from './port.js';
import type { ProbeOutcome, ProbeTarget } from './types.js';

const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];
const CHECK = '/grpc.health.v1.Health/Check';
const GRPC_CODES = ['OK', 'Canceled', 'Unknown', 'InvalidArgument', 'DeadlineExceeded', 'NotFound', 'AlreadyExists', 'PermissionDenied',
  'ResourceExhausted', 'FailedPrecondition', 'Aborted', 'OutOfRange', 'Unimplemented', 'Internal', 'Unavailable', 'DataLoss', 'Unauthenticated'];
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_UNIMPLEMENTED = 12;

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

/**
 * One Check call spoken directly over HTTP/2 (a gRPC unary call is one POST with a 5-byte framed
 * message; the status comes in the trailers, or in the headers of a trailers-only answer). Done
 * by hand so that an empty request (no service name: zero bytes) is still sent as a frame.
 */
export async function probeGrpc(action: GRPCAction, target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  const addr = hostPort(target.podIP, action.port);
  const seconds = `${timeoutMs / 1000}s`;
  return new Promise((resolve) => {
    let settled = false;
    let connected = false;
    const session = connect(`http://${addr}`);
    const finish = (o: ProbeOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session.destroy();
      resolve(o);
    };
    const timer = setTimeout(
      () =>
        finish(
          connected
            ? { result: 'failure', output: `timeout: health rpc did not complete within ${seconds}` }
            : { result: 'failure', output: `timeout: failed to connect service "${addr}" within ${seconds}: context deadline exceeded` },
        ),
      Math.max(1, timeoutMs),
    );
    session.on('error', (err: NodeJS.ErrnoException) => {
      if (!connected) finish({ result: 'failure', output: `timeout: failed to connect service "${addr}" within ${seconds}: ${goDialError(err, new URL(`tcp://${addr}`))}` });
      else finish({ result: 'failure', output: `error: health rpc probe failed: ${err.message}` });
    });
    session.on('connect', () => {
      connected = true;
      const body = encodeHealthCheckRequest(action.service ?? '');
      const frame = Buffer.alloc(5 + body.length);
      frame.writeUInt32BE(body.length, 1);
      body.copy(frame, 5);
      const req = session.request({
        ':method': 'POST',
        ':path': CHECK,
        'content-type': 'application/grpc',
        te: 'trailers',
        'user-agent': PROBE_USER_AGENT,
        'grpc-timeout': `${Math.max(1, Math.floor(timeoutMs))}m`,
      });
      const chunks: Buffer[] = [];
      let headers: Record<string, unknown> = {};
      req.on('response', (h) => (headers = h));
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('error', (err) => finish({ result: 'failure', output: `error: health rpc probe failed: ${err.message}` }));
      const done = (trailers: Record<string, unknown>) => {
        const code = Number(trailers['grpc-status'] ?? headers['grpc-status'] ?? (headers[':status'] === 200 ? NaN : 2));
        const message = decodeURIComponent(String(trailers['grpc-message'] ?? headers['grpc-message'] ?? ''));
        if (code === GRPC_UNIMPLEMENTED) {
          return finish({ result: 'failure', output: `this server does not implement the grpc health protocol (grpc.health.v1.Health): ${message}` });
        }
        if (code === GRPC_DEADLINE_EXCEEDED) return finish({ result: 'failure', output: `timeout: health rpc did not complete within ${seconds}` });
        if (code !== 0) return finish({ result: 'failure', output: `error: health rpc probe failed: rpc error: code = ${GRPC_CODES[code] ?? code} desc = ${message}` });
        const all = Buffer.concat(chunks);
        const len = all.length >= 5 ? all.readUInt32BE(1) : -1;
        if (len < 0 || all.length < 5 + len) return finish({ result: 'failure', output: 'error: health rpc probe failed: the answer holds no message' });
        const status = decodeHealthCheckResponse(all.subarray(5, 5 + len));
        if (status !== 1) return finish({ result: 'failure', output: `service unhealthy (responded with "${servingStatusName(status)}")` });
        finish({ result: 'success', output: 'service healthy' });
      };
      let trailers: Record<string, unknown> | undefined;
      req.on('trailers', (t) => (trailers = t));
      req.on('end', () => done(trailers ?? {}));
      req.end(frame);
    });
  });
}
