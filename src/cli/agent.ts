// The composition root of `berth run`: sources -> config merge -> pod workers -> runtime, plus
// the node endpoints. Startup order matters: every source delivers its first snapshot before the
// workers adopt what survived a previous agent, so that no pod is stopped for a manifest that
// simply was not read yet.
import { mkdir } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Pod } from 'kubernetes-types/core/v1';
import { PodConfig, type PodUpdate } from '../config/index.js';
import type { Logger } from '../log/index.js';
import { MetricsRegistry, type Sample } from '../metrics/index.js';
import { ProcessRuntime } from '../runtime/process/index.js';
import type { Runtime } from '../runtime/types.js';
import { startNodeServer, type ContainerLogRef, type NodeServer, type NodeState } from '../server/index.js';
import { FileSource, HttpSource, type PodSource } from '../sources/index.js';
import { podWithStatus } from '../status/index.js';
import { PodManager, type PodEventSink, type PodView } from '../workers/index.js';
import type { RunOptions } from './options.js';

const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export class Agent {
  private readonly sources: PodSource[] = [];
  private server: NodeServer | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private readonly metrics = new MetricsRegistry();
  private readonly runtime: Runtime;
  private readonly config: PodConfig;
  private readonly manager: PodManager;
  /** Updates that arrive while the workers adopt the previous agent's containers. */
  private pending: PodUpdate[] | undefined;
  private started = false;

  constructor(
    private readonly o: RunOptions,
    private readonly log: Logger,
  ) {
    const nodeIP = o.nodeIP ?? firstIPv4();
    this.runtime = new ProcessRuntime({ rootDir: o.rootDir, shimPath: join(PACKAGE_ROOT, 'dist', 'berth-shim'), logger: log, nodeIP });
    const syncSeconds = this.metrics.histogram('berth_pod_sync_duration_seconds', 'Duration of one pod sync pass.', [
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
    ]);
    const events: PodEventSink = {
      podEvent: (pod, type, reason, message, container) => {
        if (type === 'Warning') log.warn(message, { event: reason, pod: pod.metadata?.name, container });
        else log.debug(message, { event: reason, pod: pod.metadata?.name, container });
      },
    };
    this.manager = new PodManager({
      runtime: this.runtime,
      podLogsDir: o.podLogsDir,
      logger: log,
      events,
      observeSync: (s) => syncSeconds.observe(s),
    });
    this.config = new PodConfig({
      logger: log,
      onUpdate: (update) => {
        if (!this.started) return; // reflected in config.pods() when the workers start
        if (this.pending) this.pending.push(update);
        else this.manager.apply(update);
      },
    });
    this.registerMetrics();
  }

  async start(): Promise<void> {
    const o = this.o;
    await mkdir(o.rootDir, { recursive: true });
    await mkdir(o.podLogsDir, { recursive: true });
    await this.runtime.init();
    this.log.info(`container runtime: ${this.runtime.name} (containers run as supervised host processes; no container engine is used)`, {
      runtime: this.runtime.name,
    });
    if (o.ignoredConfigFields.length) this.log.warn('config file fields not used by berth were ignored', { fields: o.ignoredConfigFields });
    const stateDir = join(o.rootDir, 'sources');
    if (o.podManifestPath) {
      this.sources.push(
        new FileSource({ path: resolve(o.podManifestPath), nodeName: o.nodeName, checkFrequencyMs: o.fileCheckFrequencyMs, stateDir, logger: this.log }),
      );
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
        }),
      );
    }
    if (this.sources.length === 0) this.log.warn('no --pod-manifest-path or --manifest-url given: no static pods will run');
    await Promise.all(this.sources.map((s) => s.start((snapshot) => this.config.apply(snapshot))));

    this.pending = [];
    this.started = true;
    await this.manager.start(this.config.pods());
    for (const update of this.pending) this.manager.apply(update);
    this.pending = undefined;

    this.server = await startNodeServer(o.address, o.port, this.nodeState(), this.log);
    this.resyncTimer = setInterval(() => this.manager.resyncAll(), o.syncFrequencyMs);
    this.resyncTimer.unref();
    this.log.info('berth is running', { node: o.nodeName, endpoints: `http://${o.address}:${this.server.port}`, pods: this.config.pods().length });
  }

  get port(): number {
    return this.server?.port ?? 0;
  }

  /**
   * Stops watching sources and serving; the pods keep running, as with the kubelet, and the next
   * agent adopts them. `stopPods` is for tests and drains.
   */
  async stop(stopPods = false): Promise<void> {
    clearInterval(this.resyncTimer);
    await Promise.all(this.sources.map((s) => s.stop()));
    await this.server?.close();
    if (stopPods) await this.manager.stopAll();
    await this.runtime.close();
  }

  private nodeState(): NodeState {
    return {
      pods: () => this.manager.views().map(podWithStatus),
      unhealthyReason: () => {
        const age = Date.now() - this.manager.lastSyncAt();
        return age > 2 * this.o.syncFrequencyMs + 30_000 ? `pod sync loop has not run for ${Math.round(age / 1000)}s` : undefined;
      },
      metrics: () => this.metrics.render(),
      containerLog: (namespace, pod, container, previous) => this.containerLog(namespace, pod, container, previous),
    };
  }

  private containerLog(namespace: string, podName: string, container: string, previous: boolean): ContainerLogRef | string {
    const view = this.manager.views().find((v) => v.pod.metadata?.name === podName && (v.pod.metadata?.namespace ?? 'default') === namespace);
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
    const views = (): PodView[] => this.manager.views();
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
    this.metrics.gauge('process_resident_memory_bytes', 'Resident memory of the berth process.', () => [
      { labels: {}, value: process.memoryUsage.rss() },
    ]);
    this.metrics.counter('process_cpu_seconds_total', 'CPU time of the berth process.', () => {
      const u = process.cpuUsage();
      return [{ labels: {}, value: (u.user + u.system) / 1e6 }];
    });
  }

  /** The desired pods (for tests and `berth validate`). */
  desiredPods(): Pod[] {
    return this.config.pods();
  }
}

function firstIPv4(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}
