// How the embedded API reaches the node API, as kube-apiserver reaches a kubelet: over the
// network with credentials of its own, never by calling into the agent.

export interface NodeConnection {
  /** Base URL of the node API, e.g. https://127.0.0.1:10250 (a function: the port is known only once it listens). */
  url(): string;
  /** The CA (or self-signed certificate) the node API's serving certificate is checked against. */
  caCertPem?: string;
  /** The API server's own client certificate and key for the node API. */
  clientCertPem?: string;
  clientKeyPem?: string;
  /** A bearer token, when no client certificate is used. */
  token?: string;
}
