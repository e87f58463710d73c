// `berth run` options: the kubelet's flag names, merged over a KubeletConfiguration file (flags
// win), with the kubelet's defaults.
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { loadConfigFile } from './config-file.js';
import { parseFlags, UsageError, type FlagSpec, type ParsedFlags } from './flags.js';
import { DEFAULT_LOG_ROTATION, type LogRotationPolicy } from '../logs/index.js';
import { parseLogSize } from './log-size.js';

export interface RunOptions {
  podManifestPath?: string;
  manifestUrl?: string;
  manifestUrlHeaders: Record<string, string[]>;
  fileCheckFrequencyMs: number;
  httpCheckFrequencyMs: number;
  syncFrequencyMs: number;
  nodeName: string;
  nodeIP?: string;
  rootDir: string;
  podLogsDir: string;
  address: string;
  port: number;
  /** Fields of the --config file that Berth ignores (warned about at start). */
  ignoredConfigFields: string[];
  /** Join this cluster (mirror pods, Node, Lease, events) instead of serving an API. */
  kubeconfig?: string;
  /** Serve the embedded API server (default: when there is no kubeconfig). */
  serveApi: boolean;
  apiBindAddress: string;
  apiPort: number;
  writeKubeconfig: string;
  /** unix:// socket of containerd (CRI) or Docker/Podman; none = the process runtime. */
  containerRuntimeEndpoint?: string;
  podInfraContainerImage: string;
  /** Accept manifest paths that others could write (the kubelet's behaviour), with a warning. */
  allowInsecureManifestPath: boolean;
  /** PEM CA bundle that --manifest-url's certificate must chain to (instead of the system CAs). */
  manifestUrlCa?: string;
  /** Client certificate and key (PEM files) presented to --manifest-url. */
  manifestUrlCert?: string;
  manifestUrlKey?: string;
  /** OpenSSH ed25519 public key or allowed-signers file: every manifest must be signed by it. */
  manifestSigningKey?: string;
  /** Process runtime: run containers whose security settings it cannot enforce instead of refusing them. */
  processRuntimeAcceptUnenforcedSecurity: boolean;
  /** The node API's serving certificate (with chain) and key; both or neither (then berth makes one). */
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  /** CA bundle whose client certificates the node API accepts (user = CN, groups = O). */
  clientCaFile?: string;
  /** Requests without credentials are system:anonymous (then authorized) instead of 401. */
  anonymousAuth: boolean;
  /** Remote mode: bearer tokens other than the node's are checked with the cluster's TokenReview. */
  authenticationTokenWebhook: boolean;
  /** Standalone: the API server and root only; Webhook: the cluster's SubjectAccessReview; AlwaysAllow. */
  authorizationMode: 'Standalone' | 'Webhook' | 'AlwaysAllow';
  /** Plain-HTTP, unauthenticated /healthz, /pods (no env values), /metrics; 0 = off. */
  readOnlyPort: number;
  /** --container-log-max-size / --container-log-max-files. */
  containerLogRotation: LogRotationPolicy;
  /** How often the log manager looks at every container's log (containerLogMonitorInterval). */
  containerLogMonitorIntervalMs: number;
}

