// A node API for API-server tests: a real HTTP server on a free port that answers
// /containerLogs from a log-reader function and anything else from an optional handler, so the
// embedded API's proxying is tested over the network as it runs in the agent.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LogReader, LogRequest, NodeConnection } from '../../src/apiserver/index.js';

export interface FakeNode {
  connection: NodeConnection;
  /** Every request the fake node received (method and URL), in order. */
  requests: Array<{ method: string; url: string; headers: IncomingMessage['headers'] }>;
  server: Server;
  close(): Promise<void>;
}

/** Where nothing listens: the node connection of a test that never reaches the node. */
export const NO_NODE: NodeConnection = { url: () => 'http://127.0.0.1:9' };

function logRequest(url: URL): LogRequest | undefined {
  const parts = url.pathname.split('/').slice(2).map(decodeURIComponent);
  if (parts.length !== 3) return undefined;
  const q = url.searchParams;
  const r: LogRequest = {
    namespace: parts[0]!,
    pod: parts[1]!,
    container: parts[2]!,
    follow: q.get('follow') === 'true',
    previous: q.get('previous') === 'true',
    timestamps: q.get('timestamps') === 'true',
  };
  if (q.has('tailLines')) r.tailLines = Number(q.get('tailLines'));
  if (q.has('sinceSeconds')) r.sinceSeconds = Number(q.get('sinceSeconds'));
  if (q.has('sinceTime')) r.sinceTime = q.get('sinceTime')!;
  if (q.has('limitBytes')) r.limitBytes = Number(q.get('limitBytes'));
  return r;
}

async function serveLog(logs: LogReader, url: URL, res: ServerResponse): Promise<void> {
  const r = logRequest(url);
  if (!r) {
    res.writeHead(400).end('bad log path\n');
    return;
  }
  let stream: NodeJS.ReadableStream;
  try {
    stream = await logs(r);
  } catch (err) {
    const e = err as { statusCode?: number; message: string };
    res.writeHead(e.statusCode === 404 ? 404 : e.statusCode === 400 ? 400 : 500, { 'Content-Type': 'text/plain' }).end(`${e.message}\n`);
    return;
  }
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  res.flushHeaders();
  stream.pipe(res);
  res.on('close', () => (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.());
}

export async function startFakeNode(o: { logs?: LogReader; handle?: (req: IncomingMessage, res: ServerResponse) => void } = {}): Promise<FakeNode> {
  const requests: FakeNode['requests'] = [];
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    const url = new URL(req.url ?? '/', 'http://node');
    if (o.logs && url.pathname.startsWith('/containerLogs/')) {
      void serveLog(o.logs, url, res);
      return;
    }
    if (o.handle) return o.handle(req, res);
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`404 page not found: ${url.pathname}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    connection: { url: () => `http://127.0.0.1:${port}` },
    requests,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
