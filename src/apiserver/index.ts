// The embedded Kubernetes-compatible API server: one node's Node, Lease, mirror pods, events and
// namespaces, served over HTTPS with a bearer token so plain `kubectl` and client libraries work
// against a single machine. It is not a cluster control plane: ordinary pods are refused, because
// this node only runs static pods from its manifest sources. With a state file the objects survive
// a restart (store/: SQLite); without one they live in memory and the agent republishes them.
// Besides the agent's objects it serves what clients expect of any cluster: the `kubernetes`
// service, the kube-public namespace, self-reviews for `kubectl auth`, and health checks and
// /version readable without a token.
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { Logger } from '../log/index.js';
import { createAuthenticator, tokenMatcher } from './auth.js';
import { defaultHosts, ensureCertificates } from './certs.js';
import { DEFAULT_EVENT_LIMITS, pruneEvents, type EventLimits } from './events.js';
import { buildKubeconfig, type KubeconfigOptions } from './kubeconfig.js';
import { UsageSource } from './metrics-api/index.js';
import type { NodeConnection } from './node-connection.js';
import { nodeLogReader } from './node-logs.js';
import { events, namespaces, resourceKey } from './resources.js';
import { tlsFront } from './listener.js';
import { createDispatcher } from './server.js';
import { ensureKubernetesService } from './services.js';
import { Store } from './store.js';
import { openDurableStore } from './store/index.js';
import { prepareCreate } from './validate.js';
import { PROTECTED_NAMESPACES } from './handlers.js';

export { LogNotFoundError, type LogRequest, type LogReader } from './logs.js';
export { eventCells, humanDuration, podCells, since } from './tables.js';
export { parseLabelSelector, parseFieldSelector, type LabelSelector, type FieldSelector } from './selectors.js';
export { MIRROR_ANNOTATION } from './validate.js';
export { boolParam, intParam, timeParam } from './query.js';
export type { EventLimits } from './events.js';
export { StoreLockedError } from './store/index.js';
export { updatedKubeconfig } from './kubeconfig-update.js';
export type { NodeConnection } from './node-connection.js';
export { tlsFront, PLAIN_HTTP_ANSWER } from './listener.js';
export { TOKEN_USER } from './reviews.js';

export interface ApiServerOptions {
  /** Default 127.0.0.1. */
  bindAddress?: string;
  /**
   * The address clients are told (URL, kubeconfig, the kubernetes service) when bindAddress is a
   * wildcard (0.0.0.0, ::): e.g. the node IP. Default: loopback.
   */
  advertiseAddress?: string;
  /** 0 = pick a free port. Default 0. */
  port?: number;
  /** CA + server cert/key are created here on first start and reused afterwards. */
  certDir: string;
  /** Bearer token required on every request (health checks excepted). */
  token: string;
  nodeName: string;
  /**
   * The node API, reached over the network as kube-apiserver reaches a kubelet: pods/log,
   * pods/exec, pods/attach, pods/portforward and metrics.k8s.io are served through it.
   */
  node: NodeConnection;
  logger: Logger;
  /** Changes a watch can resume across (default 10000). */
  historySize?: number;
  /** Period of BOOKMARK events for watches that allow them (default 30 s). */
  bookmarkIntervalMs?: number;
  /** Bound on the unsent bytes of all watches together; the slowest are ended past it (default 64 MiB). */
  watchBacklogBytes?: number;
  /** Event retention (default: at most 10 000, none older than 1 h). */
  eventLimits?: Partial<EventLimits>;
  /**
   * SQLite file that keeps the objects, the event history and the resourceVersion counter across
   * restarts (created if missing). Omitted: memory only.
   */
  stateFile?: string;
}

export interface ApiServerStats {
  /** Stored objects, total and per resource. */
  objects: number;
  byResource: Record<string, number>;
  /** Changes held for watch resumption. */
  history: number;
  resourceVersion: number;
}

export interface ApiServer {
  /** https://host:port */
  url: string;
  port: number;
  caCertPem: string;
  /** Open watch streams. */
  watchers(): number;
  /**
   * Ends every open watch cleanly, as kube-apiserver does when a watch reaches its request
   * timeout: well-behaved clients (informers) watch again from their last resourceVersion.
   */
  endWatches(): void;
  stats(): ApiServerStats;
  close(): Promise<void>;
}

function urlHost(bind: string, advertise: string | undefined): string {
  const wildcard = bind === '0.0.0.0' || bind === '' || bind === '::';
  const host = wildcard ? (advertise ?? (bind === '::' ? '::1' : '127.0.0.1')) : bind;
  return host.includes(':') ? `[${host}]` : host;
}

/** Every address of this host: a server bound to a wildcard is reached at any of them. */
function hostAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address));
}

