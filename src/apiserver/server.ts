// HTTP dispatch: authenticate, route, run the verb, write the answer. Any failure becomes a
// Kubernetes Status body; nothing a client sends can throw out of here.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { hasCredentials, isPublicPath } from './auth.js';
import { HEALTH_ENDPOINTS, health, healthCheckNames } from './health.js';
import { notServed, staticPodsOnly, unsupportedPodSubresource, verbNotAllowed } from './refusals.js';
import { answerReview } from './reviews.js';
import { ClientGoneError, readBody } from './body.js';
import {
  VERSION_INFO,
  aggregatedDiscovery,
  apiResourceList,
  legacyApiGroup,
  legacyApiGroupList,
  legacyApiVersions,
  negotiateDiscovery,
} from './discovery.js';
import {
  createObject,
  deleteCollection,
  deleteObject,
  getObject,
  listObjects,
  patchObject,
  selectorFor,
  updateObject,
  type Answer,
  type HandlerContext,
  type ResourceRequest,
} from './handlers.js';
import { serveLogs, type LogReader } from './logs.js';
import { serveMetrics, type UsageSource } from './metrics-api/index.js';
import type { NodeConnection } from './node-connection.js';
import { proxyUpgrade, refuseUpgrade, streamLocation } from './stream-proxy.js';
import { serveOpenApi } from './openapi/index.js';
import { errorMedia, negotiate, serialize, type Media, type Negotiated } from './media/index.js';
import { kindHasProtobuf } from './protobuf/index.js';
import { boolParam } from './query.js';
import { groupVersions, isStreamSubresource, pods, resourceKey, type KubeObject } from './resources.js';
import { route, type Route } from './routes.js';
import { ApiError, badRequest, internalError, methodNotAllowed, notFound, notFoundPath, unauthorized } from './status.js';
import { serveWatch, type WatchContext } from './watch.js';
import { WatchBacklog } from './watch-backlog.js';
import type { Pod } from 'kubernetes-types/core/v1';

export interface DispatchDeps extends HandlerContext {
  authenticate: (req: IncomingMessage) => boolean;
  /** Whether a token is this server's: what a TokenReview asks. */
  tokenMatches: (token: string) => boolean;
  /** The node API, for the streams of pods/exec, pods/attach and pods/portforward. */
  node: NodeConnection;
  /** pods/log, read from the node API. */
  logs: LogReader;
  /** metrics.k8s.io, read from the node API. */
  usage: UsageSource;
  bookmarkIntervalMs: number;
  /** Bound on the unsent bytes of all watches together (default 64 MiB). */
  watchBacklogBytes?: number;
  /** host:port clients reach us at, for /api's serverAddressByClientCIDRs. */
  serverAddress: () => string;
  /** True once the server is shutting down (readyz fails). */
  shuttingDown?: () => boolean;
}

/** The Kubernetes verb of a request on a resource route (RBAC's words). */
function verbOf(method: string, rt: Extract<Route, { kind: 'resource' }>, watch: boolean): string {
  switch (method) {
    case 'GET':
    case 'HEAD':
      return watch ? 'watch' : rt.name !== undefined ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return rt.name !== undefined ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

/** Every path served, for GET / (as kube lists its paths). */
function rootPaths(): string[] {
  const paths = new Set(['/api', '/api/v1', '/apis', '/version']);
  for (const gv of groupVersions()) {
    if (!gv.group) continue;
    paths.add(`/apis/${gv.group}`);
    paths.add(`/apis/${gv.group}/${gv.version}`);
  }
  for (const h of HEALTH_ENDPOINTS) {
    paths.add(`/${h}`);
    for (const c of healthCheckNames(h)) paths.add(`/${h}/${c}`);
  }
  return [...paths].sort();
}

export interface Dispatcher {
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** A request to upgrade the connection: pods/exec, pods/attach, pods/portforward, proxied to the node API. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Ends every open watch, log stream and proxied stream (server shutdown). */
  endStreams(): void;
  /** Open watch streams. */
  watchers(): number;
  /** Ends every open watch cleanly (not log streams); clients watch again from their last version. */
  endWatches(): void;
}

function sendJson(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
  if (res.headersSent || res.destroyed) return;
  const data = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(data), 'Cache-Control': 'no-cache, private' });
  res.end(data);
}

