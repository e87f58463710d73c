// The composition root of `berth run`: sources -> config merge -> pod workers -> runtime, plus
// the node endpoints. Startup order matters: every source delivers its first snapshot before the
// workers adopt what survived a previous agent, so that no pod is stopped for a manifest that
// simply was not read yet.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, networkInterfaces } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Pod } from 'kubernetes-types/core/v1';
import { admitPod } from '../admission/index.js';
import { startApiServer, StoreLockedError, updatedKubeconfig, type ApiServer, type NodeConnection } from '../apiserver/index.js';
import { PodConfig, type PodUpdate } from '../config/index.js';
import { boundHeapGrowthWhenLarge, type HeapGrowthControl } from '../heap/index.js';
import type { Logger } from '../log/index.js';
import { ContainerLogManager, type LoggedContainer } from '../logs/index.js';
import { MetricsRegistry, type Sample } from '../metrics/index.js';
import { kubeArch, loadKubeconfig, Mirror, nodeLabels, RestClient } from '../mirror/index.js';
import { selectRuntime } from '../runtime/select.js';
import { RuntimeError, type Runtime } from '../runtime/types.js';
import { writeFileAtomic } from '../state/index.js';
import {
  clusterAccessReviewer,
  clusterTokenReviewer,
  createAuthenticator,
  createAuthorizer,
  ensureNodeCredentials,
  startNodeServer,
  startReadOnlyServer,
  type ContainerLogRef,
  type NodeRefusal,
  type NodeServer,
  type NodeState,
  type ReadOnlyServer,
} from '../server/index.js';
import { FileSource, HttpSource, type PodSource } from '../sources/index.js';
import { podWithStatus } from '../status/index.js';
import { renderResourceMetrics, StatsCollector } from '../stats/index.js';
import { PodManager, type PodView } from '../workers/index.js';
import { auditSink, loadInputTrust, plainHttpWarning } from './input-trust.js';
import { writeNodeApiEndpoint } from './node-api-endpoint.js';
import { NodeEvents } from './node-events.js';
import type { RunOptions } from './options.js';
import { berthVersion } from './version.js';

