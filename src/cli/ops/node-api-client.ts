// A client of the local node API with the root dir's credentials, as root on the node has them:
// the node token (<root-dir>/api/token), the serving certificate to pin, and the address the agent
// wrote at start (<root-dir>/api/node-api.json; the flags override it). Every failure becomes an
// OpsError saying what was tried and how to fix it.
import { readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { request } from 'node:https';
import { join } from 'node:path';
import { runDefaults } from '../options.js';
import { nodeApiEndpointPath, readNodeApiEndpoint } from '../node-api-endpoint.js';
import { OpsError } from './errors.js';
import type { ConnectionOptions } from './options.js';

export interface NodeApiTarget {
  /** https://host:port */
  url: string;
  ca: string;
  token: string;
  rootDir: string;
  /** How the target was found, for error messages: the flags, the root dir, the defaults. */
  tried: string;
}

/** Finds the agent and reads its credentials; throws OpsError when the token or certificate cannot be read. */
export async function resolveTarget(o: ConnectionOptions): Promise<NodeApiTarget> {
  const written = await readNodeApiEndpoint(o.rootDir);
  const writtenUrl = written ? new URL(written.url) : undefined;
  const asked = o.address ?? writtenUrl?.hostname.replace(/^\[|\]$/g, '') ?? '127.0.0.1';
  // An agent bound to every interface is reached on loopback, which its certificate covers.
  const address = asked === '0.0.0.0' || asked === '' ? '127.0.0.1' : asked === '::' ? '::1' : asked;
  const port = o.port ?? (writtenUrl ? Number(writtenUrl.port) : runDefaults().port);
  const from = o.address !== undefined || o.port !== undefined ? 'the flags' : written ? nodeApiEndpointPath(o.rootDir) : "berth run's defaults";
  if (!port) {
    throw new OpsError(
      `no berth agent has run with --root-dir ${o.rootDir} (there is no ${nodeApiEndpointPath(o.rootDir)} naming its port): start one with "berth run --root-dir ${o.rootDir} ...", or pass the --root-dir or --port of the agent that runs`,
    );
  }
  const host = address.includes(':') ? `[${address}]` : address;
  const tried = `--address ${address} --port ${port} (from ${from}), --root-dir ${o.rootDir}`;
  const token = (await readCredential(join(o.rootDir, 'api', 'token'), 'node token', o.rootDir)).trim();
  const ca = await readCredential(written?.caFile ?? join(o.rootDir, 'pki', 'kubelet.crt'), 'serving certificate', o.rootDir);
  return { url: `https://${host}:${port}`, ca, token, rootDir: o.rootDir, tried };
}

async function readCredential(path: string, what: string, rootDir: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') {
      throw new OpsError(`cannot read the ${what} ${path}: permission denied: it is readable by root only; run this command as root (sudo), or pass the --root-dir of an agent you run yourself`);
    }
    if (code === 'ENOENT') {
      throw new OpsError(`no ${what} at ${path}: no berth agent has started with --root-dir ${rootDir}; pass the --root-dir the agent runs with (its start-up line "berth is running" names it)`);
    }
    throw new OpsError(`cannot read the ${what} ${path}: ${(err as Error).message}`);
  }
}

/** An answer that is not 2xx: the node API's one-line reason. */
export class NodeApiRefusal extends OpsError {
  constructor(
    readonly status: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

export class NodeApiClient {
  constructor(readonly target: NodeApiTarget) {}

  static async connect(o: ConnectionOptions): Promise<NodeApiClient> {
    return new NodeApiClient(await resolveTarget(o));
  }

  /** GET and parse a JSON answer. */
  async getJson<T>(path: string): Promise<T> {
    const res = await this.open(path);
    const body = await readAll(res);
    try {
      return JSON.parse(body) as T;
    } catch {
      throw new OpsError(`the node API at ${this.target.url}${path} answered something that is not JSON: ${body.slice(0, 200)}`);
    }
  }

  /** GET that streams (logs, watches): the response once its status is 2xx; a refusal throws NodeApiRefusal. */
  async open(path: string): Promise<IncomingMessage> {
    const url = new URL(path, this.target.url);
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(url, { ca: this.target.ca, agent: false, headers: { Authorization: `Bearer ${this.target.token}` } }, resolve);
      req.on('error', (err) => reject(this.connectionError(err)));
      req.end();
    });
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) return res;
    const text = (await readAll(res)).trim();
    if (status === 401) {
      throw new NodeApiRefusal(status, `the node API at ${this.target.url} refused the node token of --root-dir ${this.target.rootDir}: it belongs to another agent; pass the --root-dir of the agent that listens there (${text.split(';')[0]})`);
    }
    throw new NodeApiRefusal(status, text || `the node API answered ${status} for ${path}`);
  }

  /** The message for a connection that failed before any answer. */
  connectionError(err: unknown): OpsError {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ECONNREFUSED') {
      return new OpsError(`no berth agent is running there: nothing listens at ${this.target.url} (tried ${this.target.tried}); start it with "berth run", or pass the --root-dir, --address and --port it runs with`);
    }
    if (e.code === 'ECONNRESET' || e.code === 'EPROTO' || /certificate|self.signed|altnames/i.test(e.message)) {
      return new OpsError(`cannot talk to the node API at ${this.target.url} (tried ${this.target.tried}): ${e.message}; is this port the node API of the agent with this --root-dir?`);
    }
    return new OpsError(`cannot reach the node API at ${this.target.url} (tried ${this.target.tried}): ${e.message}`);
  }
}

export function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => (body += c));
    res.on('end', () => resolve(body));
    res.on('error', reject);
  });
}
