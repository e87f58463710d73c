// A grpc.health.v1 Health service on the host (all addresses), for grpc probes of hostNetwork
// pods: the prober runs in berth and dials the pod's IP, which for a hostNetwork pod is the node's,
// so this server answers exactly as one inside the container would. The test image (busybox) has
// no gRPC server of its own. Each service's status is set by the test; an unknown service gets
// NOT_FOUND, as the reference health server answers.
import { Server, ServerCredentials, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import protobuf from 'protobufjs/minimal.js';

export const SERVING = 1;
export const NOT_SERVING = 2;

export interface GrpcHealthServer {
  port: number;
  /** The service names asked for, in order. */
  readonly asked: string[];
  set(service: string, status: typeof SERVING | typeof NOT_SERVING): void;
  close(): Promise<void>;
}

/** HealthCheckRequest { string service = 1; } */
function decodeRequest(buf: Buffer): { service: string } {
  const r = protobuf.Reader.create(buf);
  let service = '';
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === 2) service = r.string();
    else r.skipType(tag & 7);
  }
  return { service };
}

/** HealthCheckResponse { ServingStatus status = 1; } */
function encodeResponse(status: number): Buffer {
  return Buffer.from(protobuf.Writer.create().uint32(1 << 3).int32(status).finish());
}

export async function startGrpcHealthServer(): Promise<GrpcHealthServer> {
  const server = new Server();
  const statuses = new Map<string, number>();
  const asked: string[] = [];
  server.register(
    '/grpc.health.v1.Health/Check',
    (call: { request: { service: string } }, reply: (err: Partial<ServiceError> | null, value?: number) => void) => {
      const { service } = call.request;
      asked.push(service);
      const status = statuses.get(service);
      if (status === undefined) reply({ code: GrpcStatus.NOT_FOUND, details: `unknown service ${service}` });
      else reply(null, status);
    },
    encodeResponse,
    decodeRequest,
    'unary',
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('0.0.0.0:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    port,
    asked,
    set: (service, status) => void statuses.set(service, status),
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