const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export class Agent {
  private readonly sources: PodSource[] = [];
  private server: NodeServer | undefined;
  private readOnlyServer: ReadOnlyServer | undefined;
  /** Remote mode: the client asking the cluster's TokenReview and SubjectAccessReview. */
  private reviewClient: RestClient | undefined;
  /** How the embedded API reaches the node API (its URL, the CA to pin, its client certificate). */
  private nodeConnection: NodeConnection | undefined;
  /** The node's bearer token (<root-dir>/api/token), shared by the node API and the embedded API. */
  private token = '';
  private api: ApiServer | undefined;
  private mirror: Mirror | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private heapGrowth: HeapGrowthControl | undefined;
  private readonly metrics = new MetricsRegistry();
  private readonly stats: StatsCollector;
  private runtime: Runtime | undefined;
  private manager: PodManager | undefined;
  private readonly config: PodConfig;
  private readonly nodeIP: string;
  private readonly events: NodeEvents;
  private readonly podListeners: Array<() => void> = [];
  /** Updates that arrive while the workers adopt the previous agent's containers. */
  private pending: PodUpdate[] | undefined;
  private started = false;
  private stopping = false;
  /** Why the embedded API is not served although it was asked for (said again in the start-up summary). */
  private apiProblem: string | undefined;
  private logManager: ContainerLogManager | undefined;
  /** Why no container could be created now (root dir read-only or full), from the last storage check. */
  private storageProblem: string | undefined;
  private storageTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly o: RunOptions,
    private readonly log: Logger,
  ) {
    this.nodeIP = o.nodeIP ?? firstIPv4();
    this.events = new NodeEvents(o.nodeName, log);
    this.config = new PodConfig({
      logger: log,
      onUpdate: (update) => {
        if (!this.started) return; // reflected in config.pods() when the workers start
        if (this.pending) this.pending.push(update);
        else this.manager?.apply(update);
      },
    });
    this.stats = new StatsCollector({ nodeName: o.nodeName, runtime: () => this.runtime, views: () => this.manager?.views() ?? [], fsPath: o.rootDir });
    this.config.problemsChanged((problems) => this.events.manifestProblems(problems));
    this.registerMetrics();
  }

  async start(): Promise<void> {
    const o = this.o;
    this.heapGrowth = boundHeapGrowthWhenLarge();
    // Keys and certificates first: a flag naming a file that cannot be used stops the start at once.
    const { trust, tls } = loadInputTrust(o, this.log);
    await makeStateDir(o.rootDir, '--root-dir', true);
    // Not written to: a full log disk only drops container output, it does not stop the node.
    await makeStateDir(o.podLogsDir, '--pod-logs-dir', false);
    if (o.ignoredConfigFields.length) this.log.warn('config file fields not used by berth were ignored', { fields: o.ignoredConfigFields });

    // The node endpoints and the API come first, so an operator can look while the runtime and
    // the sources are still being waited for.
    await this.serveNodeApi();
    const kubeconfig = o.serveApi ? await this.serveApiOrExplain() : o.kubeconfig;
    if (!kubeconfig) this.log.info('No API server defined - no node status update will be sent; static pods run standalone');

    const runtime = await selectRuntime({
      endpoint: o.containerRuntimeEndpoint,
      rootDir: o.rootDir,
      podLogsDir: o.podLogsDir,
      shimPath: join(PACKAGE_ROOT, 'dist', 'berth-shim'),
      nodeName: o.nodeName,
      nodeIP: this.nodeIP,
      podInfraImage: o.podInfraContainerImage,
      logger: this.log,
      cancelled: () => this.stopping,
      acceptUnenforcedSecurity: o.processRuntimeAcceptUnenforcedSecurity,
      // Through the same sink as the workers' events (defined below, used only once pods run).
      onPodWarning: (pod, reason, message, container) => this.events.podEvent(pod, 'Warning', reason, message, container),
      logRotation: o.containerLogRotation,
    });
    this.runtime = runtime;
    this.log.info(`container runtime: ${runtimeDescription(runtime.name, o.containerRuntimeEndpoint)}`, { runtime: runtime.name });

    if (kubeconfig) {
      this.mirror = new Mirror({
        kubeconfigPath: kubeconfig,
        nodeName: o.nodeName,
        nodeIP: this.nodeIP,
        logger: this.log.child({ component: 'mirror' }),
        node: { kubeletPort: this.server!.port, containerRuntimeVersion: `${runtime.name}://${berthVersion()}` },
        // The mirror watch repairs deletions at once; the full pass is only a safety net.
        reconcileIntervalMs: 30_000,
        source: {
          pods: () => this.pods(),
          onChange: (listener) => this.podListeners.push(listener),
          startsInFlight: () => this.manager?.startsInFlight() ?? 0,
          problems: () => this.config.problems(),
          onProblemsChange: (listener) => this.config.problemsChanged(() => listener()),
        },
      });
    }
    const syncSeconds = this.metrics.histogram('berth_pod_sync_duration_seconds', 'Duration of one pod sync pass.', [
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
    ]);
    this.events.mirror = this.mirror;
    // The labels this agent registers its Node with: what a static pod's node selector is matched against.
    const node = { name: o.nodeName, labels: nodeLabels({ nodeName: o.nodeName }, { architecture: kubeArch() }) };
    const manager = new PodManager({
      runtime,
      admit: (pod) => admitPod(pod, node),
      podLogsDir: o.podLogsDir,
      podsDir: join(o.rootDir, 'pods'),
      logger: this.log,
      events: this.events,
      observeSync: (s) => syncSeconds.observe(s),
      onPodChange: () => {
        for (const listener of this.podListeners) listener();
      },
    });
    this.manager = manager;

    const stateDir = join(o.rootDir, 'sources');
    const audit = auditSink(this.log, () => (type, reason, message) => this.events.nodeEvent(type, reason, message));
    if (o.podManifestPath) {
      this.sources.push(
        new FileSource({ path: resolve(o.podManifestPath), nodeName: o.nodeName, checkFrequencyMs: o.fileCheckFrequencyMs, stateDir, logger: this.log, trust, audit }),
      );
    }
    const insecureUrl = o.manifestUrl ? plainHttpWarning(o.manifestUrl) : undefined;
    if (insecureUrl) {
      this.log.warn(insecureUrl);
      this.events.nodeEvent('Warning', 'InsecureManifestURL', insecureUrl);
    }
    if (o.manifestUrl) {
      this.sources.push(
        new HttpSource({
          url: o.manifestUrl,
          headers: o.manifestUrlHeaders,
          nodeName: o.nodeName,
          checkFrequencyMs: o.httpCheckFrequencyMs,
          stateDir,
          logger: this.log,
          tls,
          trust,
          audit,
        }),
      );
    }
    if (this.sources.length === 0) this.log.warn('no --pod-manifest-path or --manifest-url given: no static pods will run');
    await Promise.all(this.sources.map((s) => s.start((snapshot) => this.config.apply(snapshot))));

    this.pending = [];
    this.started = true;
    await manager.start(this.config.pods());
    for (const update of this.pending) manager.apply(update);
    this.pending = undefined;

    this.resyncTimer = setInterval(() => manager.resyncAll(), o.syncFrequencyMs);
    this.resyncTimer.unref();
    this.logManager = new ContainerLogManager({
      policy: o.containerLogRotation,
      monitorIntervalMs: o.containerLogMonitorIntervalMs,
      runtime,
      containers: () => this.runningContainers(),
      logger: this.log.child({ component: 'logs' }),
    });
    this.logManager.start();
    this.watchStorage();
    await this.mirror?.start();
    this.stats.start();
    this.log.info('berth is running', {
      node: o.nodeName,
      endpoints: `https://${urlHost(advertisedAddress(o.address, this.nodeIP))}:${this.server!.port}`,
      ...(this.readOnlyServer ? { readOnly: `http://${urlHost(advertisedAddress(o.address, this.nodeIP))}:${this.readOnlyServer.port}` } : {}),
      ...(this.api ? { api: this.api.url, kubeconfig } : this.apiProblem ? { api: this.apiProblem } : {}),
      pods: this.config.pods().length,
      rootDir: o.rootDir,
      podLogsDir: o.podLogsDir,
    });
  }

  /** The static pods run whatever happens to the API: a server that cannot start is reported, not fatal. */
  private async serveApiOrExplain(): Promise<string | undefined> {
    try {
      return await this.serveApi();
    } catch (err) {
      const why = (err as Error).message;
      const fix =
        err instanceof StoreLockedError
          ? 'fix: stop the other agent, or run this one with its own --root-dir'
          : 'fix: free the port or pick another with --api-port, or run with --serve-api=false';
      this.apiProblem = `not served: ${why} (${fix})`;
      this.log.error(`cannot serve the Kubernetes API on ${this.o.apiBindAddress}:${this.o.apiPort}: ${why}; static pods run without it (${fix})`);
      await this.api?.close().catch(() => undefined);
      this.api = undefined;
      return undefined;
    }
  }

  /**
   * Starts the embedded API server (its objects kept in <root-dir>/api/state.db) and makes sure the
   * kubeconfig points at it (mode 0600), rewriting it only when the address, CA or token changed.
   */
  private async serveApi(): Promise<string> {
    const o = this.o;
    const apiDir = join(o.rootDir, 'api');
    const token = this.token;
    this.api = await startApiServer({
      bindAddress: o.apiBindAddress,
      advertiseAddress: advertisedAddress(o.apiBindAddress, this.nodeIP),
      port: o.apiPort,
      certDir: join(apiDir, 'pki'),
      token,
      nodeName: o.nodeName,
      logger: this.log.child({ component: 'apiserver' }),
      node: this.nodeConnection!,
      stateFile: join(apiDir, 'state.db'),
    });
    const existing = await readFile(o.writeKubeconfig, 'utf8').catch(() => undefined);
    const text = updatedKubeconfig(existing, this.api.url, this.api.caCertPem, token, { clusterName: 'berth' });
    if (text !== undefined) await writeFileAtomic(o.writeKubeconfig, text, 0o600);
    this.log.info('serving the Kubernetes API', { url: this.api.url, kubeconfig: o.writeKubeconfig, kubeconfigWritten: text !== undefined });
    return o.writeKubeconfig;
  }

  /**
   * The node API: its token and certificates (made at first start, also with --serve-api=false),
   * the HTTPS server with its authenticators and authorizer, the optional read-only port, and the
   * connection the embedded API server will use to reach it.
   */
  private async serveNodeApi(): Promise<void> {
    const o = this.o;
    const tokenPath = join(o.rootDir, 'api', 'token');
    this.token = await this.nodeToken(tokenPath);
    const creds = await ensureNodeCredentials({
      rootDir: o.rootDir,
      hosts: [o.address, this.nodeIP, hostname(), o.nodeName],
      tlsCertFile: o.tlsCertFile,
      tlsPrivateKeyFile: o.tlsPrivateKeyFile,
      clientCaFile: o.clientCaFile,
      logger: this.log,
    });
    const cluster = o.kubeconfig && (o.authenticationTokenWebhook || o.authorizationMode === 'Webhook')
      ? new RestClient(await loadKubeconfig(o.kubeconfig), { timeoutMs: 10_000 })
      : undefined;
    this.reviewClient = cluster;
    const host = advertisedAddress(o.address, this.nodeIP);
    this.server = await startNodeServer({
      address: o.address,
      port: o.port,
      nodeName: o.nodeName,
      certPem: creds.servingCertPem,
      keyPem: creds.servingKeyPem,
      clientCaPems: creds.clientCaPems,
      authenticate: createAuthenticator({
        token: this.token,
        anonymous: o.anonymousAuth,
        ...(cluster && o.authenticationTokenWebhook ? { tokenReview: clusterTokenReviewer(cluster) } : {}),
      }),
      authorize: createAuthorizer(o.authorizationMode, cluster && o.authorizationMode === 'Webhook' ? clusterAccessReviewer(cluster) : undefined),
      howToAuthenticate: (port) =>
        `authenticate as root on the node with its token: curl --cacert ${creds.servingCertPath} -H "Authorization: Bearer $(cat ${tokenPath})" https://${urlHost(host)}:${port}/pods` +
        ` or with a client certificate signed by ${o.clientCaFile ? `--client-ca-file ${o.clientCaFile}` : '--client-ca-file'}`,
      state: this.nodeState(),
      logger: this.log,
    });
    const local = urlHost(isWildcard(o.address) ? '127.0.0.1' : o.address);
    await writeNodeApiEndpoint(o.rootDir, { url: `https://${local}:${this.server.port}`, caFile: creds.servingCertPath });
    this.nodeConnection = {
      url: () => `https://${local}:${this.server?.port ?? o.port}`,
      caCertPem: creds.servingCertPem,
      clientCertPem: creds.apiServerClient.certPem,
      clientKeyPem: creds.apiServerClient.keyPem,
    };
    if (o.anonymousAuth && !isLoopback(o.address)) {
      this.log.warn(`--anonymous-auth=true on ${o.address}: requests without credentials reach the node API from the network as system:anonymous; bind --address to 127.0.0.1 or turn it off`);
    }
    if (o.readOnlyPort) {
      this.readOnlyServer = await startReadOnlyServer(o.address, o.readOnlyPort, this.nodeState(), this.log);
      if (!isLoopback(o.address)) {
        this.log.warn(`--read-only-port ${this.readOnlyServer.port} on ${o.address}: /pods and /metrics are served without authentication to the network; bind --address to 127.0.0.1, firewall the port, or set --read-only-port=0`);
      }
    }
  }

  /** The node's bearer token: made once, kept under the root dir (0600). */
  private async nodeToken(path: string): Promise<string> {
    const existing = (await readFile(path, 'utf8').catch(() => '')).trim();
    if (existing) return existing;
    const token = randomBytes(32).toString('hex');
    await writeFileAtomic(path, token + '\n', 0o600);
    return token;
  }

  get port(): number {
    return this.server?.port ?? 0;
  }

  /**
   * Stops watching sources and serving; the pods keep running, as with the kubelet, and the next
   * agent adopts them. `stopPods` is for tests and drains.
   */
  async stop(stopPods = false): Promise<void> {
    this.stopping = true;
    clearInterval(this.resyncTimer);
    this.heapGrowth?.stop();
    this.stats.stop();
    clearTimeout(this.storageTimer);
    await this.logManager?.stop();
    await Promise.all(this.sources.map((s) => s.stop()));
    await this.mirror?.stop();
    await this.server?.close();
    await this.readOnlyServer?.close();
    await this.api?.close();
    this.reviewClient?.close();
    if (stopPods) await this.manager?.stopAll();
    await this.runtime?.close();
  }

  /** The node's static pods with their status, as /pods and the mirror pods show them. */
  pods(): Pod[] {
    return (this.manager?.views() ?? []).map(podWithStatus);
  }

  private nodeState(): NodeState {
    return {
      pods: () => this.pods(),
      events: () => ({ items: this.events.recent.list(), resourceVersion: this.events.recent.resourceVersion }),
      watchEvents: (listener) => this.events.recent.watch(listener),
      unhealthyReason: () => this.unhealthyReason(),
      metrics: () => this.metrics.render(),
      containerLog: (namespace, pod, container, previous) => this.containerLog(namespace, pod, container, previous),
      findPod: (namespace, pod) =>
        this.podView(namespace, pod) ? undefined : { status: 404, message: `pod "${pod}" not found in namespace "${namespace}" on this node` },
      run: (namespace, pod, container, command, timeoutMs) => this.withContainer(namespace, pod, container, (id) => this.runtime!.execSync(id, command, timeoutMs)),
      findContainer: (namespace, pod, container, running) => {
        const found = this.runningContainer(namespace, pod, container, running);
        return typeof found === 'string' ? undefined : found;
      },
      exec: (namespace, pod, container, command, io) => this.withContainer(namespace, pod, container, (id) => this.runtime!.exec(id, command, io)),
      attach: (namespace, pod, container, io) => this.withContainer(namespace, pod, container, (id) => this.runtime!.attach(id, io)),
      portForward: (namespace, pod, port, signal) => {
        const view = this.podView(namespace, pod);
        if (!view || !this.runtime) return Promise.reject(new RuntimeError('PodNotFound', `pod "${pod}" not found in namespace "${namespace}" on this node`));
        return this.runtime.portForward(view.pod, port, signal);
      },
      statsSummary: () => this.stats.answer(),
      resourceMetrics: () =>
        this.stats.answer().then(renderResourceMetrics, (err: unknown) => {
          this.log.warn('reading resource usage for /metrics/resource failed', { err: (err as Error).message });
          return renderResourceMetrics(undefined);
        }),
    };
  }

  /** Why /healthz fails, or undefined: no runtime yet, a stalled sync loop, or containers cannot be created. */
  private unhealthyReason(): string | undefined {
    if (!this.manager) return this.stopping ? 'stopping' : 'waiting for the container runtime';
    const age = Date.now() - this.manager.lastSyncAt();
    if (age > 2 * this.o.syncFrequencyMs + 30_000) return `pod sync loop has not run for ${Math.round(age / 1000)}s`;
    return this.storageProblem;
  }

  /**
   * Every few seconds, whether a file can still be written under the root dir (where every
   * container's state goes): a read-only or full disk makes /healthz fail with that reason.
   */
  private watchStorage(): void {
    const check = async (): Promise<void> => {
      const problem = await storageProblem(this.o.rootDir, '--root-dir');
      if (problem !== this.storageProblem) {
        if (problem) this.log.error(`no container can be created: ${problem}`);
        else this.log.info('the root dir is writable again; containers can be created', { rootDir: this.o.rootDir });
      }
      this.storageProblem = problem;
      if (!this.stopping) this.storageTimer = setTimeout(() => void check(), STORAGE_CHECK_MS).unref();
    };
    void check();
  }

  /** The current attempt of every running container, for the log manager. */
  private runningContainers(): LoggedContainer[] {
    const out: LoggedContainer[] = [];
    for (const v of this.manager?.views() ?? []) {
      for (const c of v.containers) {
        const r = c.current;
        if (r?.state === 'running' && r.logPath) out.push({ id: r.id, logPath: r.logPath, pod: v.pod.metadata?.name ?? '', container: c.name });
      }
    }
    return out;
  }

  private podView(namespace: string, podName: string): PodView | undefined {
    return (this.manager?.views() ?? []).find((v) => v.pod.metadata?.name === podName && (v.pod.metadata?.namespace ?? 'default') === namespace);
  }

  /** The id of the container's current attempt, or why there is none (a NodeRefusal). */
  private runningContainer(namespace: string, podName: string, container: string, running: boolean): string | NodeRefusal {
    const view = this.podView(namespace, podName);
    if (!view) return { status: 404, message: `pod "${podName}" not found in namespace "${namespace}" on this node` };
    const slot = view.containers.find((c) => c.name === container);
    if (!slot) {
      const names = view.containers.map((c) => c.name).join(', ');
      return { status: 404, message: `container "${container}" not found in pod "${podName}" (its containers: ${names})` };
    }
    const current = slot.current;
    if (!current) return { status: 400, message: `container "${container}" in pod "${podName}" has not started yet` };
    if (running && current.state !== 'running') {
      return { status: 400, message: `container "${container}" in pod "${podName}" is not running (${current.state}${current.reason ? `: ${current.reason}` : ''})` };
    }
    return current.id;
  }

  private withContainer<T>(namespace: string, podName: string, container: string, run: (id: string) => Promise<T>): Promise<T> {
    const found = this.runningContainer(namespace, podName, container, true);
    if (typeof found !== 'string' || !this.runtime) {
      return Promise.reject(new RuntimeError('ContainerNotRunning', typeof found === 'string' ? 'the container runtime is not ready yet' : found.message));
    }
    return run(found);
  }

  private containerLog(namespace: string, podName: string, container: string, previous: boolean): ContainerLogRef | string {
    const view = this.podView(namespace, podName);
    if (!view) return `pod "${podName}" not found in namespace "${namespace}" on this node`;
    const slot = view.containers.find((c) => c.name === container);
    if (!slot) {
      const names = view.containers.map((c) => c.name).join(', ');
      return `container "${container}" not found in pod "${podName}" (its containers: ${names})`;
    }
    const record = previous ? (slot.current?.state === 'exited' && slot.waiting ? slot.current : slot.previous) : slot.current;
    if (!record) {
      return previous
        ? `previous terminated container "${container}" in pod "${podName}" not found`
        : `container "${container}" in pod "${podName}" has not started yet`;
    }
    return { path: record.logPath, stillWriting: () => slot.current?.id === record.id && slot.current.state === 'running' };
  }

  private registerMetrics(): void {
    const views = (): PodView[] => this.manager?.views() ?? [];
    this.metrics.gauge('berth_pods', 'Static pods on this node, by phase.', () => {
      const counts = new Map<string, number>(['Pending', 'Running', 'Succeeded', 'Failed'].map((p) => [p, 0]));
      for (const v of views()) {
        const phase = podWithStatus(v).status?.phase ?? 'Pending';
        counts.set(phase, (counts.get(phase) ?? 0) + 1);
      }
      return [...counts].map(([phase, value]) => ({ labels: { phase }, value }));
    });
    this.metrics.counter('berth_container_restarts_total', 'Restarts of each container of each pod.', () => {
      const out: Sample[] = [];
      for (const v of views()) {
        const m = v.pod.metadata;
        for (const c of v.containers) {
          out.push({ labels: { namespace: m?.namespace ?? 'default', pod: m?.name ?? '', container: c.name }, value: c.current?.attempt ?? 0 });
        }
      }
      return out;
    });
    this.metrics.gauge('berth_manifest_errors', 'Manifest problems currently reported, by source kind and reason.', () => {
      const counts = new Map<string, Sample>();
      for (const p of this.config.problems()) {
        const source = /^https?:\/\//.test(p.origin) ? 'http' : 'file';
        const key = `${source}/${p.reason}`;
        const s = counts.get(key) ?? { labels: { source, reason: p.reason }, value: 0 };
        s.value++;
        counts.set(key, s);
      }
      return [...counts.values()];
    });
    this.metrics.counter('berth_container_log_dropped_lines_total', 'Container output lines dropped because their log file could not be written (full or read-only disk).', () => [
      { labels: {}, value: this.logManager?.droppedLines ?? 0 },
    ]);
    this.metrics.gauge('process_resident_memory_bytes', 'Resident memory of the berth process.', () => [
      { labels: {}, value: process.memoryUsage.rss() },
    ]);
    this.metrics.counter('process_cpu_seconds_total', 'CPU time of the berth process.', () => {
      const u = process.cpuUsage();
      return [{ labels: {}, value: (u.user + u.system) / 1e6 }];
    });
  }

}