export async function startApiServer(o: ApiServerOptions): Promise<ApiServer> {
  const bindAddress = o.bindAddress ?? '127.0.0.1';
  const logger = o.logger;
  const authenticate = createAuthenticator(o.token);
  const wildcard = bindAddress === '0.0.0.0' || bindAddress === '::' || bindAddress === '';
  const hosts = [...defaultHosts(bindAddress), o.nodeName, ...(o.advertiseAddress ? [o.advertiseAddress] : []), ...(wildcard ? hostAddresses() : [])];
  const tls = await ensureCertificates({ certDir: o.certDir, hosts, logger });
  const advertised = urlHost(bindAddress, o.advertiseAddress);

  const historySize = o.historySize ?? 10000;
  const durable = o.stateFile ? openDurableStore({ file: o.stateFile, historySize, logger }) : undefined;
  const store = durable?.store ?? new Store({ historySize });
  const now = Date.now();
  const eventLimits: EventLimits = { ...DEFAULT_EVENT_LIMITS, ...o.eventLimits };
  try {
    // A restarted store already has them: writing them again would bump their versions for nothing.
    for (const ns of PROTECTED_NAMESPACES) {
      if (store.get(resourceKey(namespaces), undefined, ns)) continue;
      store.write(resourceKey(namespaces), prepareCreate(namespaces, { metadata: { name: ns } }, undefined, now));
    }
  } catch (err) {
    durable?.close();
    throw err;
  }

  let port = o.port ?? 0;
  let shuttingDown = false;
  const dispatcher = createDispatcher({
    store,
    logger,
    nodeName: o.nodeName,
    eventLimits,
    authenticate,
    tokenMatches: tokenMatcher(o.token),
    node: o.node,
    logs: nodeLogReader(o.node),
    usage: new UsageSource(o.node),
    bookmarkIntervalMs: o.bookmarkIntervalMs ?? 30_000,
    ...(o.watchBacklogBytes !== undefined ? { watchBacklogBytes: o.watchBacklogBytes } : {}),
    serverAddress: () => `${advertised}:${port}`,
    shuttingDown: () => shuttingDown,
  });

  const server: Server = createServer({ cert: tls.certPem, key: tls.keyPem }, dispatcher.handle);
  server.on('upgrade', dispatcher.upgrade);
  // kube-apiserver's http.Server: IdleTimeout 90 s, ReadHeaderTimeout 32 s. Node's 5 s default
  // would close a client's connection between its 10 s status and lease updates, and each update
  // would then pay a TLS handshake on both sides (the agent's own mirror is such a client).
  server.keepAliveTimeout = 90_000;
  server.headersTimeout = 32_000;
  // Connections arrive through the front listener, which answers plain HTTP with kube's 400 text.
  const front = tlsFront(server);
  const sockets = new Set<Socket>();
  front.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('secureConnection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('tlsClientError', (err) => logger.debug('apiserver: TLS handshake failed', { err }));
  server.on('clientError', (err, socket) => {
    logger.debug('apiserver: bad HTTP request', { err });
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(`apiserver: ${bindAddress}:${port} is already in use; choose another port or stop what listens there`)
          : new Error(`apiserver: cannot listen on ${bindAddress}:${port}: ${err.message}`),
      );
    };
    front.once('error', onError);
    front.listen(port, bindAddress, () => {
      front.off('error', onError);
      resolve();
    });
  }).catch((err: unknown) => {
    durable?.close();
    throw err;
  });
  const addr = front.address();
  port = typeof addr === 'object' && addr ? addr.port : port;
  front.on('error', (err) => logger.error('apiserver: server error', { err }));
  ensureKubernetesService(store, advertised, port, Date.now());

  const pruneFailed = (err: unknown) => logger.error('apiserver: pruning events failed', { err: (err as Error).message });
  const prune = () => {
    try {
      // The chunks of a big pass stop once the server is closing (the store file closes with it).
      pruneEvents(store, resourceKey(events), eventLimits, Date.now(), (fn) => setImmediate(() => shuttingDown || fn()), pruneFailed);
    } catch (err) {
      pruneFailed(err);
    }
  };
  // Events that expired while the agent was down go now, not a minute from now.
  prune();
  const pruneTimer = setInterval(prune, 60_000);
  pruneTimer.unref();

  const url = `https://${advertised}:${port}`;
  logger.info('apiserver: listening', {
    url,
    node: o.nodeName,
    certDir: o.certDir,
    store: o.stateFile ?? 'memory',
    ...(durable ? { storeLoadMs: durable.loadMs } : {}),
    objects: store.size().total,
    resourceVersion: store.resourceVersion,
  });

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    caCertPem: tls.caCertPem,
    watchers: () => dispatcher.watchers(),
    endWatches: () => dispatcher.endWatches(),
    stats: () => {
      const s = store.size();
      return { objects: s.total, byResource: s.byResource, history: s.history, resourceVersion: store.resourceVersion };
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        shuttingDown = true;
        clearInterval(pruneTimer);
        dispatcher.endStreams();
        front.close(() => {
          durable?.close();
          resolve();
        });
        server.closeIdleConnections();
        // Whatever is still open (a slow request, a client mid-body) goes too.
        setImmediate(() => {
          for (const s of sockets) s.destroy();
        });
      });
      return closing;
    },
  };
}

/** YAML kubeconfig for this server: certificate-authority-data, https URL, bearer token. */
export function kubeconfigFor(server: Pick<ApiServer, 'url' | 'caCertPem'>, token: string, opts: KubeconfigOptions = {}): string {
  return buildKubeconfig(server.url, server.caCertPem, token, opts);
}
