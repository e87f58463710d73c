// The kubelet's --read-only-port: plain HTTP without authentication, for monitoring that cannot
// authenticate. It serves only what is safe to show anyone who can reach it: /healthz, /metrics
// and /pods with every env value (and env source) removed, since env values are where secrets sit.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Container, Pod } from 'kubernetes-types/core/v1';
import type { Logger } from '../log/index.js';
import type { NodeState } from './node-state.js';
import { rawPath, routeNodePath } from './paths.js';
import { send, sendText } from './respond.js';

export interface ReadOnlyServer {
  port: number;
  close(): Promise<void>;
}

export async function startReadOnlyServer(address: string, port: number, state: NodeState, logger: Logger): Promise<ReadOnlyServer> {
  const server: Server = createServer((req, res) => {
    try {
      const route = routeNodePath(rawPath(req.url));
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        sendText(res, 405, `method ${req.method} not allowed: the read-only port is read-only (GET)`, { Allow: 'GET, HEAD' });
      } else if (route.kind === 'healthz') {
        const why = state.unhealthyReason();
        send(res, why ? 500 : 200, 'text/plain', why ? `unhealthy: ${why}\n` : 'ok');
      } else if (route.kind === 'pods') {
        send(res, 200, 'application/json', JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items: state.pods().map(withoutEnvValues) }));
      } else if (route.kind === 'metrics') {
        send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', state.metrics());
      } else {
        sendText(res, 404, `404 page not found: the read-only port serves only /healthz, /pods (without env values) and /metrics; everything else is on the authenticated HTTPS port (--port)`);
      }
    } catch (err) {
      logger.error('read-only port request failed', { url: req.url, error: String(err) });
      if (!res.headersSent) sendText(res, 500, 'internal error');
      else res.end();
    }
  });
  // As the kubelet's read-only server (IdleTimeout 90 s) and the authenticated port: a scraper
  // every 10-60 s keeps its connection instead of Node's 5 s default closing it between scrapes.
  server.keepAliveTimeout = 90_000;
  server.headersTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const hint = err.code === 'EADDRINUSE' ? ' is already in use; pick another with --read-only-port' : `: ${err.message}`;
      reject(new Error(`cannot serve the read-only port on ${address}:${port}${hint}`));
    });
    server.listen(port, address, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The pod as /pods shows it, with only the names of its env variables. */
export function withoutEnvValues(pod: Pod): Pod {
  const strip = (cs: Container[] | undefined): Container[] | undefined =>
    cs?.map(({ env, envFrom: _envFrom, ...rest }) => ({ ...rest, ...(env ? { env: env.map((e) => ({ name: e.name })) } : {}) }));
  const spec = pod.spec;
  if (!spec) return pod;
  return {
    ...pod,
    spec: {
      ...spec,
      containers: strip(spec.containers) ?? [],
      ...(spec.initContainers ? { initContainers: strip(spec.initContainers) } : {}),
      ...(spec.ephemeralContainers ? { ephemeralContainers: strip(spec.ephemeralContainers as Container[]) as typeof spec.ephemeralContainers } : {}),
    },
  };
}
