// SPDY/3.1 (as kubectl before 1.30 and kube-apiserver speak it): remote command and port-forward,
// also tunnelled inside a WebSocket (`SPDY/3.1+portforward.k8s.io`, kubectl 1.30+ port-forward).
export { acceptRemoteCommand, REMOTE_COMMAND_PROTOCOLS, STREAM_CREATION_TIMEOUT_MS, type RemoteCommandOptions } from './remote-command.js';
export { acceptPortForward, PORT_FORWARD_PROTOCOL, type PortForwardOptions } from './port-forward.js';
export { acceptTunnelledPortForward, offersTunnel, TUNNEL_SUBPROTOCOL } from './tunnel.js';
export { SpdySession, DEFAULT_WINDOW, type SpdySessionOptions } from './session.js';
export type { SpdyStream } from './stream.js';
export { SpdyProtocolError } from './errors.js';
export { SPDY_UPGRADE_TOKEN } from './handshake.js';
