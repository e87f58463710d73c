// The node API on --address/--port, as the kubelet serves it: HTTPS only (a plain HTTP request
// gets a 400 saying how to connect), every endpoint but /healthz authenticated and authorized
// before anything runs, the streaming endpoints served through the `upgrade` event.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { tlsFront } from '../apiserver/index.js';
import type { Logger } from '../log/index.js';
import type { Authentication, NodeUser } from './authentication.js';
import { forbiddenText, requestAttributes, type Decision, type NodeAttributes } from './authorization.js';
import { serveHttp } from './http-endpoints.js';
import type { NodeState } from './node-state.js';
import { rawPath, routeNodePath, type NodeRoute } from './paths.js';
import { refuseUpgrade, sendText } from './respond.js';
import { isStreamingRoute, serveStreaming } from './streaming-endpoints.js';

export interface NodeServerOptions {
  address: string;
  port: number;
  nodeName: string;
  /** The serving certificate (with its chain) and key; client certificates are checked against clientCaPems. */
  certPem: string;
  keyPem: string;
  clientCaPems: string[];
  authenticate: (req: IncomingMessage) => Promise<Authentication>;
  authorize: (user: NodeUser, attributes: NodeAttributes) => Promise<Decision>;
  /** One sentence on how to authenticate (the curl command), for 401s and the plain-HTTP answer; gets the port. */
  howToAuthenticate: (port: number) => string;
  state: NodeState;
  logger: Logger;
}

export interface NodeServer {
  port: number;
  close(): Promise<void>;
}

type Admission = { ok: true } | { ok: false; status: 401 | 403; text: string; headers: Record<string, string> };

export async function startNodeServer(o: NodeServerOptions): Promise<NodeServer> {
  let port = o.port;
  const server: Server = createServer({ cert: o.certPem, key: o.keyPem, ca: o.clientCaPems, requestCert: true, rejectUnauthorized: false });
  // The kubelet's server keeps idle connections 90 s (http.Server IdleTimeout), so a scraper every
  // 10-60 s (metrics-server, Prometheus) reuses its connection instead of a new TLS handshake.
  server.keepAliveTimeout = 90_000;

  const admit = async (req: IncomingMessage, route: NodeRoute): Promise<Admission> => {
    if (route.kind === 'healthz') return { ok: true };
    const who = await o.authenticate(req);
    if ('refused' in who) {
      return { ok: false, status: 401, text: `Unauthorized: ${who.refused}; ${o.howToAuthenticate(port)}`, headers: { 'WWW-Authenticate': 'Bearer realm="berth node API"' } };
    }
    const attributes = requestAttributes(req.method ?? 'GET', rawPath(req.url), o.nodeName);
    const decision = await o.authorize(who.user, attributes);
    if (!decision.allowed) return { ok: false, status: 403, text: forbiddenText(who.user, attributes, decision.reason), headers: {} };
    return { ok: true };
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const route = routeNodePath(rawPath(req.url));
    (async () => {
      const admission = await admit(req, route);
      if (!admission.ok) return sendText(res, admission.status, admission.text, admission.headers);
      await serveHttp(route, req, res, o.state);
    })().catch((err: unknown) => {
      o.logger.error('node API request failed', { url: req.url, error: String(err) });
      if (!res.headersSent) sendText(res, 500, `internal error: ${String(err)}`);
      else res.end();
    });
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const route = routeNodePath(rawPath(req.url));
    (async () => {
      const admission = await admit(req, route);
      if (!admission.ok) return refuseUpgrade(socket, admission.status, admission.text, admission.headers);
      if (!isStreamingRoute(route)) {
        return refuseUpgrade(socket, route.kind === 'bad' ? 400 : route.kind === 'notFound' ? 404 : 400, route.kind === 'bad' ? route.message : `${rawPath(req.url)} does not upgrade: only /exec, /attach and /portForward are streaming endpoints`);
      }
      await serveStreaming(route, req, socket, head, o.state, o.logger);
    })().catch((err: unknown) => {
      o.logger.error('node API streaming request failed', { url: req.url, error: String(err) });
      refuseUpgrade(socket, 500, `internal error: ${String(err)}`);
    });
  });

  server.on('tlsClientError', (err) => o.logger.debug('node API: TLS handshake failed', { error: err.message }));
  const front = tlsFront(server, plainHttpAnswer(() => o.howToAuthenticate(port)));
  const sockets = new Set<Duplex>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  };
  front.on('connection', track);
  server.on('secureConnection', track);

  await new Promise<void>((resolve, reject) => {
    front.once('error', (err: NodeJS.ErrnoException) => {
      const hint = err.code === 'EADDRINUSE' ? ' is already in use (another kubelet or berth?); pick another with --port' : `: ${err.message}`;
      reject(new Error(`cannot serve the node API on ${o.address}:${o.port}${hint}`));
    });
    front.listen(o.port, o.address, () => resolve());
  });
  port = (front.address() as AddressInfo).port;
  front.on('error', (err) => o.logger.error('node API: server error', { error: err.message }));
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        front.close(() => resolve());
        server.closeAllConnections();
        for (const s of sockets) s.destroy();
      }),
  };
}

/** kube's answer to plain HTTP on an HTTPS port, and a second line saying how to connect now. */
function plainHttpAnswer(how: () => string): () => string {
  return () => `HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nClient sent an HTTP request to an HTTPS server.\nThe node API speaks HTTPS with authentication; ${how()}\n`;
}
