// WebSocket streaming: exec/attach over v5/v4/v1 channel.k8s.io (binary and base64), port-forward
// over the kubelet's v4 channel protocol. Each takes over an upgrade request and hands back a
// protocol-neutral session (../types.ts).
export { acceptRemoteCommand } from './remote-command.js';
export { acceptPortForward } from './port-forward.js';
