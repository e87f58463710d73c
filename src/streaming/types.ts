// The protocol-neutral faces of the kubelet's streaming endpoints: what a WebSocket or an SPDY
// connection becomes once upgraded, so the node server and the runtimes never see the wire.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { StreamIO } from '../runtime/types.js';

/** Which streams the client asked for (the kubelet's `input`, `output`, `error`, `tty` query values). */
export interface RemoteCommandRequest {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** How an exec or attach ended, reported to the client on the error stream/channel. */
export type RemoteCommandOutcome =
  /** 0 = success; otherwise kubectl exits with it ("command terminated with exit code N"). */
  | { exitCode: number }
  /** Something went wrong (container not running, runtime cannot exec): one line saying why. */
  | { error: string };

/** An upgraded exec/attach connection. */
export interface RemoteCommandSession extends StreamIO {
  /** `websocket` or `spdy`: how the client connected (tests and logs check it). */
  readonly transport: 'websocket' | 'spdy';
  /** The negotiated subprotocol, e.g. `v5.channel.k8s.io`. */
  readonly protocol: string;
  /**
   * Reports the outcome (v4+: a metav1.Status on the error stream; older protocols: the message
   * text) after all output has been flushed, then closes the connection. Idempotent.
   */
  finish(outcome: RemoteCommandOutcome): void;
}

/** One forwarded connection the client opened to `port` in the pod. */
export interface PortForwardStream {
  readonly port: number;
  /** Bytes both ways. Ending it half-closes toward the client; destroying it resets the stream. */
  readonly data: Duplex;
  /** Tells the client this connection failed (kubectl prints it, the tunnel stays up), then closes it. */
  fail(message: string): void;
}

/** An upgraded port-forward connection: carries any number of streams until the client goes. */
export interface PortForwardSession {
  readonly transport: 'websocket' | 'spdy' | 'websocket-spdy';
  readonly protocol: string;
  /** Called for each connection the client opens (SPDY: a data+error stream pair; WebSocket: per port). */
  onStream(listener: (stream: PortForwardStream) => void): void;
  /** Aborted when the client goes away. */
  readonly signal: AbortSignal;
  close(): void;
}

/**
 * Takes over an upgrade request (`server.on('upgrade')`): answers the handshake for the protocol
 * the client offers, or writes an HTTP error (400/403 with a one-line reason) on the socket and
 * resolves undefined. Never throws for a bad client.
 */
export type AcceptRemoteCommand = (req: IncomingMessage, socket: Duplex, head: Buffer, request: RemoteCommandRequest) => Promise<RemoteCommandSession | undefined>;

/** The same for port-forward; `ports` are the `port` query values (needed by the WebSocket protocol). */
export type AcceptPortForward = (req: IncomingMessage, socket: Duplex, head: Buffer, ports: number[]) => Promise<PortForwardSession | undefined>;