export const RUN_FLAGS: FlagSpec[] = [
  { name: 'pod-manifest-path', type: 'string', help: 'directory (or single file) of static pod manifests' },
  { name: 'manifest-url', type: 'string', help: 'URL serving a Pod or PodList to run' },
  { name: 'manifest-url-header', type: 'strings', help: "HTTP header for --manifest-url, 'Name:value' or 'a:x,b:y'; repeatable" },
  { name: 'allow-insecure-manifest-path', type: 'bool', help: 'accept a manifest directory or file that others than root and the agent could write (the kubelet accepts it; Berth refuses it by default)', default: 'false' },
  { name: 'manifest-url-ca', type: 'string', help: 'PEM CA file that the --manifest-url server certificate must chain to', default: 'the system CAs' },
  { name: 'manifest-url-cert', type: 'string', help: 'PEM client certificate presented to --manifest-url (with --manifest-url-key)' },
  { name: 'manifest-url-key', type: 'string', help: 'PEM private key of --manifest-url-cert' },
  { name: 'manifest-signing-key', type: 'string', help: 'OpenSSH ed25519 public key or allowed-signers file; every manifest must then have a valid detached signature (ssh-keygen -Y sign -n berth-manifest): FILE.sig beside a file, URL.sig for the URL' },
  { name: 'file-check-frequency', type: 'duration', help: 'how often the manifest path is re-listed', default: '20s' },
  { name: 'http-check-frequency', type: 'duration', help: 'how often --manifest-url is polled', default: '20s' },
  { name: 'sync-frequency', type: 'duration', help: 'how often every pod is re-checked', default: '1m' },
  { name: 'hostname-override', type: 'string', help: 'node name (lower-cased)', default: 'the host name' },
  { name: 'node-ip', type: 'string', help: "the node's IP, reported as hostIP and (for host-network pods) podIP", default: 'first non-loopback IPv4' },
  { name: 'root-dir', type: 'string', help: 'state folder (survives agent restarts)', default: '/var/lib/berth; not root: $XDG_STATE_HOME/berth or ~/.local/state/berth' },
  { name: 'pod-logs-dir', type: 'string', help: 'container logs, kubelet layout', default: '/var/log/pods; not root: pods/ under the root dir' },
  { name: 'address', type: 'string', help: 'address of the node endpoints', default: '127.0.0.1' },
  { name: 'port', type: 'int', help: 'port of the node endpoints (0 = any free port)', default: '10250; not root: 0' },
  { name: 'tls-cert-file', type: 'string', help: 'PEM serving certificate (and chain) of the node API, with --tls-private-key-file', default: 'made at first start: <root-dir>/pki/kubelet.crt' },
  { name: 'tls-private-key-file', type: 'string', help: 'PEM private key of --tls-cert-file' },
  { name: 'client-ca-file', type: 'string', help: 'PEM CA bundle: client certificates it signed are accepted by the node API (user = CN, groups = O)' },
  { name: 'anonymous-auth', type: 'bool', help: 'node API requests without credentials are user system:anonymous (then authorized) instead of refused with 401', default: 'false' },
  { name: 'authentication-token-webhook', type: 'bool', help: "with --kubeconfig: check bearer tokens other than the node's with the cluster's TokenReview", default: 'true with --kubeconfig' },
  { name: 'authorization-mode', type: 'string', help: "node API authorization: Webhook (the cluster's SubjectAccessReview, needs --kubeconfig) or AlwaysAllow (every authenticated request)", default: 'Webhook with --kubeconfig; else the API server and the token holder only' },
  { name: 'read-only-port', type: 'int', help: 'plain-HTTP port without authentication serving /healthz, /pods (no env values) and /metrics (0 = off)', default: '0' },
  { name: 'kubeconfig', type: 'string', help: 'join the cluster of this kubeconfig (mirror pods, Node, Lease, events) instead of serving an API' },
  { name: 'serve-api', type: 'bool', help: 'serve the embedded Kubernetes API for kubectl', default: 'true without --kubeconfig' },
  { name: 'api-bind-address', type: 'string', help: 'address of the embedded API server', default: '127.0.0.1' },
  { name: 'api-port', type: 'int', help: 'port of the embedded API server (0 = any free port)', default: '6443; not root: 0' },
  { name: 'write-kubeconfig', type: 'string', help: 'where the kubeconfig of the embedded API server is written', default: '<root-dir>/kubeconfig' },
  { name: 'container-runtime-endpoint', type: 'string', help: 'containerd CRI socket or Docker/Podman API socket, e.g. unix:///run/containerd/containerd.sock', default: 'none: the process runtime' },
  { name: 'pod-infra-container-image', type: 'string', help: 'sandbox image for Docker pods', default: 'registry.k8s.io/pause:3.6' },
  { name: 'process-runtime-accept-unenforced-security', type: 'bool', help: 'process runtime: run containers that ask for sysctls, SELinux, AppArmor, Localhost seccomp or user namespaces without them instead of refusing them', default: 'false' },
  { name: 'container-log-max-size', type: 'string', help: 'a container log file is rotated when it reaches this size (a quantity such as 10Mi)', default: '10Mi' },
  { name: 'container-log-max-files', type: 'int', help: 'log files kept per container, the live one included (at least 2)', default: '5' },
  { name: 'config', type: 'string', help: 'KubeletConfiguration (kubelet.config.k8s.io/v1beta1) YAML file; flags win over it' },
  { name: 'help', type: 'bool', help: 'show this help' },
];

