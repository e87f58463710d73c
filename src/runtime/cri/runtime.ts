// Containers through a CRI runtime (containerd) over its unix socket: one pod sandbox per pod,
// containers created and started in it, exits found by polling. Everything is labelled
// (berth.managed, io.kubernetes.pod.uid, ...), so a restarted agent finds its pods again.
import type { Duplex } from 'node:stream';
import { promises as fs } from 'node:fs';
import { resolve } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1';
import { warnOncePer, type Logger } from '../../log/index.js';
import { firstNodeIPv4 } from '../process/host.js';
import { RuntimeError, type ContainerRecord, type ContainerStats, type ExecSyncResult, type StreamIO, type PodRef, type Runtime, type SandboxInfo, type StartContainerRequest } from '../types.js';
import { CriCallError, CriClient } from './client.js';
import { containerConfig, podVolumesDir } from './container.js';
import { criExecSync } from './exec.js';
import { criContainerStats } from './stats.js';
import { criAttach, criExec, criPortForward } from './streaming.js';
import { KUBE_LABELS } from '../labels.js';
import { joinMessages, readTerminationMessage } from '../termination-message.js';
import { createdContainer } from '../image-events.js';
import { oomKilledInCgroup } from '../oom.js';
import { DEFAULT_SECCOMP_PROFILE_ROOT } from '../security.js';
import { checkHostPorts } from './hostports.js';
import { ensureImage, prefetchImageStatus, pullPolicyOf } from './images.js';
import { pidFromInfo, recordFromStatus } from './records.js';
import { LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID, managedSelector, podIdentity, sandboxConfig } from './sandbox.js';
import type { ContainerStatus, ContainerStatusResponse, CriContainer, PodSandbox, PodSandboxConfig, PodSandboxStatus, StatusResponse, VersionResponse } from './types.js';

export interface CriRuntimeOptions {
  /** `unix:///run/containerd/containerd.sock` (or a bare socket path). */
  endpoint: string;
  /** Pod logs go to <podLogsDir>/<namespace>_<name>_<uid>/<container>/<attempt>.log. */
  podLogsDir: string;
  logger: Logger;
  nodeName: string;
  /** emptyDir volumes: <volumesDir>/<pod uid>/volumes/<name>. Default /var/lib/berth/pods. */
  volumesDir?: string;
  /** The node's address (hostIP, and podIP of host-network pods); default its first non-internal IPv4. */
  nodeIP?: string;
  /** The resolver config pods inherit; default /etc/resolv.conf. */
  resolvConfPath?: string;
  /** How often running containers are checked for an exit; default 500 ms. */
  pollIntervalMs?: number;
  /** Where seccomp Localhost profiles are (the kubelet's <root-dir>/seccomp); default /var/lib/berth/seccomp. */
  seccompProfileRoot?: string;
}

export const DEFAULT_VOLUMES_DIR = '/var/lib/berth/pods';
const DEFAULT_POLL_MS = 500;
/** RunPodSandbox sets up the network (CNI) and starts the sandbox container. */
const SANDBOX_DEADLINE_MS = 120_000;
/** Added to the grace period for StopContainer: runc kill + shim bookkeeping. */
const STOP_EXTRA_MS = 30_000;
/** How long a sandbox seen READY is trusted without asking containerd again. */
const RECENT_SANDBOX_MS = 1000;


