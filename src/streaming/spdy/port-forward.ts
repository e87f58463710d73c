// port-forward over SPDY: for each connection the client opens an error stream and a data stream
// with the same `requestID` and `port` headers; each complete pair becomes a PortForwardStream.
// The error stream carries at most one message (the failure kubectl prints) and then ends.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { PortForwardSession, PortForwardStream } from '../types.js';
import { upgradeToSpdy } from './handshake.js';
import { pathOf, spdyLog } from './log.js';
import { STREAM_CREATION_TIMEOUT_MS } from './remote-command.js';
import { SpdySession } from './session.js';
import type { SpdyStream } from './stream.js';

export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';

export interface PortForwardOptions {
  /** How long half of a pair may wait for the other half. */
  pairTimeoutMs?: number;
}

interface PendingPair {
  error?: SpdyStream;
  data?: SpdyStream;
  timer: NodeJS.Timeout;
}

/** The pair key; clients older than requestID pair streams by id (data = error + 2). */
function requestIdOf(stream: SpdyStream, type: 'error' | 'data'): string {
  const id = stream.header('requestID');
  if (id !== undefined && id !== '') return id;
  return String(type === 'error' ? stream.id : stream.id - 2);
}

function parsePort(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : undefined;
}

/** Ends the error stream with `message` (if any) and closes the data stream. */
function failPair(error: SpdyStream | undefined, data: SpdyStream | undefined, message: string): void {
  if (error && !error.destroyed && !error.writableEnded) error.end(message);
  if (data && !data.destroyed) {
    data.end();
    data.resume(); // drop what the client still sends so the stream can close
  }
}

/** Runs port-forward on an established SPDY session (a direct upgrade, or the WebSocket tunnel). */
export function servePortForward(session: SpdySession, transport: PortForwardSession['transport'], where: string, options: PortForwardOptions = {}): PortForwardSession {
  const controller = new AbortController();
  const listeners: Array<(stream: PortForwardStream) => void> = [];
  const backlog: PortForwardStream[] = [];
  const pending = new Map<string, PendingPair>();
  const pairTimeoutMs = options.pairTimeoutMs ?? STREAM_CREATION_TIMEOUT_MS;

  session.on('close', () => {
    for (const p of pending.values()) clearTimeout(p.timer);
    pending.clear();
    controller.abort(new Error('the port-forward client went away'));
  });
  session.on('protocolError', (err) => spdyLog.warn('port-forward client broke the SPDY protocol', { url: where, error: err.message }));

  const deliver = (stream: PortForwardStream) => {
    if (listeners.length === 0) backlog.push(stream);
    for (const l of listeners) l(stream);
  };

  const complete = (requestId: string, error: SpdyStream, data: SpdyStream) => {
    const portText = data.header('port');
    const port = parsePort(portText);
    if (port === undefined) {
      failPair(error, data, `invalid port header ${JSON.stringify(portText ?? '')} in port-forward request ${requestId}: a number from 1 to 65535 is required`);
      return;
    }
    data.on('error', () => {});
    // As the kubelet: once the target has finished sending (our side of the data stream ends) the
    // error stream ends too. kubectl waits for that before it closes the local connection.
    const endError = () => {
      if (!error.writableEnded && !error.destroyed) error.end();
    };
    data.once('finish', endError);
    data.once('close', endError);
    deliver({
      port,
      data,
      fail(message: string) {
        failPair(error, data, message);
      },
    });
  };

  session.on('stream', (stream) => {
    stream.on('error', () => {});
    const type = stream.header('streamType');
    if (type !== 'error' && type !== 'data') {
      spdyLog.warn('port-forward client opened a stream of unknown type; resetting it', { url: where, streamType: type ?? '' });
      stream.destroy();
      return;
    }
    if (type === 'error') stream.resume(); // the client sends nothing useful on it, only its FIN
    const requestId = requestIdOf(stream, type);
    let pair = pending.get(requestId);
    if (!pair) {
      pair = {
        timer: setTimeout(() => {
          pending.delete(requestId);
          spdyLog.warn('port-forward client opened half of a stream pair only', { url: where, requestId, pairTimeoutMs });
          failPair(pair!.error, pair!.data, `timed out waiting for the ${pair!.error ? 'data' : 'error'} stream of port-forward request ${requestId}`);
          pair!.data?.destroy();
        }, pairTimeoutMs),
      };
      pair.timer.unref();
      pending.set(requestId, pair);
    }
    if (pair[type]) {
      spdyLog.warn('port-forward client opened two streams of one kind for a request; resetting the second', { url: where, requestId, streamType: type });
      stream.destroy();
      return;
    }
    pair[type] = stream;
    if (pair.error && pair.data) {
      clearTimeout(pair.timer);
      pending.delete(requestId);
      complete(requestId, pair.error, pair.data);
    }
  });

  return {
    transport,
    protocol: PORT_FORWARD_PROTOCOL,
    signal: controller.signal,
    onStream(listener) {
      listeners.push(listener);
      for (const s of backlog.splice(0)) listener(s);
    },
    close() {
      session.close();
    },
  };
}

/** Takes over a port-forward upgrade. */
export async function acceptPortForward(req: IncomingMessage, socket: Duplex, head: Buffer, _ports: number[], options: PortForwardOptions = {}): Promise<PortForwardSession | undefined> {
  // SPDY clients name the port on each stream pair, not in the query (the WebSocket protocol needs it there).
  if (!upgradeToSpdy(req, socket, head, [PORT_FORWARD_PROTOCOL])) return undefined;
  return servePortForward(new SpdySession(socket, { role: 'server' }), 'spdy', pathOf(req), options);
}
