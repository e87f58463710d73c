// A small promise-based CRI client over a unix socket (@grpc/grpc-js + @grpc/proto-loader and
// berth's own api.proto). A channel that saw the runtime vanish is thrown away and made anew on
// the next call, so a restarted containerd is used again at once instead of after grpc's
// reconnect backoff.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** A failed CRI call: the gRPC status code and the runtime's own message. */
export class CriCallError extends Error {
  constructor(
    readonly method: string,
    readonly code: grpc.status,
    readonly details: string,
    readonly endpoint: string,
  ) {
    super(`CRI ${method} on ${endpoint}: ${details}`);
    this.name = 'CriCallError';
  }

  /** The runtime could not be reached at all (no socket, refused, reset). */
  get unavailable(): boolean {
    return this.code === grpc.status.UNAVAILABLE;
  }

  get notFound(): boolean {
    return this.code === grpc.status.NOT_FOUND || /\bnot found\b/i.test(this.details);
  }
}

type Callback = (err: grpc.ServiceError | null, response: unknown) => void;
type UnaryMethod = (request: object, metadata: grpc.Metadata, options: grpc.CallOptions, callback: Callback) => void;
type ServiceClient = grpc.Client & Record<string, UnaryMethod>;
type ServiceConstructor = new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ChannelOptions) => ServiceClient;

export type CriService = 'RuntimeService' | 'ImageService';

/** Default deadline of one call; slow calls (RunPodSandbox, PullImage, StopContainer) pass their own. */
const DEFAULT_DEADLINE_MS = 30_000;

let services: { runtime: ServiceConstructor; image: ServiceConstructor } | undefined;

/**
 * The .proto ships in src/ (tsc does not copy it to dist/): found next to this file when run from
 * src/ with tsx, else under the package root's src/runtime/cri/.
 */
export function protoPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const beside = join(here, 'api.proto');
  if (existsSync(beside)) return beside;
  for (let dir = here; ; dir = dirname(dir)) {
    const candidate = join(dir, 'src', 'runtime', 'cri', 'api.proto');
    if (existsSync(join(dir, 'package.json')) && existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) break;
  }
  throw new Error(`CRI client: api.proto not found next to ${here} nor under the package root's src/runtime/cri/`);
}

function loadServices(): { runtime: ServiceConstructor; image: ServiceConstructor } {
  if (services) return services;
  const definition = protoLoader.loadSync(protoPath(), {
    keepCase: false,
    longs: String,
    enums: String,
    defaults: true,
    arrays: true,
    objects: false,
    oneofs: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    runtime: { v1: { RuntimeService: ServiceConstructor; ImageService: ServiceConstructor } };
  };
  services = { runtime: loaded.runtime.v1.RuntimeService, image: loaded.runtime.v1.ImageService };
  return services;
}

/** `unix:///run/containerd/containerd.sock`, or a bare socket path (made a unix: target). */
export function grpcTarget(endpoint: string): string {
  if (endpoint.startsWith('/')) return `unix://${endpoint}`;
  return endpoint;
}

export class CriClient {
  private runtime: ServiceClient | undefined;
  private image: ServiceClient | undefined;
  private closed = false;

  constructor(readonly endpoint: string) {}

  /** One unary call; rejects with CriCallError. */
  call<T>(service: CriService, method: string, request: object, deadlineMs = DEFAULT_DEADLINE_MS): Promise<T> {
    if (this.closed) return Promise.reject(new CriCallError(method, grpc.status.CANCELLED, 'the client is closed', this.endpoint));
    const client = this.client(service);
    const fn = client[method];
    if (typeof fn !== 'function') throw new Error(`CRI client: no method ${service}.${method} in api.proto`);
    return new Promise<T>((resolvePromise, reject) => {
      fn.call(client, request, new grpc.Metadata(), { deadline: Date.now() + deadlineMs }, (err, response) => {
        if (err) {
          if (err.code === grpc.status.UNAVAILABLE) this.reset();
          reject(new CriCallError(method, err.code, err.details || err.message, this.endpoint));
        } else {
          resolvePromise(response as T);
        }
      });
    });
  }

  close(): void {
    this.closed = true;
    this.reset();
  }

  /** Drops the channels; the next call connects anew. */
  reset(): void {
    this.runtime?.close();
    this.image?.close();
    this.runtime = undefined;
    this.image = undefined;
  }

  private client(service: CriService): ServiceClient {
    const constructors = loadServices();
    const options: grpc.ChannelOptions = {
      // A local socket: retry quickly when containerd restarts instead of backing off to minutes.
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1000,
      'grpc.max_receive_message_length': 16 * 1024 * 1024,
    };
    if (service === 'RuntimeService') {
      this.runtime ??= new constructors.runtime(grpcTarget(this.endpoint), grpc.credentials.createInsecure(), options);
      return this.runtime;
    }
    this.image ??= new constructors.image(grpcTarget(this.endpoint), grpc.credentials.createInsecure(), options);
    return this.image;
  }
}

/** True when a CRI runtime answers Version at `endpoint` within `timeoutMs`. */
export async function isCriEndpoint(endpoint: string, timeoutMs: number): Promise<boolean> {
  const client = new CriClient(endpoint);
  try {
    await client.call('RuntimeService', 'Version', { version: 'v1' }, timeoutMs);
    return true;
  } catch {
    return false;
  } finally {
    client.close();
  }
}