export class CriRuntime implements Runtime {
  private runtimeName = 'containerd';
  private readonly client: CriClient;
  private readonly logger: Logger;
  /** Warnings that would repeat at every start of a container are logged once. */
  private readonly warnOnce: (key: string, message: string) => void;
  private readonly podLogsDir: string;
  private readonly volumesDir: string;
  private readonly nodeIP: string;
  private readonly resolvConfPath: string;
  private readonly pollIntervalMs: number;
  private readonly seccompProfileRoot: string;
  /** Selects what this node's agent made (berth.managed + berth.node): another agent's pods are not ours. */
  private readonly managed: Record<string, string>;
  private readonly listeners: Array<(record: ContainerRecord) => void> = [];
  /** Containers that were running or created when last seen: polled for their exit. */
  private readonly watched = new Set<string>();
  /** Exits already reported: each exit is reported exactly once. */
  private readonly reported = new Set<string>();
  /** What is read about exited containers once, by id (until the container is removed). */
  private readonly exitDetails = new Map<string, { message: string; oomKilled: boolean }>();
  /** One sandbox creation at a time per pod uid (the same pod's calls must not race). */
  private readonly sandboxLocks = new Map<string, Promise<unknown>>();
  /**
   * Pod UIDs that may have a sandbox in containerd: those listed at start plus those created
   * since. undefined until the first listing. A pod outside it is new, and its first sandbox needs
   * no ListPodSandbox first.
   */
  private sandboxUids: Set<string> | undefined;
  private readonly recentSandboxes = new Map<string, { at: number; value: { id: string; config: PodSandboxConfig; sandbox: SandboxInfo } }>();
  private pollTimer: NodeJS.Timeout | undefined;
  private polling = false;
  private pollFailing = false;
  private closed = false;

  constructor(private readonly options: CriRuntimeOptions) {
    this.client = new CriClient(options.endpoint);
    this.logger = options.logger.child({ runtime: 'cri' });
    this.warnOnce = warnOncePer(this.logger);
    this.podLogsDir = resolve(options.podLogsDir);
    this.volumesDir = resolve(options.volumesDir ?? DEFAULT_VOLUMES_DIR);
    this.nodeIP = options.nodeIP ?? firstNodeIPv4();
    this.resolvConfPath = options.resolvConfPath ?? '/etc/resolv.conf';
    this.pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_MS;
    this.seccompProfileRoot = options.seccompProfileRoot ?? DEFAULT_SECCOMP_PROFILE_ROOT;
    this.managed = managedSelector(options.nodeName);
  }

  get name(): string {
    return this.runtimeName;
  }

  get endpoint(): string {
    return this.options.endpoint;
  }

  async init(): Promise<void> {
    const how =
      'start containerd (as root: scripts/containerd-up.sh) or point --container-runtime-endpoint at a running CRI runtime';
    let version: VersionResponse;
    try {
      version = await this.client.call<VersionResponse>('RuntimeService', 'Version', { version: 'v1' }, 5_000);
    } catch (err) {
      const details = err instanceof CriCallError ? err.details : (err as Error).message;
      throw new Error(`container runtime endpoint ${this.options.endpoint}: no CRI runtime answers (${details}); ${how}`);
    }
    let status: StatusResponse;
    try {
      status = await this.client.call<StatusResponse>('RuntimeService', 'Status', {}, 5_000);
    } catch (err) {
      throw new Error(`container runtime endpoint ${this.options.endpoint}: Status failed (${(err as Error).message}); ${how}`);
    }
    const conditions = status.status?.conditions ?? [];
    const runtimeReady = conditions.find((c) => c.type === 'RuntimeReady');
    if (!runtimeReady?.status) {
      throw new Error(
        `container runtime endpoint ${this.options.endpoint}: ${version.runtimeName} ${version.runtimeVersion} is not ready` +
          (runtimeReady ? ` (${runtimeReady.reason}: ${runtimeReady.message})` : ' (no RuntimeReady condition)') +
          `; check its log, or restart it (scripts/containerd-down.sh && scripts/containerd-up.sh)`,
      );
    }
    const networkReady = conditions.find((c) => c.type === 'NetworkReady');
    if (!networkReady?.status) {
      this.logger.warn('the runtime network is not ready: only hostNetwork pods can run', {
        reason: networkReady?.reason,
        message: networkReady?.message,
        fix: 'give containerd a CNI config (scripts/containerd-up.sh writes one)',
      });
    }
    this.runtimeName = version.runtimeName || 'cri';
    this.logger.info('connected to the container runtime', {
      endpoint: this.options.endpoint,
      runtime: version.runtimeName,
      version: version.runtimeVersion,
      api: version.runtimeApiVersion,
    });
  }

