// Where the running agent's node API is: written by `berth run` under <root-dir>/api once it
// listens, read by the operator commands (berth get/logs/exec/...), because the port may have been
// picked free (--port=0, the rootless default) and the certificate may be the operator's own.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../state/index.js';

export interface NodeApiEndpoint {
  /** https://host:port, reachable from this machine (loopback when bound to every interface). */
  url: string;
  /** The file that verifies the serving certificate (its chain). */
  caFile: string;
}

export function nodeApiEndpointPath(rootDir: string): string {
  return join(rootDir, 'api', 'node-api.json');
}

export async function writeNodeApiEndpoint(rootDir: string, endpoint: NodeApiEndpoint): Promise<void> {
  await writeFileAtomic(nodeApiEndpointPath(rootDir), JSON.stringify(endpoint) + '\n', 0o644);
}

/** The endpoint the last agent with this root dir wrote; undefined when there is none (or it is unreadable). */
export async function readNodeApiEndpoint(rootDir: string): Promise<NodeApiEndpoint | undefined> {
  try {
    const value = JSON.parse(await readFile(nodeApiEndpointPath(rootDir), 'utf8')) as Partial<NodeApiEndpoint>;
    return typeof value.url === 'string' && typeof value.caFile === 'string' ? { url: value.url, caFile: value.caFile } : undefined;
  } catch {
    return undefined;
  }
}
