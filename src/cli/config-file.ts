// The KubeletConfiguration file (--config): the fields of kubelet.config.k8s.io/v1beta1 that
// Berth uses. Fields Berth does not use are accepted with one warning (so an existing kubelet
// config works), wrong types are a UsageError naming the file and the field.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { parseDuration } from './duration.js';
import { UsageError } from './flags.js';
import { parseLogSize } from './log-size.js';

export interface FileConfig {
  staticPodPath?: string;
  staticPodURL?: string;
  staticPodURLHeader?: Record<string, string[]>;
  fileCheckFrequencyMs?: number;
  httpCheckFrequencyMs?: number;
  syncFrequencyMs?: number;
  podLogsDir?: string;
  address?: string;
  port?: number;
  containerRuntimeEndpoint?: string;
  readOnlyPort?: number;
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  /** authentication.x509.clientCAFile */
  clientCaFile?: string;
  /** authentication.anonymous.enabled */
  anonymousAuth?: boolean;
  /** authentication.webhook.enabled */
  authenticationWebhook?: boolean;
  /** authorization.mode */
  authorizationMode?: string;
  /** containerLogMaxSize, a quantity such as "10Mi", in bytes. */
  containerLogMaxSizeBytes?: number;
  containerLogMaxFiles?: number;
  containerLogMonitorIntervalMs?: number;
  /** Fields present in the file that Berth does not use. */
  ignored: string[];
}

const KNOWN = new Set([
  'apiVersion',
  'kind',
  'staticPodPath',
  'staticPodURL',
  'staticPodURLHeader',
  'fileCheckFrequency',
  'httpCheckFrequency',
  'syncFrequency',
  'podLogsDir',
  'address',
  'port',
  'containerRuntimeEndpoint',
  'readOnlyPort',
  'tlsCertFile',
  'tlsPrivateKeyFile',
  'authentication',
  'authorization',
  'containerLogMaxSize',
  'containerLogMaxFiles',
  'containerLogMonitorInterval',
]);

