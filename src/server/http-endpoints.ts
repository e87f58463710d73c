// The node API's plain HTTP endpoints (everything but the streaming upgrades), in the kubelet's
// formats: /healthz, /pods (a PodList), /metrics and /metrics/resource (Prometheus text),
// /stats/summary (stats/v1alpha1 Summary), /containerLogs and /run.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { boolParam, intParam, timeParam } from '../apiserver/index.js';
import { RuntimeError } from '../runtime/types.js';
import { streamCriLog, type LogReadOptions } from './cri-log.js';
import type { NodeEventChange, NodeState } from './node-state.js';
import { ENDPOINT_LIST, type ContainerRoute, type NodeRoute } from './paths.js';
import { send, sendText } from './respond.js';

const PROMETHEUS = 'text/plain; version=0.0.4; charset=utf-8';
/** How long a /run command may take; the kubelet gives RunInContainer no deadline, a hung one must not pin a request forever. */
const RUN_TIMEOUT_MS = 5 * 60_000;

export async function serveHttp(route: NodeRoute, req: IncomingMessage, res: ServerResponse, state: NodeState): Promise<void> {
  const method = req.method ?? 'GET';
  const query = new URL(req.url ?? '/', 'https://node').searchParams;
  const readOnly = method === 'GET' || method === 'HEAD';
  switch (route.kind) {
    case 'bad':
      sendText(res, 400, route.message);
      return;
    case 'notFound':
      sendText(res, 404, `404 page not found: ${route.path} (endpoints: ${ENDPOINT_LIST})`);
      return;
    case 'exec':
    case 'attach':
    case 'portForward':
      sendText(
        res,
        400,
        `/${route.kind} is a streaming endpoint: the request must ask for an upgrade to SPDY/3.1 or a WebSocket ` +
          `(Connection: Upgrade), as kubectl and kube-apiserver send it; use kubectl ${route.kind === 'portForward' ? 'port-forward' : route.kind} or a Kubernetes client`,
      );
      return;
    case 'run':
      if (method !== 'POST') {
        sendText(res, 405, `method ${method} not allowed on /run: POST the command as ?cmd=...`, { Allow: 'POST' });
        return;
      }
      await run(route, query, res, state);
      return;
  }
  if (!readOnly) {
    sendText(res, 405, `method ${method} not allowed on ${new URL(req.url ?? '/', 'https://node').pathname}: it is read-only (GET)`, { Allow: 'GET, HEAD' });
    return;
  }
  switch (route.kind) {
    case 'healthz': {
      const why = state.unhealthyReason();
      send(res, why ? 500 : 200, 'text/plain', why ? `unhealthy: ${why}\n` : 'ok');
      return;
    }
    case 'pods':
      send(res, 200, 'application/json', JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items: state.pods() }));
      return;
    case 'events':
      if (boolParam(query, 'watch')) watchEvents(req, res, state);
      else {
        const { items, resourceVersion } = state.events();
        send(res, 200, 'application/json', JSON.stringify({ kind: 'EventList', apiVersion: 'v1', metadata: { resourceVersion }, items }));
      }
      return;
    case 'metrics':
      send(res, 200, PROMETHEUS, state.metrics());
      return;
    case 'metricsResource':
      send(res, 200, PROMETHEUS, await state.resourceMetrics());
      return;
    case 'statsSummary':
      send(res, 200, 'application/json', JSON.stringify(await state.statsSummary()));
      return;
    case 'containerLogs':
      await containerLogs(route, query, res, state);
      return;
  }
}

/** A watch client this far behind is dropped rather than buffered without end (it can list and watch again). */
const MAX_WATCH_BACKLOG_BYTES = 1 << 20;

/**
 * `/events?watch=1`: the events kept so far as ADDED (those after `resourceVersion` when given), then every change, one JSON watch event per
 * line (as the Kubernetes API streams a watch), until the client goes away.
 */
function watchEvents(req: IncomingMessage, res: ServerResponse, state: NodeState): void {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache' });
  // The client learns at once that the watch is on, even when nothing is there to send yet.
  res.flushHeaders();
  // Listing and subscribing happen in one turn of the event loop: no change can fall in between.
  // ?resourceVersion=N (a list's) skips what that list already showed.
  const after = Number(new URL(req.url ?? '/', 'https://node').searchParams.get('resourceVersion')) || -1;
  for (const object of state.events().items) {
    if (Number(object.metadata?.resourceVersion) > after) res.write(JSON.stringify({ type: 'ADDED', object }) + '\n');
  }
  const stop = state.watchEvents((change: NodeEventChange) => {
    if (res.writableLength > MAX_WATCH_BACKLOG_BYTES) {
      stop();
      res.destroy();
      return;
    }
    res.write(JSON.stringify(change) + '\n');
  });
  req.on('close', stop);
  res.on('close', stop);
}

