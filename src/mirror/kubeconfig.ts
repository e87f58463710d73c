// Reads a kubeconfig the way kubectl does for the fields a node agent needs: the current context's
// cluster (server, CA file or inline data, insecure-skip-tls-verify, tls-server-name) and user
// (token, tokenFile, client certificate and key as files or inline data, basic auth). Relative file
// paths are resolved against the kubeconfig's own folder. Every error names the file and the field.
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { parse } from 'yaml';
import { KubeconfigError } from './errors.js';

/** Everything the REST client needs to reach and authenticate to one API server. */
export interface ClientConfig {
  /** `https://host:port` (an optional path prefix is kept). */
  server: string;
  /** PEM CA bundle to trust instead of the system roots. */
  caData?: Buffer;
  certData?: Buffer;
  keyData?: Buffer;
  token?: string;
  /** Absolute path of a file holding the bearer token; re-read periodically (rotated tokens). */
  tokenFile?: string;
  username?: string;
  password?: string;
  insecureSkipTLSVerify?: boolean;
  /** SNI / certificate name to verify instead of the URL's host. */
  tlsServerName?: string;
  /** The context's namespace, `default` when unset. */
  namespace: string;
  /** Where this came from (kubeconfig path), for messages. */
  origin: string;
}

export interface LoadKubeconfigOptions {
  /** Use this context instead of current-context. */
  context?: string;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Loads and checks a kubeconfig file (reads the referenced certificate/key/CA files too). */
export async function loadKubeconfig(path: string, opts: LoadKubeconfigOptions = {}): Promise<ClientConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new KubeconfigError(
      path,
      '',
      code === 'ENOENT' ? 'file does not exist' : `cannot read the file: ${(err as Error).message}`,
      code === 'ENOENT' ? 'pass the path of an existing kubeconfig with --kubeconfig' : 'make the kubeconfig readable by the user running berth',
    );
  }
  return parseKubeconfig(text, path, opts);
}

/** Parses kubeconfig text; `path` is used for messages and to resolve relative file references. */
export async function parseKubeconfig(text: string, path: string, opts: LoadKubeconfigOptions = {}): Promise<ClientConfig> {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new KubeconfigError(path, '', `not valid YAML: ${(err as Error).message.split('\n')[0]}`, 'fix the YAML syntax');
  }
  if (!isObj(doc)) throw new KubeconfigError(path, '', 'not a kubeconfig (expected a YAML mapping)', 'use a file written by kubectl or a cluster installer');
  const base = dirname(resolve(path));
  const fail = (field: string, problem: string, fix: string): never => {
    throw new KubeconfigError(path, field, problem, fix);
  };

  let contextName = opts.context ?? doc['current-context'];
  const contexts = namedList(doc, 'contexts', 'context', fail);
  if (contextName === undefined || contextName === '') {
    if (contexts.length === 1) contextName = contexts[0]!.name;
    else fail('current-context', 'not set', `set it to one of: ${contexts.map((c) => c.name).join(', ') || '(no contexts defined)'}`);
  }
  if (typeof contextName !== 'string') return fail('current-context', 'must be a string', 'set it to the name of a context');
  const ctx = contexts.find((c) => c.name === contextName);
  if (!ctx) {
    return fail(
      opts.context ? 'contexts' : 'current-context',
      `context "${contextName}" is not defined in contexts[]`,
      `use one of: ${contexts.map((c) => c.name).join(', ') || '(no contexts defined)'}`,
    );
  }
  const ctxField = `contexts[${ctx.index}].context`;
  const clusterName = ctx.value['cluster'];
  const userName = ctx.value['user'];
  if (typeof clusterName !== 'string' || clusterName === '') fail(`${ctxField}.cluster`, 'Required value', 'name the cluster this context uses');

  const clusters = namedList(doc, 'clusters', 'cluster', fail);
  const cluster = clusters.find((c) => c.name === clusterName);
  if (!cluster) {
    return fail(`${ctxField}.cluster`, `cluster "${String(clusterName)}" is not defined in clusters[]`, `use one of: ${clusters.map((c) => c.name).join(', ') || '(no clusters defined)'}`);
  }
  const cf = `clusters[${cluster.index}].cluster`;
  const c = cluster.value;
  const server = str(c, 'server', cf, fail);
  if (!server) return fail(`${cf}.server`, 'Required value', 'set the API server URL, e.g. https://10.0.0.1:6443');
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    return fail(`${cf}.server`, `Invalid value: "${server}": not a URL`, 'use https://host:port');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') fail(`${cf}.server`, `Invalid value: "${server}": scheme must be https or http`, 'use https://host:port');

  const out: ClientConfig = { server: server.replace(/\/+$/, ''), namespace: 'default', origin: path };
  const ns = ctx.value['namespace'];
  if (typeof ns === 'string' && ns !== '') out.namespace = ns;

  const insecure = c['insecure-skip-tls-verify'];
  if (insecure !== undefined && typeof insecure !== 'boolean') fail(`${cf}.insecure-skip-tls-verify`, 'must be true or false', 'write true or false');
  if (insecure === true) out.insecureSkipTLSVerify = true;
  const sni = str(c, 'tls-server-name', cf, fail);
  if (sni) out.tlsServerName = sni;
  out.caData = await dataOrFile(c, 'certificate-authority-data', 'certificate-authority', cf, base, fail);
  if (out.caData && out.insecureSkipTLSVerify) {
    fail(cf, 'certificate-authority(-data) and insecure-skip-tls-verify are both set', 'remove one of them (kubectl refuses this too)');
  }
  if (out.caData) checkCaBundle(out.caData, `${cf}.certificate-authority(-data)`, fail);

  if (userName !== undefined && userName !== '') {
    if (typeof userName !== 'string') return fail(`${ctxField}.user`, 'must be a string', 'name the user this context uses');
    const users = namedList(doc, 'users', 'user', fail);
    const user = users.find((u) => u.name === userName);
    if (!user) return fail(`${ctxField}.user`, `user "${userName}" is not defined in users[]`, `use one of: ${users.map((u) => u.name).join(', ') || '(no users defined)'}`);
    const uf = `users[${user.index}].user`;
    const u = user.value;
    for (const unsupported of ['exec', 'auth-provider']) {
      if (u[unsupported] !== undefined) {
        fail(`${uf}.${unsupported}`, 'credential plugins are not supported by berth', 'give the node a token, tokenFile or client certificate instead');
      }
    }
    const token = str(u, 'token', uf, fail);
    if (token) out.token = token;
    const tokenFile = str(u, 'tokenFile', uf, fail);
    if (tokenFile) {
      out.tokenFile = resolveFrom(base, tokenFile);
      try {
        await readFile(out.tokenFile, 'utf8');
      } catch (err) {
        fail(`${uf}.tokenFile`, `cannot read ${out.tokenFile}: ${(err as Error).message}`, 'point tokenFile at a readable file holding the bearer token');
      }
    }
    out.certData = await dataOrFile(u, 'client-certificate-data', 'client-certificate', uf, base, fail);
    out.keyData = await dataOrFile(u, 'client-key-data', 'client-key', uf, base, fail);
    if (out.certData && !out.keyData) fail(`${uf}.client-key`, 'Required value: a client certificate needs its key', 'set client-key or client-key-data');
    if (out.keyData && !out.certData) fail(`${uf}.client-certificate`, 'Required value: a client key needs its certificate', 'set client-certificate or client-certificate-data');
    if (out.certData && out.keyData) {
      tlsMaterial({ cert: out.certData, key: out.keyData }, `${uf}.client-certificate(-data)`, 'not a usable PEM certificate and key pair', 'give the PEM certificate and the PEM private key that belongs to it', fail);
    }
    const username = str(u, 'username', uf, fail);
    const password = str(u, 'password', uf, fail);
    if (username !== undefined) out.username = username;
    if (password !== undefined) out.password = password;
  }
  for (const k of Object.keys(out) as (keyof ClientConfig)[]) if (out[k] === undefined) delete out[k];
  return out;
}

