// HTTP dispatch: authenticate, route, run the verb, write the answer. Any failure becomes a
// Kubernetes Status body; nothing a client sends can throw out of here.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isPublicPath } from './auth.js';
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
import { errorMedia, negotiate, serialize, type Media, type Negotiated } from './media/index.js';
import { kindHasProtobuf } from './protobuf/index.js';
import { pods, resourceKey, type KubeObject } from './resources.js';
import { route, type Route } from './routes.js';
import { ApiError, internalError, methodNotAllowed, notFound, notFoundPath, unauthorized } from './status.js';
import { serveWatch, type WatchContext } from './watch.js';
import type { Pod } from 'kubernetes-types/core/v1';

export interface DispatchDeps extends HandlerContext {
  authenticate: (req: IncomingMessage) => boolean;
  logs: LogReader | undefined;
  bookmarkIntervalMs: number;
  /** host:port clients reach us at, for /api's serverAddressByClientCIDRs. */
  serverAddress: () => string;
}

export interface Dispatcher {
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Ends every open watch and log stream (server shutdown). */
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

function flag(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v === 'true' || v === '1';
}

export function createDispatcher(d: DispatchDeps): Dispatcher {
  const active = new Set<() => void>();
  const logStreams = new Set<() => void>();
  const watchCtx: WatchContext = { store: d.store, logger: d.logger, bookmarkIntervalMs: d.bookmarkIntervalMs, active };

  async function resource(req: IncomingMessage, res: ServerResponse, rt: Extract<Route, { kind: 'resource' }>, q: URLSearchParams): Promise<void> {
    const method = req.method ?? 'GET';
    const r: ResourceRequest = { def: rt.def, namespace: rt.namespace, name: rt.name, subresource: rt.subresource, query: q };
    const watching = method === 'GET' && (rt.legacyWatch || flag(q, 'watch'));
    // Negotiated before anything is read or written, so a 406 changes nothing (as in kube).
    const n: Negotiated | undefined =
      rt.subresource === 'log'
        ? undefined
        : negotiate(req.headers.accept, {
            includeObject: q.get('includeObject'),
            watch: watching,
            protobuf: kindHasProtobuf(rt.def.apiVersion, rt.def.kind),
          });
    const out = () => n!.output;
    const media = n?.media ?? 'json';
    const body = () => readBody(req);
    const ct = req.headers['content-type'];
    const path = req.url ?? '';

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
        return sendAnswer(res, createObject(d, r, await body(), ct), media);
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

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://apiserver.invalid');
    const path = url.pathname;
    if (!isPublicPath(path) && !d.authenticate(req)) throw unauthorized();
    const rt = route(path);
    const method = req.method ?? 'GET';
    if (rt.kind === 'resource') return resource(req, res, rt, url.searchParams);
    if (rt.kind === 'notFound') throw notFoundPath(path);
    if (method !== 'GET') throw methodNotAllowed(method, path);
    switch (rt.kind) {
      case 'root':
        return sendJson(res, 200, { paths: ['/api', '/api/v1', '/apis', '/apis/coordination.k8s.io', '/apis/coordination.k8s.io/v1', '/healthz', '/livez', '/readyz', '/version'] });
      case 'version':
        return sendJson(res, 200, VERSION_INFO);
      case 'health':
        return sendText(res, 200, 'ok');
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

  return {
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