/** Parses `berth run` arguments. Throws UsageError (exit 2) on anything wrong. */
export function parseRunOptions(argv: string[], parseHeader: (value: string) => Record<string, string[]>): RunOptions | 'help' {
  const { flags, positional } = parseFlags(argv, RUN_FLAGS, 'run');
  if (flags.get('help')) return 'help';
  if (positional.length) throw new UsageError(`unexpected argument ${JSON.stringify(positional[0])} for "berth run": every option is a --flag`);
  const configPath = str(flags, 'config');
  const file = configPath ? loadConfigFile(configPath) : { ignored: [] };

  const headers: Record<string, string[]> = { ...(file.staticPodURLHeader ?? {}) };
  const headerFlags = flags.get('manifest-url-header') as string[] | undefined;
  if (headerFlags) {
    for (const k of Object.keys(headers)) delete headers[k];
    for (const value of headerFlags) {
      let parsed: Record<string, string[]>;
      try {
        parsed = parseHeader(value);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      for (const [k, v] of Object.entries(parsed)) headers[k] = [...(headers[k] ?? []), ...v];
    }
  }
  const defaults = runDefaults();
  const port = (flags.get('port') as number | undefined) ?? file.port ?? defaults.port;
  if (port > 65535) throw new UsageError(`invalid value "${port}" for flag --port: expected a port number 0-65535`);
  const nodeName = (str(flags, 'hostname-override') ?? hostname()).toLowerCase().trim();
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(nodeName) || nodeName.length > 253) {
    throw new UsageError(`invalid node name ${JSON.stringify(nodeName)}: it must be a lowercase DNS name (letters, digits, '-', '.'); set one with --hostname-override`);
  }
  const manifestUrl = str(flags, 'manifest-url') ?? file.staticPodURL;
  if (manifestUrl !== undefined) {
    let u: URL;
    try {
      u = new URL(manifestUrl);
    } catch {
      throw new UsageError(`invalid value ${JSON.stringify(manifestUrl)} for --manifest-url: expected an http:// or https:// URL`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
      throw new UsageError(`invalid value ${JSON.stringify(manifestUrl)} for --manifest-url: only http:// and https:// URLs are supported`);
    }
  }
  const manifestUrlCert = str(flags, 'manifest-url-cert');
  const manifestUrlKey = str(flags, 'manifest-url-key');
  if ((manifestUrlCert === undefined) !== (manifestUrlKey === undefined)) {
    throw new UsageError('--manifest-url-cert and --manifest-url-key go together: give both (a PEM client certificate and its private key) or neither');
  }
  const kubeconfig = str(flags, 'kubeconfig');
  const serveApi = (flags.get('serve-api') as boolean | undefined) ?? kubeconfig === undefined;
  if (serveApi && kubeconfig !== undefined) {
    throw new UsageError('--serve-api=true and --kubeconfig exclude each other: with --kubeconfig berth joins that cluster and serves no API of its own');
  }
  const apiPort = (flags.get('api-port') as number | undefined) ?? defaults.apiPort;
  if (apiPort > 65535) throw new UsageError(`invalid value "${apiPort}" for flag --api-port: expected a port number 0-65535`);
  const rootDir = str(flags, 'root-dir') ?? defaults.rootDir;
  const endpoint = str(flags, 'container-runtime-endpoint') ?? file.containerRuntimeEndpoint;
  if (endpoint !== undefined && endpoint !== '' && !/^unix:\/\/\/.+/.test(endpoint)) {
    throw new UsageError(`invalid value ${JSON.stringify(endpoint)} for --container-runtime-endpoint: expected a unix socket URL such as unix:///run/containerd/containerd.sock`);
  }
  const logSizeFlag = str(flags, 'container-log-max-size');
  let logMaxSize = file.containerLogMaxSizeBytes ?? DEFAULT_LOG_ROTATION.maxSizeBytes;
  if (logSizeFlag !== undefined) {
    const bytes = parseLogSize(logSizeFlag);
    if (bytes === undefined) throw new UsageError(`invalid value ${JSON.stringify(logSizeFlag)} for --container-log-max-size: expected a size such as 10Mi (a Kubernetes quantity greater than 0)`);
    logMaxSize = bytes;
  }
  const logMaxFiles = (flags.get('container-log-max-files') as number | undefined) ?? file.containerLogMaxFiles ?? DEFAULT_LOG_ROTATION.maxFiles;
  if (logMaxFiles < 2) throw new UsageError(`invalid value "${logMaxFiles}" for --container-log-max-files: at least 2 files are needed (the live log and one rotated file)`);
  const logMonitorMs = file.containerLogMonitorIntervalMs ?? 10_000;
  if (logMonitorMs < 3000) throw new UsageError(`invalid containerLogMonitorInterval in --config ${configPath}: it must be at least 3s, as the kubelet requires`);
  const tlsCertFile = str(flags, 'tls-cert-file') ?? file.tlsCertFile;
  const tlsPrivateKeyFile = str(flags, 'tls-private-key-file') ?? file.tlsPrivateKeyFile;
  if ((tlsCertFile === undefined) !== (tlsPrivateKeyFile === undefined)) {
    throw new UsageError('--tls-cert-file and --tls-private-key-file go together: give both (the node API\'s PEM certificate and its key) or neither (berth makes one under --root-dir)');
  }
  const mode = str(flags, 'authorization-mode') ?? file.authorizationMode;
  if (mode !== undefined && mode !== 'Webhook' && mode !== 'AlwaysAllow') {
    throw new UsageError(`invalid value ${JSON.stringify(mode)} for --authorization-mode: expected Webhook or AlwaysAllow`);
  }
  if (mode === 'Webhook' && kubeconfig === undefined) {
    throw new UsageError('--authorization-mode=Webhook (config: authorization.mode) asks the cluster (SubjectAccessReview) and needs --kubeconfig; standalone, leave it unset (the API server and the token holder only) or use AlwaysAllow');
  }
  const tokenWebhook = (flags.get('authentication-token-webhook') as boolean | undefined) ?? file.authenticationWebhook ?? kubeconfig !== undefined;
  if (tokenWebhook && kubeconfig === undefined && (flags.has('authentication-token-webhook') || file.authenticationWebhook !== undefined)) {
    throw new UsageError('--authentication-token-webhook (config: authentication.webhook.enabled) asks the cluster (TokenReview) and needs --kubeconfig; standalone, leave it off: the node accepts its own token');
  }
  const readOnlyPort = (flags.get('read-only-port') as number | undefined) ?? file.readOnlyPort ?? 0;
  if (readOnlyPort > 65535) throw new UsageError(`invalid value "${readOnlyPort}" for flag --read-only-port: expected a port number 0-65535 (0 = off)`);
  return {
    tlsCertFile,
    tlsPrivateKeyFile,
    clientCaFile: str(flags, 'client-ca-file') ?? file.clientCaFile,
    anonymousAuth: (flags.get('anonymous-auth') as boolean | undefined) ?? file.anonymousAuth ?? false,
    authenticationTokenWebhook: tokenWebhook,
    authorizationMode: mode ?? (kubeconfig !== undefined ? 'Webhook' : 'Standalone'),
    readOnlyPort,
    containerLogRotation: { maxSizeBytes: logMaxSize, maxFiles: logMaxFiles },
    containerLogMonitorIntervalMs: logMonitorMs,
    kubeconfig,
    serveApi,
    apiBindAddress: str(flags, 'api-bind-address') ?? '127.0.0.1',
    apiPort,
    writeKubeconfig: str(flags, 'write-kubeconfig') ?? join(rootDir, 'kubeconfig'),
    containerRuntimeEndpoint: endpoint || undefined,
    podInfraContainerImage: str(flags, 'pod-infra-container-image') ?? 'registry.k8s.io/pause:3.6',
    processRuntimeAcceptUnenforcedSecurity: (flags.get('process-runtime-accept-unenforced-security') as boolean | undefined) ?? false,
    podManifestPath: str(flags, 'pod-manifest-path') ?? file.staticPodPath,
    manifestUrl,
    manifestUrlHeaders: headers,
    fileCheckFrequencyMs: positive((flags.get('file-check-frequency') as number | undefined) ?? file.fileCheckFrequencyMs ?? 20_000, 'file-check-frequency'),
    httpCheckFrequencyMs: positive((flags.get('http-check-frequency') as number | undefined) ?? file.httpCheckFrequencyMs ?? 20_000, 'http-check-frequency'),
    syncFrequencyMs: positive((flags.get('sync-frequency') as number | undefined) ?? file.syncFrequencyMs ?? 60_000, 'sync-frequency'),
    nodeName,
    nodeIP: str(flags, 'node-ip'),
    rootDir,
    podLogsDir: str(flags, 'pod-logs-dir') ?? file.podLogsDir ?? (defaults.rootless ? join(rootDir, 'pods') : defaults.podLogsDir),
    address: str(flags, 'address') ?? file.address ?? '127.0.0.1',
    port,
    ignoredConfigFields: file.ignored,
    allowInsecureManifestPath: (flags.get('allow-insecure-manifest-path') as boolean | undefined) ?? false,
    manifestUrlCa: str(flags, 'manifest-url-ca'),
    manifestUrlCert,
    manifestUrlKey,
    manifestSigningKey: str(flags, 'manifest-signing-key'),
  };
}

/**
 * The kubelet's defaults for root; for any other user (rootless) the state goes under
 * $XDG_STATE_HOME/berth (else ~/.local/state/berth), logs under pods/ in it, and the ports are
 * picked free (0) instead of assuming 10250 and 6443 are: the start-up summary says which.
 */
export function runDefaults(uid = process.getuid?.() ?? 0, env: NodeJS.ProcessEnv = process.env, home = homedir()): {
  rootless: boolean;
  rootDir: string;
  podLogsDir: string;
  port: number;
  apiPort: number;
} {
  if (uid === 0) return { rootless: false, rootDir: '/var/lib/berth', podLogsDir: '/var/log/pods', port: 10250, apiPort: 6443 };
  const state = env.XDG_STATE_HOME && env.XDG_STATE_HOME.startsWith('/') ? env.XDG_STATE_HOME : join(home, '.local', 'state');
  const rootDir = join(state, 'berth');
  return { rootless: true, rootDir, podLogsDir: join(rootDir, 'pods'), port: 0, apiPort: 0 };
}

function str(flags: ParsedFlags, name: string): string | undefined {
  const v = flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

function positive(ms: number, flag: string): number {
  if (ms <= 0) throw new UsageError(`invalid value for --${flag}: it must be longer than 0s`);
  return ms;
}