type Fail = (field: string, problem: string, fix: string) => never;

/** Loads a client certificate and key as the client's TLS will, so a bad pair is a start-up error. */
function tlsMaterial(material: SecureContextOptions, field: string, problem: string, fix: string, fail: Fail): void {
  try {
    createSecureContext(material);
  } catch (err) {
    fail(field, `${problem}: ${(err as Error).message}`, fix);
  }
}

/**
 * Every certificate of a CA bundle must parse, and there must be one, as kubectl requires ("unable
 * to load root certificates"). Node's TLS would skip a bad one silently, and every connection
 * would then fail certificate verification with no word about the kubeconfig.
 */
function checkCaBundle(pem: Buffer, field: string, fail: Fail): void {
  const fix = "give the PEM of the CA that signed the API server's certificate";
  const blocks = pem.toString('utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) fail(field, 'not a PEM certificate: no "-----BEGIN CERTIFICATE-----" block', fix);
  blocks.forEach((block, i) => {
    try {
      new X509Certificate(block);
    } catch (err) {
      fail(field, `not a PEM certificate: certificate ${i + 1} of ${blocks.length} cannot be parsed: ${(err as Error).message}`, fix);
    }
  });
}

interface Named {
  name: string;
  index: number;
  value: Obj;
}

/** clusters/contexts/users: lists of {name, <inner>: {...}}. */
function namedList(doc: Obj, key: string, inner: string, fail: Fail): Named[] {
  const list = doc[key];
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) return fail(key, 'must be a list', `write ${key} as a YAML list of {name, ${inner}}`);
  return list.map((e, index) => {
    if (!isObj(e) || typeof e['name'] !== 'string') return fail(`${key}[${index}].name`, 'Required value', `give every entry of ${key} a name`);
    const value = e[inner] ?? {};
    if (!isObj(value)) return fail(`${key}[${index}].${inner}`, 'must be a mapping', `write ${inner} as a YAML mapping`);
    return { name: e['name'], index, value };
  });
}

function str(o: Obj, key: string, at: string, fail: Fail): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') return fail(`${at}.${key}`, 'must be a string', `quote the value of ${key}`);
  return v;
}

function resolveFrom(base: string, p: string): string {
  return isAbsolute(p) ? p : resolve(base, p);
}

/** `<x>-data` (base64, wins like in kubectl) or `<x>` (a file path, relative to the kubeconfig). */
async function dataOrFile(o: Obj, dataKey: string, fileKey: string, at: string, base: string, fail: Fail): Promise<Buffer | undefined> {
  const data = str(o, dataKey, at, fail);
  if (data) {
    const b = Buffer.from(data, 'base64');
    if (b.length === 0 || !/^[A-Za-z0-9+/=\s]+$/.test(data)) fail(`${at}.${dataKey}`, 'not valid base64', `base64-encode the PEM text (base64 -w0 file.pem)`);
    if (!b.toString('latin1').includes('-----BEGIN')) fail(`${at}.${dataKey}`, 'does not decode to PEM (no -----BEGIN line)', 'base64-encode the PEM file itself');
    return b;
  }
  const file = str(o, fileKey, at, fail);
  if (!file) return undefined;
  const p = resolveFrom(base, file);
  try {
    return await readFile(p);
  } catch (err) {
    return fail(`${at}.${fileKey}`, `cannot read ${p}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, `point ${fileKey} at a readable PEM file (relative paths are resolved against the kubeconfig's folder)`);
  }
}