async function run(route: ContainerRoute<'run'>, query: URLSearchParams, res: ServerResponse, state: NodeState): Promise<void> {
  // As the kubelet: one string, split on white space (no shell).
  const command = (query.get('cmd') ?? '').split(/\s+/).filter(Boolean);
  if (command.length === 0) {
    sendText(res, 400, `/run/${route.namespace}/${route.pod}/${route.container}: no command: give it as ?cmd=... (words separated by spaces)`);
    return;
  }
  const refusal = state.findContainer(route.namespace, route.pod, route.container, true);
  if (refusal) {
    sendText(res, refusal.status, refusal.message);
    return;
  }
  try {
    const r = await state.run(route.namespace, route.pod, route.container, command, RUN_TIMEOUT_MS);
    const output = Buffer.concat([r.stdout, r.stderr]);
    if (r.exitCode === 0) {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': output.length });
      res.end(output);
      return;
    }
    const why = r.timedOut ? `command ${JSON.stringify(command.join(' '))} ran longer than ${RUN_TIMEOUT_MS / 1000}s and was killed` : `command terminated with exit code ${r.exitCode}`;
    sendText(res, 500, `${output.toString('utf8')}${output.length && !output.toString('utf8').endsWith('\n') ? '\n' : ''}${why}`);
  } catch (err) {
    if (!(err instanceof RuntimeError)) throw err;
    sendText(res, 500, err.message);
  }
}

async function containerLogs(route: ContainerRoute<'containerLogs'>, q: URLSearchParams, res: ServerResponse, state: NodeState): Promise<void> {
  const { namespace, pod, container } = route;
  let opts: LogWindow | string;
  try {
    opts = logWindow(q);
  } catch (err) {
    sendText(res, 400, (err as Error).message);
    return;
  }
  if (typeof opts === 'string') {
    sendText(res, 422, `invalid log options for ${namespace}/${pod}/${container}: ${opts}`);
    return;
  }
  const ref = state.containerLog(namespace, pod, container, boolParam(q, 'previous'));
  if (typeof ref === 'string') {
    sendText(res, 404, ref);
    return;
  }
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
  let aborted = false;
  res.on('close', () => (aborted = true));
  try {
    await streamCriLog(ref.path, res, { ...opts, stillWriting: ref.stillWriting, aborted: () => aborted });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  res.end();
}

type LogWindow = Pick<LogReadOptions, 'tailLines' | 'sinceNs' | 'limitBytes' | 'timestamps' | 'follow'>;

/**
 * The kubelet's PodLogOptions from the query, decoded as kube decodes it (booleans true unless
 * 0/false, ...). Throws on a malformed value (400); returns why when a value is out of range (422).
 */
function logWindow(q: URLSearchParams): LogWindow | string {
  const tailLines = intParam(q, 'tailLines');
  const sinceSeconds = intParam(q, 'sinceSeconds');
  const sinceTime = timeParam(q, 'sinceTime');
  const limitBytes = intParam(q, 'limitBytes');
  if (tailLines !== undefined && tailLines < 0) return `tailLines: Invalid value: ${tailLines}: must be greater than or equal to 0`;
  if (limitBytes !== undefined && limitBytes < 1) return `limitBytes: Invalid value: ${limitBytes}: must be greater than 0`;
  if (sinceSeconds !== undefined && sinceTime !== undefined) return 'at most one of `sinceTime` or `sinceSeconds` may be specified';
  if (sinceSeconds !== undefined && sinceSeconds < 1) return `sinceSeconds: Invalid value: ${sinceSeconds}: must be greater than 0`;
  const w: LogWindow = { timestamps: boolParam(q, 'timestamps'), follow: boolParam(q, 'follow') };
  if (tailLines !== undefined) w.tailLines = tailLines;
  if (limitBytes !== undefined) w.limitBytes = limitBytes;
  if (sinceSeconds !== undefined) w.sinceNs = BigInt(Date.now() - sinceSeconds * 1000) * 1_000_000n;
  if (sinceTime !== undefined) w.sinceNs = sinceTime.nanos;
  return w;
}
