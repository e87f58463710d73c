// A client of berth's node API as the README tells root to use it: HTTPS pinned to the serving
// certificate under the root dir, the node's bearer token (or a client certificate).
import { readFileSync } from 'node:fs';
import { request, type Agent } from 'node:https';
import { join } from 'node:path';

export interface NodeRequestOptions {
  method?: string;
  /** Default: the token in <root>/api/token; null: send no Authorization header. */
  token?: string | null;
  cert?: string;
  key?: string;
  headers?: Record<string, string>;
  /** Default: <root>/pki/kubelet.crt. */
  ca?: string;
  /** A keep-alive agent, to see whether the server kept the connection (`reusedSocket`). */
  agent?: Agent;
}

export interface NodeAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The request went over a connection an earlier request had opened. */
  reusedSocket: boolean;
}

export function nodeToken(root: string): string {
  return readFileSync(join(root, 'api', 'token'), 'utf8').trim();
}

export function nodeCa(root: string): string {
  return readFileSync(join(root, 'pki', 'kubelet.crt'), 'utf8');
}

export function nodeRequest(root: string, port: number, path: string, o: NodeRequestOptions = {}): Promise<NodeAnswer> {
  const token = o.token === undefined ? nodeToken(root) : o.token;
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: o.method ?? 'GET', ca: o.ca ?? nodeCa(root), cert: o.cert, key: o.key, headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...o.headers }, timeout: 30_000, ...(o.agent ? { agent: o.agent } : {}) },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, reusedSocket: req.reusedSocket }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from the node API for ${path} within 30 s`)));
    req.on('error', reject);
    req.end();
  });
}
