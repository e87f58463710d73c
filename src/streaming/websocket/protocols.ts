// The WebSocket subprotocols the kubelet (and, for v5, the API server's stream translator) serves,
// what each one means on the wire, and how one is picked from what the client offers.

/** How a channel message is carried: raw bytes after a channel byte, or base64 text after a digit. */
export type Codec = 'binary' | 'base64';

/**
 * How the end of an exec is reported on the error channel: `status` = a metav1.Status JSON (v4+,
 * kubectl reads the exit code from it); `text` = the failure message only, nothing on success.
 */
export type StatusStyle = 'status' | 'text';

export interface ChannelProtocol {
  /** The Sec-WebSocket-Protocol value; '' when the client offered none (upstream serves that too). */
  name: string;
  codec: Codec;
  /** v5: the client half-closes a stream with the message [255, channel] (stdin EOF). */
  streamClose: boolean;
}

export interface RemoteCommandProtocol extends ChannelProtocol {
  statusStyle: StatusStyle;
  /**
   * v5: the client (client-go in kubectl 1.30+, client-node) starts reading the socket while it is
   * still registering its streams, and drops (and logs) what arrives for a stream not registered
   * yet: `Unknown stream id 1, discarding message`, or, for a command that ends at once, the exit
   * status and the close too (`error: closed all streams`, exit 1), seen on a loaded node. So on
   * v5 the kubelet's empty "connected" message (which these clients ignore) is not sent, and the
   * output waits for the client to answer a ping and a short grace (see remote-command.ts).
   */
  registersStreamsLate: boolean;
}

function remoteCommand(name: string, codec: Codec, statusStyle: StatusStyle, streamClose = false): RemoteCommandProtocol {
  return { name, codec, statusStyle, streamClose, registersStreamsLate: streamClose };
}

function portForward(name: string, codec: Codec): ChannelProtocol {
  return { name, codec, streamClose: false };
}

/** exec/attach: v5 as the API server serves it (kubectl 1.30+), v4 and v1 as the kubelet does. */
export const REMOTE_COMMAND_PROTOCOLS: readonly RemoteCommandProtocol[] = [
  remoteCommand('v5.channel.k8s.io', 'binary', 'status', true),
  remoteCommand('v4.channel.k8s.io', 'binary', 'status'),
  remoteCommand('v4.base64.channel.k8s.io', 'base64', 'status'),
  remoteCommand('channel.k8s.io', 'binary', 'text'),
  remoteCommand('base64.channel.k8s.io', 'base64', 'text'),
  remoteCommand('', 'binary', 'text'),
];

/** port-forward as the kubelet serves it over WebSocket (the official Python client offers v4). */
export const PORT_FORWARD_PROTOCOLS: readonly ChannelProtocol[] = [
  portForward('v4.channel.k8s.io', 'binary'),
  portForward('v4.base64.channel.k8s.io', 'base64'),
  portForward('', 'binary'),
];

/** The protocols listed in a Sec-WebSocket-Protocol header (possibly repeated), in the client's order. */
export function offeredProtocols(header: string | string[] | undefined): string[] {
  if (header === undefined) return [];
  const values = Array.isArray(header) ? header : [header];
  return values.flatMap((v) => v.split(',')).map((p) => p.trim()).filter((p) => p !== '');
}

/**
 * The protocol to speak: as upstream, the first one the client offers that is supported (clients
 * list their preference first), or '' when the client offered nothing. undefined: none fits.
 */
export function negotiate<P extends ChannelProtocol>(offered: readonly string[], supported: readonly P[]): P | undefined {
  const wanted = offered.length === 0 ? [''] : offered;
  for (const name of wanted) {
    const match = supported.find((p) => p.name === name);
    if (match) return match;
  }
  return undefined;
}

/** The names a client may offer, for error messages. */
export function protocolNames(supported: readonly ChannelProtocol[]): string {
  return supported.filter((p) => p.name !== '').map((p) => p.name).join(', ');
}
