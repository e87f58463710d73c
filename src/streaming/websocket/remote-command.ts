// exec/attach over WebSocket: channel 0 stdin, 1 stdout, 2 stderr, 3 error (the outcome), 4 resize
// (one {"Width","Height"} JSON per message); v5 adds the client's close of stdin.
import type { IncomingMessage } from 'node:http';
import { finished, type Duplex, type Readable, type Writable } from 'node:stream';
import type { TerminalSize } from '../../runtime/types.js';
import type { RemoteCommandOutcome, RemoteCommandRequest, RemoteCommandSession } from '../types.js';
import { ChannelConnection } from './channels.js';
import { upgrade } from './handshake.js';
import { REMOTE_COMMAND_PROTOCOLS, type RemoteCommandProtocol } from './protocols.js';
import { errorChannelMessage } from './status.js';

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const RESIZE = 4;
const CHANNELS = 5;

/**
 * How long a v5 session holds its output at the start: until the client answered a ping (its
 * reader runs) and at least the grace, at most the cap (a client that never answers pings).
 * The grace covers the client's stream registration being descheduled on a loaded node.
 */
const LATE_STREAMS_GRACE_MS = 30;
const LATE_STREAMS_CAP_MS = 2000;

/** A terminal size from one resize message, or undefined when it is not one (bad input is dropped). */
export function parseTerminalSize(payload: Buffer): TerminalSize | undefined {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { Width: width, Height: height } = value as { Width?: unknown; Height?: unknown };
  // Upstream's TerminalSize holds two uint16s.
  const valid = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 0xffff;
  return valid(width) && valid(height) ? { width, height } : undefined;
}

function flushed(stream: Writable): Promise<void> {
  if (stream.writableFinished || stream.destroyed) return Promise.resolve();
  if (!stream.writableEnded) stream.end();
  return new Promise((resolve) => finished(stream, () => resolve()));
}

class WebSocketRemoteCommand implements RemoteCommandSession {
  readonly transport = 'websocket' as const;
  readonly protocol: string;
  readonly stdin: Readable | null;
  readonly stdout: Writable | null;
  readonly stderr: Writable | null;
  readonly tty: boolean;
  private readonly conn: ChannelConnection;
  private readonly style: RemoteCommandProtocol['statusStyle'];
  private readonly resizeListeners: ((size: TerminalSize) => void)[] = [];
  /** The last size that came before anyone listened: kubectl sends the first one at once. */
  private pendingSize: TerminalSize | undefined;
  private finishing = false;

  constructor(conn: ChannelConnection, protocol: RemoteCommandProtocol, request: RemoteCommandRequest) {
    this.conn = conn;
    this.protocol = protocol.name;
    this.style = protocol.statusStyle;
    this.tty = request.tty;
    this.stdin = request.stdin ? conn.input(STDIN) : null;
    this.stdout = request.stdout ? conn.output(STDOUT) : null;
    // A terminal merges stderr into stdout; the kubelet drops stderr from a tty request too.
    const stderr = request.stderr && !request.tty;
    this.stderr = stderr ? conn.output(STDERR) : null;
    conn.onMessage(RESIZE, (payload) => {
      const size = parseTerminalSize(payload);
      if (!size) return;
      if (this.resizeListeners.length === 0) this.pendingSize = size;
      for (const listener of this.resizeListeners) listener(size);
    });
    if (protocol.registersStreamsLate) {
      const grace = new Promise((resolve) => setTimeout(resolve, LATE_STREAMS_GRACE_MS).unref());
      conn.holdOutputUntil(Promise.all([grace, conn.pingAnswered(LATE_STREAMS_CAP_MS)]));
    } else {
      // As the kubelet: an empty message on the lowest channel the client reads says "connected".
      conn.send(request.stdout ? STDOUT : stderr ? STDERR : ERROR, Buffer.alloc(0));
    }
  }

  get signal(): AbortSignal {
    return this.conn.signal;
  }

  onResize(listener: (size: TerminalSize) => void): void {
    this.resizeListeners.push(listener);
    if (this.pendingSize) {
      const size = this.pendingSize;
      this.pendingSize = undefined;
      listener(size);
    }
  }

  finish(outcome: RemoteCommandOutcome): void {
    if (this.finishing) return;
    this.finishing = true;
    // What the client still types is discarded from now on, as upstream closes its input channels.
    this.conn.endInput(STDIN);
    const outputs = [this.stdout, this.stderr].filter((s): s is Writable => s !== null);
    void Promise.all(outputs.map(flushed)).then(() => {
      const message = errorChannelMessage(outcome, this.style);
      if (message !== undefined) this.conn.send(ERROR, Buffer.from(message, 'utf8'));
      this.conn.close(1000);
    });
  }
}

/** Upgrades an exec/attach request to a WebSocket session; undefined when the handshake was refused. */
export async function acceptRemoteCommand(req: IncomingMessage, socket: Duplex, head: Buffer, request: RemoteCommandRequest): Promise<RemoteCommandSession | undefined> {
  const upgraded = await upgrade(req, socket, head, REMOTE_COMMAND_PROTOCOLS, 'exec/attach');
  if (!upgraded) return undefined;
  return new WebSocketRemoteCommand(new ChannelConnection(upgraded.ws, upgraded.protocol, CHANNELS), upgraded.protocol, request);
}