function runtimeDescription(name: string, endpoint: string | undefined): string {
  if (!endpoint) return `${name} (containers run as supervised host processes; no container engine is used)`;
  return `${name} at ${endpoint}`;
}

/** How often the root dir is checked for being writable (for /healthz). */
const STORAGE_CHECK_MS = 10_000;

/** Creates a state folder (and, with `probe`, writes a file in it), saying what to do when it cannot (not root, read-only, full). */
async function makeStateDir(dir: string, flag: string, probe: boolean): Promise<void> {
  try {
    await mkdir(dir, { recursive: true }).catch(async (err: NodeJS.ErrnoException) => {
      throw err.code === 'ENOENT' ? await realMkdirError(dir, err) : err;
    });
    await access(dir, constants.W_OK);
  } catch (err) {
    throw new Error(`${flag} ${dir} cannot be used: ${storageFailure(err, flag)}`);
  }
  const problem = probe ? await storageProblem(dir, flag) : undefined;
  if (problem) throw new Error(`${flag} ${dir} cannot be used: ${problem.slice(problem.indexOf(': ') + 2)}`);
}

/** Why nothing can be written in `dir` (a probe file is written and removed), or undefined. */
async function storageProblem(dir: string, flag: string): Promise<string | undefined> {
  const probe = join(dir, `.berth-write-check-${process.pid}`);
  try {
    // A few KiB, not one byte: a disk with a partly used block left would take a single byte.
    await writeFile(probe, Buffer.alloc(8192));
    await rm(probe, { force: true });
    return undefined;
  } catch (err) {
    await rm(probe, { force: true }).catch(() => undefined);
    return `${flag} ${dir}: ${storageFailure(err, flag)}`;
  }
}