export function loadConfigFile(path: string): FileConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`--config ${path}: cannot read the file: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new UsageError(`--config ${path}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) doc = {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new UsageError(`--config ${path}: expected a KubeletConfiguration object, got ${Array.isArray(doc) ? 'a list' : typeof doc}`);
  }
  const o = doc as Record<string, unknown>;
  const fail = (field: string, expected: string) =>
    new UsageError(`--config ${path}: ${field}: invalid value ${JSON.stringify(o[field])}: expected ${expected}`);
  if (o.kind !== undefined && o.kind !== 'KubeletConfiguration') throw fail('kind', '"KubeletConfiguration"');
  if (o.apiVersion !== undefined && o.apiVersion !== 'kubelet.config.k8s.io/v1beta1') throw fail('apiVersion', '"kubelet.config.k8s.io/v1beta1"');

  const str = (field: string): string | undefined => {
    const v = o[field];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw fail(field, 'a string');
    return v;
  };
  const dur = (field: string): number | undefined => {
    const v = str(field);
    if (v === undefined) return undefined;
    const ms = parseDuration(v);
    if (ms === undefined) throw fail(field, 'a duration such as "20s"');
    return ms;
  };
  const cfg: FileConfig = { ignored: Object.keys(o).filter((k) => !KNOWN.has(k)) };
  cfg.staticPodPath = str('staticPodPath');
  cfg.staticPodURL = str('staticPodURL');
  cfg.podLogsDir = str('podLogsDir');
  cfg.address = str('address');
  cfg.containerRuntimeEndpoint = str('containerRuntimeEndpoint');
  cfg.fileCheckFrequencyMs = dur('fileCheckFrequency');
  cfg.httpCheckFrequencyMs = dur('httpCheckFrequency');
  cfg.syncFrequencyMs = dur('syncFrequency');
  const logSize = str('containerLogMaxSize');
  if (logSize !== undefined) {
    const bytes = parseLogSize(logSize);
    if (bytes === undefined) throw fail('containerLogMaxSize', 'a size such as "10Mi" (a Kubernetes quantity greater than 0)');
    cfg.containerLogMaxSizeBytes = bytes;
  }
  if (o.containerLogMaxFiles !== undefined) {
    if (!Number.isInteger(o.containerLogMaxFiles) || (o.containerLogMaxFiles as number) < 2) throw fail('containerLogMaxFiles', 'a whole number of at least 2');
    cfg.containerLogMaxFiles = o.containerLogMaxFiles as number;
  }
  cfg.containerLogMonitorIntervalMs = dur('containerLogMonitorInterval');
  if (o.port !== undefined) {
    if (!Number.isInteger(o.port) || (o.port as number) < 0 || (o.port as number) > 65535) throw fail('port', 'a port number 0-65535');
    cfg.port = o.port as number;
  }
  if (o.readOnlyPort !== undefined) {
    if (!Number.isInteger(o.readOnlyPort) || (o.readOnlyPort as number) < 0 || (o.readOnlyPort as number) > 65535) throw fail('readOnlyPort', 'a port number 0-65535 (0 = off)');
    cfg.readOnlyPort = o.readOnlyPort as number;
  }
  cfg.tlsCertFile = str('tlsCertFile');
  cfg.tlsPrivateKeyFile = str('tlsPrivateKeyFile');
  Object.assign(cfg, nodeApiAuth(o, path));
  if (o.staticPodURLHeader !== undefined) {
    const h = o.staticPodURLHeader;
    const ok =
      typeof h === 'object' && h !== null && !Array.isArray(h) && Object.values(h).every((v) => Array.isArray(v) && v.every((x) => typeof x === 'string'));
    if (!ok) throw fail('staticPodURLHeader', 'a map of header name to a list of strings, e.g. {Authorization: ["Bearer x"]}');
    cfg.staticPodURLHeader = h as Record<string, string[]>;
  }
  return cfg;
}

/** authentication.{x509.clientCAFile, anonymous.enabled, webhook.enabled} and authorization.mode, as KubeletConfiguration nests them. */
function nodeApiAuth(o: Record<string, unknown>, path: string): Pick<FileConfig, 'clientCaFile' | 'anonymousAuth' | 'authenticationWebhook' | 'authorizationMode'> {
  const section = (value: unknown, field: string): Record<string, unknown> => {
    if (value === undefined || value === null) return {};
    if (typeof value !== 'object' || Array.isArray(value)) throw new UsageError(`--config ${path}: ${field}: invalid value ${JSON.stringify(value)}: expected an object`);
    return value as Record<string, unknown>;
  };
  const leaf = <T>(value: unknown, field: string, type: 'string' | 'boolean'): T | undefined => {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== type) throw new UsageError(`--config ${path}: ${field}: invalid value ${JSON.stringify(value)}: expected a ${type}`);
    return value as T;
  };
  const authn = section(o.authentication, 'authentication');
  const out: Pick<FileConfig, 'clientCaFile' | 'anonymousAuth' | 'authenticationWebhook' | 'authorizationMode'> = {};
  const ca = leaf<string>(section(authn.x509, 'authentication.x509').clientCAFile, 'authentication.x509.clientCAFile', 'string');
  const anon = leaf<boolean>(section(authn.anonymous, 'authentication.anonymous').enabled, 'authentication.anonymous.enabled', 'boolean');
  const hook = leaf<boolean>(section(authn.webhook, 'authentication.webhook').enabled, 'authentication.webhook.enabled', 'boolean');
  const mode = leaf<string>(section(o.authorization, 'authorization').mode, 'authorization.mode', 'string');
  if (ca !== undefined) out.clientCaFile = ca;
  if (anon !== undefined) out.anonymousAuth = anon;
  if (hook !== undefined) out.authenticationWebhook = hook;
  if (mode !== undefined) out.authorizationMode = mode;
  return out;
}