function sendText(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** Writes a body in the negotiated media type (JSON, YAML or protobuf). */
function sendBody(res: ServerResponse, code: number, body: unknown, media: Media, contentType = 'application/json'): void {
  if (res.headersSent || res.destroyed) return;
  const wire = serialize(media, contentType, body);
  res.writeHead(code, { 'Content-Type': wire.contentType, 'Content-Length': Buffer.byteLength(wire.data), 'Cache-Control': 'no-cache, private' });
  res.end(wire.data);
}

function sendAnswer(res: ServerResponse, a: Answer, media: Media): void {
  sendBody(res, a.code, a.encoded.body, media, a.encoded.contentType);
}

export function createDispatcher(d: DispatchDeps): Dispatcher {
  const active = new Set<() => void>();
  const logStreams = new Set<() => void>();
  const watchCtx: WatchContext = { store: d.store, logger: d.logger, bookmarkIntervalMs: d.bookmarkIntervalMs, active, backlog: new WatchBacklog(d.watchBacklogBytes) };

  async function resource(req: IncomingMessage, res: ServerResponse, rt: Extract<Route, { kind: 'resource' }>, q: URLSearchParams): Promise<void> {
    const method = req.method ?? 'GET';
    const r: ResourceRequest = { def: rt.def, namespace: rt.namespace, name: rt.name, subresource: rt.subresource, query: q, userAgent: req.headers['user-agent'] };
    const watching = method === 'GET' && (rt.legacyWatch || boolParam(q, 'watch'));
    // Negotiated before anything is read or written, so a 406 changes nothing (as in kube).
    const n: Negotiated | undefined =
      rt.subresource === 'log' || isStreamSubresource(rt.subresource)
        ? undefined
        : negotiate(req.headers.accept, {
            includeObject: q.get('includeObject'),
            watch: watching,
            protobuf: () => kindHasProtobuf(rt.def.apiVersion, rt.def.kind),
          });
    const out = () => n!.output;
    const media = n?.media ?? 'json';
    const body = () => readBody(req);
    const ct = req.headers['content-type'];
    const path = req.url ?? '';

    const verb = verbOf(method, rt, rt.legacyWatch || boolParam(q, 'watch'));
    if (rt.def.review) {
      if (verb !== 'create' || rt.name !== undefined) throw verbNotAllowed(rt.def, verb, path);
      return sendJson(res, 201, answerReview(rt.def, await body(), ct, d.nodeName, d.tokenMatches));
    }
    if (!rt.subresource && !rt.def.verbs.includes(verb)) throw verbNotAllowed(rt.def, verb, path);

    if (isStreamSubresource(rt.subresource)) {
      if (method !== 'GET' && method !== 'POST') throw methodNotAllowed(method, path);
      // The upgrade itself arrives through upgrade() below; a plain request cannot carry a stream.
      throw badRequest('Upgrade request required');
    }
    if (rt.def.metrics) {
      if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed(method, path);
      return sendAnswer(res, await serveMetrics(d, d.usage, { def: rt.def, namespace: rt.namespace, name: rt.name, query: q }, out()), media);
    }

    if (rt.subresource === 'log') {
      if (method !== 'GET') throw methodNotAllowed(method, path);
      const pod = d.store.get(resourceKey(pods), rt.namespace, rt.name!);
      if (!pod) throw notFound(pods, rt.name!);
      await serveLogs(d.logs, d.logger, pod as unknown as Pod, q, req, res, (stop) => {
        logStreams.add(stop);
        return () => logStreams.delete(stop);
      });
      return;
    }

    switch (method) {
      case 'GET': {
        if (watching) {
          if (rt.subresource) throw methodNotAllowed('WATCH', path);
          const matches: (o: KubeObject) => boolean = selectorFor(rt.def, q, rt.name);
          serveWatch(watchCtx, { def: rt.def, namespace: rt.namespace, matches, output: out(), media, query: q }, req, res);
          return;
        }
        if (rt.name !== undefined) return sendAnswer(res, getObject(d, r, out()), media);
        return sendAnswer(res, listObjects(d, r, out()), media);
      }
      case 'POST':
        if (rt.name !== undefined || rt.subresource || (rt.def.namespaced && rt.namespace === undefined)) {
          throw methodNotAllowed(method, path);
        }
        return sendAnswer(res, createWithRefusals(r, await body(), ct), media);
      case 'PUT':
        if (rt.name === undefined) throw methodNotAllowed(method, path);
        return sendAnswer(res, updateObject(d, r, await body(), ct), media);
      case 'PATCH':
        if (rt.name === undefined) throw methodNotAllowed(method, path);
        return sendAnswer(res, patchObject(d, r, await body(), ct), media);
      case 'DELETE':
        if (rt.subresource) throw methodNotAllowed(method, path);
        if (rt.name !== undefined) return sendAnswer(res, deleteObject(d, r, await body(), ct), media);
        if (!rt.def.verbs.includes('deletecollection')) throw methodNotAllowed(method, path);
        return sendAnswer(res, deleteCollection(d, r, await body(), ct), media);
      default:
        throw methodNotAllowed(method, path);
    }
  }

  /** A create, with "static pods only" winning over a body this server cannot read (kubectl run sends protobuf). */
  function createWithRefusals(r: ResourceRequest, raw: Buffer, ct: string | undefined): Answer {
    try {
      return createObject(d, r, raw, ct);
    } catch (err) {
      if (r.def !== pods || !(err instanceof ApiError) || err.code !== 415) throw err;
      const refusal = staticPodsOnly(d.nodeName, '');
      throw new ApiError(403, 'Forbidden', `${refusal.message}; besides, ${err.message}`, refusal.details);
    }
  }

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://apiserver.invalid');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    // Anonymous callers (no credentials at all) may read what kube's system:public-info-viewer
    // allows; a wrong token is a 401 everywhere, as kube's authentication fails before authorization.
    const anonymous = !hasCredentials(req) && isPublicPath(path) && (method === 'GET' || method === 'HEAD');
    if (!anonymous && !d.authenticate(req)) throw unauthorized();
    const rt = route(path);
    if (rt.kind === 'resource') return resource(req, res, rt, url.searchParams);
    if (rt.kind === 'notFound') throw unsupportedPodSubresource(path, d.nodeName) ?? notServed(path, d.nodeName) ?? notFoundPath(path);
    if (method !== 'GET') throw methodNotAllowed(method, path);
    switch (rt.kind) {
      case 'root':
        return sendJson(res, 200, { paths: rootPaths() });
      case 'version':
        return sendJson(res, 200, VERSION_INFO);
      case 'health': {
        const a = health(rt.endpoint, rt.check, url.searchParams, {
          probeStore: () => void d.store.size(),
          shuttingDown: d.shuttingDown ?? (() => false),
          logger: d.logger,
        });
        res.setHeader('X-Content-Type-Options', 'nosniff');
        return sendText(res, a.code, a.text);
      }
      case 'openapi': {
        const a = serveOpenApi(rt.rest, url.searchParams, req.headers.accept, req.headers['if-none-match']);
        res.writeHead(a.code, { ...a.headers, 'Content-Length': Buffer.byteLength(a.body) });
        res.end(a.body);
        return;
      }
      case 'api':
      case 'apis': {
        const f = negotiateDiscovery(req.headers.accept);
        if (f.kind === 'aggregated') {
          res.setHeader('Vary', 'Accept');
          return sendJson(res, 200, aggregatedDiscovery(rt.kind, f.version), f.contentType);
        }
        return sendJson(res, 200, rt.kind === 'api' ? legacyApiVersions(d.serverAddress()) : legacyApiGroupList());
      }
      case 'group': {
        const g = legacyApiGroup(rt.group);
        if (!g) throw notFoundPath(path);
        return sendJson(res, 200, g);
      }
      case 'resourceList': {
        const l = apiResourceList(rt.group, rt.version);
        if (!l) throw notFoundPath(path);
        return sendJson(res, 200, l);
      }
    }
  }

  /** Resolves the node API path of a stream request; throws ApiErrors (401, 404, 400, 405). */
  function streamTarget(req: IncomingMessage): string {
    const url = new URL(req.url ?? '/', 'http://apiserver.invalid');
    if (!d.authenticate(req)) throw unauthorized();
    const rt = route(url.pathname);
    if (rt.kind !== 'resource' || rt.def !== pods || !isStreamSubresource(rt.subresource) || rt.name === undefined || rt.namespace === undefined) {
      throw badRequest(`${url.pathname} cannot be upgraded: only pods/exec, pods/attach and pods/portforward are streams; send this request without an Upgrade header`);
    }
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'POST') throw methodNotAllowed(method, url.pathname);
    const pod = d.store.get(resourceKey(pods), rt.namespace, rt.name);
    if (!pod) throw notFound(pods, rt.name);
    return streamLocation(pod as unknown as Pod, rt.subresource, url.searchParams);
  }

  return {
    upgrade(req, socket, head) {
      socket.on('error', () => socket.destroy());
      let target: string;
      try {
        target = streamTarget(req);
      } catch (err) {
        const e = err instanceof ApiError ? err : internalError((err as Error)?.message ?? String(err));
        d.logger.debug('apiserver: stream refused', { method: req.method, url: req.url, code: e.code });
        refuseUpgrade(socket, e);
        return;
      }
      d.logger.debug('apiserver: stream', { method: req.method, url: req.url, node: target });
      proxyUpgrade(d.node, target, req, socket, head, d.logger, (stop) => {
        logStreams.add(stop);
        return () => logStreams.delete(stop);
      });
    },
    handle(req, res) {
      const started = Date.now();
      res.on('finish', () => {
        d.logger.debug('apiserver: request', { method: req.method, url: req.url, code: res.statusCode, ms: Date.now() - started });
      });
      dispatch(req, res).catch((err: unknown) => {
        if (err instanceof ClientGoneError) return;
        let e: ApiError;
        if (err instanceof ApiError) e = err;
        else {
          d.logger.error('apiserver: request failed', { method: req.method, url: req.url, err, stack: (err as Error)?.stack });
          e = internalError((err as Error)?.message ?? String(err));
        }
        if (res.headersSent) {
          res.destroy();
          return;
        }
        // An unauthenticated client gets no keep-alive: we will not read whatever body it still sends.
        if (e.code === 401) res.setHeader('Connection', 'close');
        // An error is written in the client's preferred media type too (a 406 only in JSON).
        sendBody(res, e.code, e.toStatus(), e.code === 406 ? 'json' : errorMedia(req.headers.accept));
      });
    },
    endStreams() {
      for (const end of [...active]) end();
      for (const stop of [...logStreams]) stop();
    },
    watchers: () => active.size,
    endWatches() {
      for (const end of [...active]) end();
    },
  };
}