/**
 * A recursive mkdir says ENOENT on a read-only file system (it does not report the failing
 * level's own error): make the first missing level alone to get the real one (EROFS, EACCES).
 */
async function realMkdirError(dir: string, fallback: Error): Promise<Error> {
  let missing = dir;
  while (dirname(missing) !== missing && !(await access(dirname(missing)).then(() => true, () => false))) missing = dirname(missing);
  return mkdir(missing).then(
    () => fallback,
    (err: Error) => err,
  );
}

/** What a failed write in a state folder means, and the fix. */
function storageFailure(err: unknown, flag: string): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied: run berth as root, or give it a folder it can write with ' + flag;
  if (code === 'EROFS') return `it is on a read-only file system: remount it read-write or give a writable folder with ${flag}`;
  if (code === 'ENOSPC' || code === 'EDQUOT') return `the disk is full: free space or give another folder with ${flag}`;
  return `${(err as Error).message} (fix it or give another folder with ${flag})`;
}

function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::' || address === '';
}

function isLoopback(address: string): boolean {
  return address === 'localhost' || address === '::1' || address.startsWith('127.');
}

/** The address others reach a listener at: the node IP when it is bound to every interface. */
function advertisedAddress(bind: string, nodeIP: string): string {
  return isWildcard(bind) ? nodeIP : bind;
}

function urlHost(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

function firstIPv4(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}
