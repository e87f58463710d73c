// Watch streams: HTTP 200, chunked, one JSON event per line (protobuf: one length-prefixed frame per
// event). A watch either starts with the current objects as synthetic ADDED events (no
// resourceVersion or "0"), or replays the store's history after the given version (410 Expired as an ERROR event when the ring no longer holds it, as kube does),
// then follows live changes. Selectors are applied per event, and an object that stops matching is
// sent as DELETED (starts matching: ADDED), so a filtered watch stays consistent with a filtered list.
//
// Disconnects are detected with res.on('close'): req 'close' fires as soon as the request body has
// been read, which would drop the watcher at once.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../log/index.js';
import { watchFramer, type Media } from './media/index.js';
import { encodeWatchObject, type Output } from './output.js';
import { resourceKey, type KubeObject, type ResourceDef } from './resources.js';
import type { Store, StoreEvent } from './store.js';
import { sortByKey } from './paging.js';
import { boolParam, intParam } from './query.js';
import { badRequest, expired } from './status.js';
import type { WatchBacklog, WatchBacklogEntry } from './watch-backlog.js';

/** Beyond this many unsent bytes the client is not reading: drop it instead of buffering forever. */
const MAX_PENDING_BYTES = 16 * 1024 * 1024;

export interface WatchRequest {
  def: ResourceDef;
  /** undefined: every namespace (or a cluster-scoped resource). */
  namespace: string | undefined;
  matches: (o: KubeObject) => boolean;
  output: Output;
  media: Media;
  query: URLSearchParams;
}

export interface WatchContext {
  store: Store;
  logger: Logger;
  bookmarkIntervalMs: number;
  /** Live watches, so close() can end them and metrics can count them. */
  active: Set<() => void>;
  /** The bound on unsent bytes of all watches together. */
  backlog: WatchBacklog;
}

export function serveWatch(ctx: WatchContext, w: WatchRequest, _req: IncomingMessage, res: ServerResponse): void {
  const { store, logger } = ctx;
  const { def, namespace, matches, output, media, query } = w;
  const resource = resourceKey(def);

  const rvParam = query.get('resourceVersion') ?? '';
  if (rvParam !== '' && !/^\d+$/.test(rvParam)) {
    throw badRequest(`invalid resourceVersion "${rvParam}": must be a number from a list or a previous watch event`);
  }
  const timeoutSeconds = intParam(query, 'timeoutSeconds');
  const bookmarks = boolParam(query, 'allowWatchBookmarks');
  const sendInitialEvents = boolParam(query, 'sendInitialEvents');

  const framer = watchFramer(media, output.kind === 'json' ? 'application/json' : output.contentType);
  res.writeHead(200, {
    'Content-Type': framer.contentType,
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
  });
  res.flushHeaders();

  let closed = false;
  const inNamespace = (o: KubeObject) => namespace === undefined || (o.metadata.namespace ?? '') === namespace;

  const pendingBytes = (): number => Math.max(res.writableLength, res.socket?.writableLength ?? 0);
  const backlogEntry: WatchBacklogEntry = {
    pending: pendingBytes,
    drop: (pending, total) => {
      logger.warn('apiserver: ending the slowest watch: the unsent events of all watches passed their bound (the client re-watches)', {
        resource,
        pendingBytes: pending,
        allWatchesPendingBytes: total,
        boundBytes: ctx.backlog.limitBytes,
      });
      stop();
      res.destroy();
    },
  };
  const send = (type: string, object: unknown): void => {
    if (closed) return;
    res.write(framer.frame(type, object));
    const pending = pendingBytes();
    if (pending > MAX_PENDING_BYTES) {
      logger.warn('apiserver: dropping a watch whose client does not read', { resource, pendingBytes: pending });
      stop();
      res.destroy();
      return;
    }
    ctx.backlog.wrote(backlogEntry);
  };
  const sendObject = (type: string, o: KubeObject) => send(type, encodeWatchObject(def, o, output, Date.now()));
  const sendBookmark = (rv: number, annotations?: Record<string, string>) => {
    const metadata: Record<string, unknown> = { resourceVersion: String(rv) };
    if (annotations) metadata['annotations'] = annotations;
    send('BOOKMARK', { kind: def.kind, apiVersion: def.apiVersion, metadata });
  };

  /** Sends one store event as this watcher sees it through its namespace and selectors. */
  const deliver = (e: StoreEvent): void => {
    if (!inNamespace(e.object)) return;
    if (e.type === 'MODIFIED') {
      const now = matches(e.object);
      const before = e.prev ? matches(e.prev) : now;
      if (now && before) sendObject('MODIFIED', e.object);
      else if (now) sendObject('ADDED', e.object);
      else if (before) sendObject('DELETED', e.object);
    } else if (matches(e.object)) {
      sendObject(e.type, e.object);
    }
  };

  let timer: NodeJS.Timeout | undefined;
  let bookmarkTimer: NodeJS.Timeout | undefined;
  let unsubscribe: (() => void) | undefined;
  const stop = (): void => {
    if (closed) return;
    closed = true;
    ctx.backlog.remove(backlogEntry);
    unsubscribe?.();
    if (timer) clearTimeout(timer);
    if (bookmarkTimer) clearInterval(bookmarkTimer);
    ctx.active.delete(end);
  };
  const end = (): void => {
    stop();
    res.end();
  };
  res.on('close', stop);
  res.on('error', stop);
  ctx.backlog.add(backlogEntry);

  // Initial state, then live events. Both happen in this tick, so nothing can slip in between.
  if (rvParam === '' || rvParam === '0') {
    // In key order, as a list and kube's watch cache give them.
    for (const o of sortByKey(store.list(resource, namespace))) if (matches(o)) sendObject('ADDED', o);
    if (sendInitialEvents && bookmarks) sendBookmark(store.resourceVersion, { 'k8s.io/initial-events-end': 'true' });
  } else {
    const rv = Number(rvParam);
    const h = store.since(resource, rv);
    if (h.kind !== 'ok') {
      const why =
        h.kind === 'expired'
          ? `too old resource version: ${rv} (${h.oldest})`
          : `too large resource version: ${rv}, current: ${store.resourceVersion} (the API server restarted; list again)`;
      send('ERROR', expired(why).toStatus());
      stop();
      res.end();
      return;
    }
    for (const e of h.events) deliver(e);
  }
  if (closed) return;
  unsubscribe = store.subscribe(resource, (e) => {
    try {
      deliver(e);
    } catch (err) {
      logger.error('apiserver: watch delivery failed', { resource, err });
      stop();
      res.destroy();
    }
  });
  ctx.active.add(end);
  if (timeoutSeconds !== undefined && timeoutSeconds > 0) {
    timer = setTimeout(end, timeoutSeconds * 1000);
  }
  if (bookmarks) {
    bookmarkTimer = setInterval(() => sendBookmark(store.resourceVersion), ctx.bookmarkIntervalMs);
  }
}