  async runPodSandbox(pod: Pod): Promise<SandboxInfo> {
    const images = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]
      .filter((c) => pullPolicyOf(c) !== 'Always')
      .map((c) => c.image ?? '');
    prefetchImageStatus(this.client, images);
    const { sandbox } = await this.ensureSandbox(pod);
    return sandbox;
  }

  async removePodSandbox(pod: Pod): Promise<void> {
    const uid = podIdentity(pod).uid;
    this.recentSandboxes.delete(uid);
    const sandboxes = await this.withRuntime('remove the pod sandbox', () => this.listSandboxes(uid));
    for (const sandbox of sandboxes) {
      const containers = await this.withRuntime('list the pod containers', () =>
        this.listCriContainers({ podSandboxId: sandbox.id, labelSelector: this.managed }),
      );
      for (const container of containers) this.forget(container.id);
      for (const method of ['StopPodSandbox', 'RemovePodSandbox']) {
        try {
          await this.client.call('RuntimeService', method, { podSandboxId: sandbox.id }, SANDBOX_DEADLINE_MS);
        } catch (err) {
          if (err instanceof CriCallError && err.notFound) break; // already gone
          throw this.failure(err, 'RuntimeError', `cannot remove pod sandbox ${sandbox.id} (${method})`);
        }
      }
      this.logger.debug('pod sandbox removed', { sandboxId: sandbox.id, pod: podIdentity(pod).name });
    }
    this.sandboxUids?.delete(uid);
    // The pod's emptyDir volumes go with it, as the kubelet removes a deleted pod's volumes.
    if (uid && !uid.includes('/') && uid !== '.' && uid !== '..') {
      await fs.rm(podVolumesDir(this.volumesDir, uid), { recursive: true, force: true });
    }
  }

  async startContainer(request: StartContainerRequest): Promise<ContainerRecord> {
    const { pod, container, attempt } = request;
    const { id: sandboxId, config: sandboxConf } = await this.ensureSandbox(pod);
    // As the kubelet: the image first (its USER decides runAsNonRoot and a lone runAsGroup), then the config.
    const image = await this.withRuntime(`get image "${container.image}"`, () =>
      ensureImage(this.client, container, sandboxConf, (message) => this.warnOnce(`image ${container.image}`, message), request.events),
    );
    const config = await containerConfig({
      pod,
      container,
      attempt,
      sandbox: request.sandbox,
      logDirectory: sandboxConf.logDirectory,
      logPath: request.logPath,
      volumesDir: this.volumesDir,
      nodeName: this.options.nodeName,
      runtimeName: this.runtimeName,
      seccompProfileRoot: this.seccompProfileRoot,
      imageUser: { uid: image?.uid?.value !== undefined ? Number(image.uid.value) : undefined, username: image?.username ?? '' },
    });

    let containerId: string;
    try {
      const created = await this.client.call<{ containerId: string }>('RuntimeService', 'CreateContainer', {
        podSandboxId: sandboxId,
        config,
        sandboxConfig: sandboxConf,
      });
      containerId = created.containerId;
    } catch (err) {
      throw this.failure(err, 'CreateContainerError', `container "${container.name}": cannot create it`);
    }
    createdContainer(request.events, container.name);

    try {
      await this.client.call('RuntimeService', 'StartContainer', { containerId });
    } catch (err) {
      // Nothing is left behind: the created container would only hold its name and log file.
      await this.client.call('RuntimeService', 'RemoveContainer', { containerId }).catch((removeErr: unknown) => {
        this.logger.warn('cannot remove a container that failed to start', { containerId, err: (removeErr as Error).message });
      });
      throw this.failure(err, 'RunContainerError', `container "${container.name}": cannot start it`);
    }

    const record = await this.statusRecord(containerId, true).catch(() => undefined);
    const result: ContainerRecord = record ?? {
      id: containerId,
      podUid: podIdentity(pod).uid,
      podName: podIdentity(pod).name,
      podNamespace: podIdentity(pod).namespace,
      containerName: container.name,
      attempt,
      state: 'running',
      createdAt: new Date().toISOString(),
      startedAt: new Date().toISOString(),
      logPath: resolve(request.logPath),
    };
    this.watch(containerId);
    this.logger.debug('container started', { containerId, pod: result.podName, container: container.name, attempt });
    return result;
  }

  async stopContainer(id: string, gracePeriodSeconds: number): Promise<ContainerRecord | undefined> {
    const grace = Math.max(0, Math.ceil(gracePeriodSeconds));
    try {
      await this.client.call('RuntimeService', 'StopContainer', { containerId: id, timeout: grace }, grace * 1000 + STOP_EXTRA_MS);
    } catch (err) {
      if (err instanceof CriCallError && err.notFound) {
        this.forget(id);
        return undefined;
      }
      throw this.failure(err, 'StopContainerError', `cannot stop container ${id}`);
    }
    const record = await this.withRuntime('read the container status', () => this.statusRecord(id, false));
    if (record?.state === 'exited') this.reportExit(record);
    return record;
  }

  async removeContainer(id: string): Promise<void> {
    this.forget(id);
    try {
      await this.client.call('RuntimeService', 'RemoveContainer', { containerId: id });
    } catch (err) {
      if (err instanceof CriCallError && err.notFound) return;
      throw this.failure(err, 'RemoveContainerError', `cannot remove container ${id}`);
    }
  }

  /** Log rotation: after the log manager renamed the file, containerd writes to a new one at the path. */
  async reopenContainerLog(id: string): Promise<void> {
    await this.client.call('RuntimeService', 'ReopenContainerLog', { containerId: id });
  }

  async listContainers(podUid?: string): Promise<ContainerRecord[]> {
    const labelSelector = podUid === undefined ? this.managed : { ...this.managed, [LABEL_POD_UID]: podUid };
    const containers = await this.withRuntime('list containers', () => this.listCriContainers({ labelSelector }));
    const records = await Promise.all(
      containers.map((c) => this.withRuntime('read the container status', () => this.statusRecord(c.id, c.state === 'CONTAINER_RUNNING'))),
    );
    const result: ContainerRecord[] = [];
    for (const record of records) {
      if (!record) continue; // removed in between
      result.push(record);
      if (record.state !== 'exited' && !this.watched.has(record.id)) {
        this.logger.info('found a running container; watching it', { containerId: record.id, pod: record.podName, container: record.containerName });
        this.watch(record.id);
      }
    }
    return result;
  }

  async listPodSandboxes(): Promise<PodRef[]> {
    const response = await this.withRuntime('list pod sandboxes', () =>
      this.client.call<{ items: PodSandbox[] }>('RuntimeService', 'ListPodSandbox', { filter: { labelSelector: this.managed } }),
    );
    this.sandboxUids = new Set(response.items.map((s) => s.labels[LABEL_POD_UID] ?? ''));
    return response.items.map((s) => ({
      podUid: s.labels[LABEL_POD_UID] ?? '',
      podName: s.labels[LABEL_POD_NAME] ?? s.metadata?.name ?? '',
      podNamespace: s.labels[LABEL_POD_NAMESPACE] ?? s.metadata?.namespace ?? 'default',
    }));
  }

  onContainerExit(listener: (record: ContainerRecord) => void): void {
    this.listeners.push(listener);
  }

  async exec(id: string, command: string[], io: StreamIO): Promise<number> {
    const response = await this.runningStatus(id, 'exec');
    return criExec(this.client, id, command, io, pidFromInfo(response.info));
  }

  async attach(id: string, io: StreamIO): Promise<void> {
    const response = await this.runningStatus(id, 'attach');
    await criAttach(this.client, id, io, streamsOf(response.info));
  }

  /** The verbose status of a container that must be running for `what`; else a RuntimeError saying so. */
  private async runningStatus(id: string, what: string): Promise<ContainerStatusResponse> {
    let response: ContainerStatusResponse;
    try {
      response = await this.client.call<ContainerStatusResponse>('RuntimeService', 'ContainerStatus', { containerId: id, verbose: true });
    } catch (err) {
      if (err instanceof CriCallError && err.notFound) throw new RuntimeError('ContainerNotFound', `${what}: no container ${id} in the container runtime at ${this.options.endpoint}`);
      throw this.failure(err, 'RuntimeError', `${what}: cannot read the status of container ${id}`);
    }
    if (response.status?.state !== 'CONTAINER_RUNNING') {
      throw new RuntimeError('ContainerNotRunning', `${what}: container ${id} is not running (${response.status?.state ?? 'unknown'}); start it again (or wait for its restart) and retry`);
    }
    return response;
  }

  async portForward(pod: Pod, port: number, signal: AbortSignal): Promise<Duplex> {
    const { uid, namespace, name } = podIdentity(pod);
    const sandboxes = await this.withRuntime('list pod sandboxes', () => this.listSandboxes(uid));
    const ready = sandboxes.find((s) => s.state === 'SANDBOX_READY');
    if (!ready) throw new RuntimeError('PodNotRunning', `port-forward: pod "${namespace}/${name}" has no running sandbox in the container runtime; wait until it runs`);
    return criPortForward(this.client, ready.id, port, signal);
  }

  containerStats(id: string): Promise<ContainerStats | undefined> {
    return this.withRuntime('read the container stats', () => criContainerStats(this.client, id));
  }

  execSync(id: string, command: string[], timeoutMs: number): Promise<ExecSyncResult> {
    return criExecSync(this.client, id, command, timeoutMs);
  }

  async close(): Promise<void> {
    // Containers keep running (they outlive the agent); only stop watching them.
    this.closed = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    this.listeners.length = 0;
    this.client.close();
  }

  // ---- sandboxes -------------------------------------------------------------------------------

  /** The pod's ready sandbox, created when there is none (one creation at a time per pod). */
  private async ensureSandbox(pod: Pod): Promise<{ id: string; config: PodSandboxConfig; sandbox: SandboxInfo }> {
    const uid = podIdentity(pod).uid;
    // A sandbox found READY a moment ago (runPodSandbox right before the first startContainer)
    // is not asked about again: two RPCs less on the start path.
    const recent = this.recentSandboxes.get(uid);
    if (recent && Date.now() - recent.at < RECENT_SANDBOX_MS) return recent.value;
    const previous = this.sandboxLocks.get(uid) ?? Promise.resolve();
    const run = previous
      .catch(() => undefined)
      .then(() => this.ensureSandboxNow(pod))
      .then((value) => {
        this.recentSandboxes.set(uid, { at: Date.now(), value });
        return value;
      });
    this.sandboxLocks.set(uid, run);
    try {
      return await run;
    } finally {
      if (this.sandboxLocks.get(uid) === run) this.sandboxLocks.delete(uid);
    }
  }

  private async ensureSandboxNow(pod: Pod): Promise<{ id: string; config: PodSandboxConfig; sandbox: SandboxInfo }> {
    const uid = podIdentity(pod).uid;
    if (!uid) throw new RuntimeError('CreatePodSandboxError', 'the pod has no metadata.uid; berth gives every static pod one');
    const known = this.sandboxUids === undefined || this.sandboxUids.has(uid);
    const [hostResolvConf, all] = await Promise.all([
      fs.readFile(this.resolvConfPath, 'utf8').catch(() => ''),
      known ? this.withRuntime('list pod sandboxes', () => this.listSandboxes(uid)) : Promise.resolve([]),
    ]);
    this.sandboxUids?.add(uid);
    const ready = all.filter((s) => s.state === 'SANDBOX_READY').sort((a, b) => (b.metadata?.attempt ?? 0) - (a.metadata?.attempt ?? 0));
    for (const existing of ready) {
      const config = sandboxConfig(pod, { podLogsDir: this.podLogsDir, hostResolvConf, attempt: existing.metadata?.attempt ?? 0, nodeName: this.options.nodeName });
      const status = await this.sandboxStatus(existing.id);
      if (status?.state === 'SANDBOX_READY') return { id: existing.id, config, sandbox: this.sandboxInfo(pod, status) };
    }
    // A new attempt: containerd reserves the name <pod>_<namespace>_<uid>_<attempt> until the old one is removed.
    const attempt = all.reduce((max, s) => Math.max(max, (s.metadata?.attempt ?? 0) + 1), 0);
    const config = sandboxConfig(pod, { podLogsDir: this.podLogsDir, hostResolvConf, attempt, nodeName: this.options.nodeName });
    await checkHostPorts(pod, config.portMappings);
    const began = Date.now();
    let id: string;
    try {
      id = (await this.client.call<{ podSandboxId: string }>('RuntimeService', 'RunPodSandbox', { config }, SANDBOX_DEADLINE_MS)).podSandboxId;
    } catch (err) {
      throw this.failure(err, 'CreatePodSandboxError', `pod "${podIdentity(pod).namespace}/${podIdentity(pod).name}": cannot create its sandbox`);
    }
    // A host-network pod's IP is the node's: its status is not needed to start the containers.
    const status = pod.spec?.hostNetwork ? undefined : await this.sandboxStatus(id);
    this.logger.debug('pod sandbox created', { sandboxId: id, pod: podIdentity(pod).name, attempt, ms: Date.now() - began, podIP: status?.network?.ip });
    return { id, config, sandbox: this.sandboxInfo(pod, status) };
  }

  private sandboxInfo(pod: Pod, status: PodSandboxStatus | undefined): SandboxInfo {
    const podIP = pod.spec?.hostNetwork ? this.nodeIP : status?.network?.ip || this.nodeIP;
    return { podIP, hostIP: this.nodeIP };
  }

  private async sandboxStatus(id: string): Promise<PodSandboxStatus | undefined> {
    try {
      const response = await this.client.call<{ status: PodSandboxStatus | null }>('RuntimeService', 'PodSandboxStatus', { podSandboxId: id });
      return response.status ?? undefined;
    } catch (err) {
      if (err instanceof CriCallError && err.notFound) return undefined;
      throw this.failure(err, 'CreatePodSandboxError', `cannot read the status of pod sandbox ${id}`);
    }
  }

  /** Every sandbox of the pod (all states, all attempts). */
  private async listSandboxes(uid: string): Promise<PodSandbox[]> {
    const filter = { labelSelector: { ...this.managed, [LABEL_POD_UID]: uid } };
    const response = await this.client.call<{ items: PodSandbox[] }>('RuntimeService', 'ListPodSandbox', { filter });
    return response.items;
  }

  // ---- containers ------------------------------------------------------------------------------

  private async listCriContainers(filter: object): Promise<CriContainer[]> {
    const response = await this.client.call<{ containers: CriContainer[] }>('RuntimeService', 'ListContainers', { filter });
    return response.containers;
  }

  /** The container's record, or undefined when the runtime does not know it (any more). */
  private async statusRecord(id: string, verbose: boolean): Promise<ContainerRecord | undefined> {
    let response: ContainerStatusResponse;
    try {
      response = await this.client.call<ContainerStatusResponse>('RuntimeService', 'ContainerStatus', { containerId: id, verbose });
    } catch (err) {
      if (err instanceof CriCallError && err.notFound) return undefined;
      throw err;
    }
    if (!response.status) return undefined;
    const record = recordFromStatus(response.status, verbose ? pidFromInfo(response.info) : undefined);
    if (record.state === 'exited') await this.addTerminationMessage(record, response.status);
    return record;
  }

  /**
   * The container's own message, and OOMKilled from the kernel log when containerd missed the OOM
   * event (it can see the exit first). Read once: an exited container does not change.
   */
  private async addTerminationMessage(record: ContainerRecord, status: ContainerStatus): Promise<void> {
    let details = this.exitDetails.get(record.id);
    if (details === undefined) {
      const annotations = status.annotations ?? {};
      const path = annotations[KUBE_LABELS.terminationMessagePath] ?? '';
      const [message, oomKilled] = await Promise.all([
        readTerminationMessage({
          hostFile: path ? status.mounts?.find((m) => m.containerPath === path)?.hostPath : undefined,
          fallbackToLogsOnError: annotations[KUBE_LABELS.terminationMessagePolicy] === 'FallbackToLogsOnError',
          exitCode: record.exitCode,
          neverRan: !record.startedAt || status.reason === 'ContainerCannotRun' || status.reason === 'StartError',
          logPath: record.logPath,
        }),
        record.reason === 'OOMKilled' || (record.exitCode === 137 && oomKilledInCgroup(record.id)),
      ]);
      details = { message, oomKilled };
      this.exitDetails.set(record.id, details);
    }
    if (details.oomKilled) record.reason = 'OOMKilled';
    const joined = joinMessages(record.message, details.message);
    if (joined !== undefined) record.message = joined;
  }

  // ---- exits -----------------------------------------------------------------------------------

  private watch(id: string): void {
    this.watched.add(id);
    if (!this.pollTimer && !this.closed) {
      this.pollTimer = setInterval(() => void this.poll(), this.pollIntervalMs);
      this.pollTimer.unref();
    }
  }

  private forget(id: string): void {
    this.watched.delete(id);
    this.reported.delete(id);
    this.exitDetails.delete(id);
  }

  private async poll(): Promise<void> {
    if (this.polling || this.closed) return;
    this.polling = true;
    try {
      const containers = await this.listCriContainers({ labelSelector: this.managed });
      if (this.pollFailing) this.logger.info('the container runtime answers again', { endpoint: this.options.endpoint });
      this.pollFailing = false;
      const byId = new Map(containers.map((c) => [c.id, c]));
      for (const id of [...this.watched]) {
        const container = byId.get(id);
        if (container && (container.state === 'CONTAINER_RUNNING' || container.state === 'CONTAINER_CREATED')) continue;
        if (!this.watched.has(id)) continue; // forgotten meanwhile (removed by this agent)
        const record = container ? await this.statusRecord(id, false) : undefined;
        if (record) {
          if (record.state === 'exited') this.reportExit(record);
        } else if (this.watched.has(id)) {
          // Removed behind berth's back (crictl rm, a wiped containerd): report it as an exit whose code is lost.
          this.watched.delete(id);
          this.logger.warn('a running container vanished from the runtime', { containerId: id });
          this.reportExit({
            id,
            podUid: container?.labels[LABEL_POD_UID] ?? '',
            podName: '',
            podNamespace: '',
            containerName: container?.metadata?.name ?? '',
            attempt: container?.metadata?.attempt ?? 0,
            state: 'exited',
            createdAt: new Date().toISOString(),
            finishedAt: new Date().toISOString(),
            reason: 'Unknown',
            message: 'the container was removed from the container runtime while it ran',
            logPath: '',
          });
        }
      }
    } catch (err) {
      if (!this.pollFailing) {
        this.logger.warn('cannot check containers for exits; retrying', { endpoint: this.options.endpoint, err: (err as Error).message });
      }
      this.pollFailing = true;
    } finally {
      this.polling = false;
    }
    if (this.watched.size === 0 && this.pollTimer) {
      clearInterval(this.pollTimer);
      this.pollTimer = undefined;
    }
  }

  private reportExit(record: ContainerRecord): void {
    this.watched.delete(record.id);
    if (this.reported.has(record.id)) return;
    this.reported.add(record.id);
    if (this.closed) return;
    this.logger.debug('container exited', { containerId: record.id, pod: record.podName, container: record.containerName, exitCode: record.exitCode, reason: record.reason });
    for (const listener of this.listeners) {
      try {
        listener(record);
      } catch (err) {
        this.logger.error('container exit listener failed', { err });
      }
    }
  }

  // ---- errors ----------------------------------------------------------------------------------

  /** Runs a call, turning "the runtime is not there" into RuntimeError RuntimeUnavailable. */
  private async withRuntime<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (err instanceof CriCallError) throw this.failure(err, 'RuntimeError', `cannot ${what}`);
      throw err;
    }
  }

  /** A RuntimeError for a failed call; a runtime that cannot be reached is RuntimeUnavailable. */
  private failure(err: unknown, reason: string, what: string): Error {
    if (err instanceof RuntimeError) return err;
    if (err instanceof CriCallError) {
      if (err.unavailable) {
        return new RuntimeError(
          'RuntimeUnavailable',
          `${what}: the container runtime at ${this.options.endpoint} is not reachable (${err.details}); ` +
            'is containerd running? (start it with scripts/containerd-up.sh)',
        );
      }
      return new RuntimeError(reason, `${what}: ${err.details}`);
    }
    return new RuntimeError(reason, `${what}: ${(err as Error).message ?? String(err)}`);
  }
}

/** Whether the container was made with stdin and a tty, from the verbose status's config. */
function streamsOf(info: Record<string, string> | undefined): { stdin: boolean; tty: boolean } {
  try {
    const parsed = JSON.parse(info?.info ?? '{}') as { config?: { stdin?: boolean; tty?: boolean } };
    return { stdin: parsed.config?.stdin === true, tty: parsed.config?.tty === true };
  } catch {
    return { stdin: false, tty: false };
  }
}
