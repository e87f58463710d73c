// exec/attach over SPDY (kubectl before 1.30, and 1.30+ with KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false,
// kube-apiserver proxying to a kubelet): the client opens one stream per standard stream, named
// by its `streamType` header; the kubelet waits (bounded) until all the request implies exist.
import type { IncomingMessage } from 'node:http';
import type { Duplex, Readable, Writable } from 'node:stream';
import type { TerminalSize } from '../../runtime/types.js';
import type { RemoteCommandOutcome, RemoteCommandRequest, RemoteCommandSession } from '../types.js';
import { upgradeToSpdy } from './handshake.js';
import { pathOf, spdyLog } from './log.js';
import { SpdySession } from './session.js';
import type { SpdyStream } from './stream.js';
import { statusMessage } from './status.js';

/** Newest first: the one we pick when the client offers several. */
export const REMOTE_COMMAND_PROTOCOLS = ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'] as const;
export type RemoteCommandProtocol = (typeof REMOTE_COMMAND_PROTOCOLS)[number];

/** The kubelet's default stream creation timeout. */
export const STREAM_CREATION_TIMEOUT_MS = 30_000;

type StreamType = 'error' | 'stdin' | 'stdout' | 'stderr' | 'resize';
const STREAM_TYPES: readonly string[] = ['error', 'stdin', 'stdout', 'stderr', 'resize'];

export interface RemoteCommandOptions {
  streamCreationTimeoutMs?: number;
}

/** The streams a request implies: error always; resize only with a tty on v3+ (older ones cannot resize). */
function expectedStreams(request: RemoteCommandRequest, protocol: RemoteCommandProtocol): Set<StreamType> {
  const wanted = new Set<StreamType>(['error']);
  if (request.stdin) wanted.add('stdin');
  if (request.stdout) wanted.add('stdout');
  // As the kubelet: a terminal merges stderr into stdout, so a tty never gets a stderr stream.
  if (request.stderr && !request.tty) wanted.add('stderr');
  if (request.tty && (protocol === 'v4.channel.k8s.io' || protocol === 'v3.channel.k8s.io')) wanted.add('resize');
  return wanted;
}

/** Takes over an exec/attach upgrade. */
export async function acceptRemoteCommand(req: IncomingMessage, socket: Duplex, head: Buffer, request: RemoteCommandRequest, options: RemoteCommandOptions = {}): Promise<RemoteCommandSession | undefined> {
  const protocol = upgradeToSpdy(req, socket, head, REMOTE_COMMAND_PROTOCOLS) as RemoteCommandProtocol | undefined;
  if (!protocol) return undefined;
  return startRemoteCommand(new SpdySession(socket, { role: 'server' }), protocol, request, options, pathOf(req));
}

/** Waits for the client's streams, then hands out the session. */
function startRemoteCommand(session: SpdySession, protocol: RemoteCommandProtocol, request: RemoteCommandRequest, options: RemoteCommandOptions, where: string): Promise<RemoteCommandSession | undefined> {
  const wanted = expectedStreams(request, protocol);
  const streams = new Map<StreamType, SpdyStream>();
  const timeoutMs = options.streamCreationTimeoutMs ?? STREAM_CREATION_TIMEOUT_MS;
  return new Promise((resolve) => {
    let settled = false;
    const settle = (value: RemoteCommandSession | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(value);
    };
    const timer = setTimeout(() => {
      spdyLog.warn('exec/attach client did not create its streams in time; closing the connection', {
        url: where,
        timeoutMs,
        expected: [...wanted],
        created: [...streams.keys()],
      });
      session.destroy();
      settle(undefined);
    }, timeoutMs);
    session.on('close', () => settle(undefined));
    session.on('protocolError', (err) => spdyLog.warn('exec/attach client broke the SPDY protocol', { url: where, error: err.message }));
    session.on('stream', (stream) => {
      const type = (stream.header('streamType') ?? '') as StreamType;
      if (!STREAM_TYPES.includes(type) || streams.has(type) || settled) {
        spdyLog.warn('exec/attach client opened an unexpected stream; resetting it', { url: where, streamType: type, duplicate: streams.has(type) });
        stream.destroy();
        return;
      }
      stream.on('error', () => {});
      streams.set(type, stream);
      if ([...wanted].every((t) => streams.has(t))) settle(buildSession(session, protocol, request, streams));
    });
  });
}

/** Reads the resize stream: one JSON object {"Width":..,"Height":..} per line. */
function watchResizes(stream: SpdyStream | undefined, emit: (size: TerminalSize) => void): void {
  if (!stream) return;
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (text: string) => {
    pending += text;
    if (pending.length > 4096) pending = pending.slice(-4096); // a peer sending no newlines
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (!line) continue;
      try {
        const parsed = JSON.parse(line) as { Width?: unknown; Height?: unknown };
        if (typeof parsed.Width === 'number' && typeof parsed.Height === 'number') emit({ width: parsed.Width, height: parsed.Height });
        else spdyLog.debug('resize message without numeric Width and Height ignored', { line });
      } catch {
        spdyLog.debug('resize message that is not JSON ignored', { line });
      }
    }
  });
}

function endAndWait(stream: Writable | undefined): Promise<void> {
  if (!stream || stream.writableFinished || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once('finish', resolve);
    stream.once('close', resolve);
    stream.end();
  });
}

function buildSession(session: SpdySession, protocol: RemoteCommandProtocol, request: RemoteCommandRequest, streams: Map<StreamType, SpdyStream>): RemoteCommandSession {
  const controller = new AbortController();
  let finished = false;
  const clientGone = () => {
    if (!controller.signal.aborted) controller.abort(new Error('the exec/attach client went away'));
  };
  session.on('close', clientGone);
  session.on('goaway', () => {
    if (!finished) clientGone();
  });
  for (const stream of streams.values()) stream.on('reset', clientGone);

  const listeners: Array<(size: TerminalSize) => void> = [];
  let lastSize: TerminalSize | undefined;
  watchResizes(streams.get('resize'), (size) => {
    lastSize = size;
    for (const l of listeners) l(size);
  });

  const stdout = streams.get('stdout');
  const stderr = request.tty ? undefined : streams.get('stderr');
  return {
    transport: 'spdy',
    protocol,
    stdin: (streams.get('stdin') as Readable | undefined) ?? null,
    stdout: stdout ?? null,
    stderr: stderr ?? null,
    tty: request.tty,
    signal: controller.signal,
    onResize(listener) {
      listeners.push(listener);
      if (lastSize) listener(lastSize);
    },
    finish(outcome: RemoteCommandOutcome) {
      if (finished) return;
      finished = true;
      void (async () => {
        await Promise.all([endAndWait(stdout), endAndWait(stderr)]);
        const error = streams.get('error')!;
        const message = statusMessage(protocol, outcome);
        if (!error.destroyed) await new Promise<void>((resolve) => error.end(message, () => resolve()));
        for (const other of [streams.get('stdin'), streams.get('resize')]) other?.end();
        session.close();
      })();
    },
  };
}
