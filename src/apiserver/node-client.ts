// Requests from the embedded API to the node API over a NodeConnection: HTTPS with the node's CA
// and the API server's client certificate (or a bearer token), plain HTTP when the node API is.
import { request as httpRequest, type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { NodeConnection } from './node-connection.js';

/**
 * One agent per node connection, for its TLS sessions only (no connection is kept open: most
 * requests here become streams). A new connection resumes the last session instead of a full
 * handshake with certificate checks both ways: a `kubectl exec` reaches the node a few ms sooner.
 */
const sessionAgents = new WeakMap<NodeConnection, HttpsAgent>();

function sessionAgent(node: NodeConnection): HttpsAgent {
  let agent = sessionAgents.get(node);
  if (!agent) {
    agent = new HttpsAgent({ keepAlive: false });
    sessionAgents.set(node, agent);
  }
  return agent;
}

export function nodeRequest(node: NodeConnection, method: string, path: string, headers: OutgoingHttpHeaders = {}): ClientRequest {
  const base = new URL(node.url());
  const h: OutgoingHttpHeaders = { ...headers };
  if (node.token) h['authorization'] = `Bearer ${node.token}`;
  const common = { method, host: base.hostname.replace(/^\[|\]$/g, ''), port: base.port || undefined, path, headers: h };
  if (base.protocol === 'https:') {
    return httpsRequest({ ...common, agent: sessionAgent(node), ca: node.caCertPem, cert: node.clientCertPem, key: node.clientKeyPem });
  }
  return httpRequest({ ...common, agent: false });
}

/** What went wrong talking to the node API, for the client: what, where, how to fix. */
export function nodeUnreachable(node: NodeConnection, err: Error): string {
  return `the node API at ${node.url()} cannot be reached: ${err.message} (is the agent's node server running? see --address and --port)`;
}

/** GET `path`; resolves with the response (any status), rejects when the node API cannot be reached. */
export function nodeGet(node: NodeConnection, path: string, headers: OutgoingHttpHeaders = {}): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = nodeRequest(node, 'GET', path, headers);
    req.on('response', resolve);
    req.on('error', (err) => reject(new Error(nodeUnreachable(node, err))));
    req.end();
  });
}

/** The whole body of a response, as text. */
export async function readText(res: IncomingMessage, limit = 64 * 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of res) {
    size += (c as Buffer).length;
    if (size > limit) {
      res.destroy();
      throw new Error(`the node API's answer is larger than ${limit} bytes`);
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
