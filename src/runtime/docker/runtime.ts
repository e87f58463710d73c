// The Docker runtime: pods as containers of a Docker Engine (or of Podman's Docker-compatible
// service) over the Engine API, laid out as the kubelet's dockershim did (a sandbox "POD" container
// holding the pod's network, app containers joining it, kubelet names and labels). State lives in
// the engine only: an agent restart finds its containers again by their labels.
import type { Duplex } from 'node:stream';
import { promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Container, Pod } from 'kubernetes-types/core/v1';
import { warnOncePer, type Logger } from '../../log/index.js';
import { containerEnvironment } from '../env.js';
import { oomKilledInCgroup } from '../oom.js';
import { applyFsGroup } from '../volume-ownership.js';
import { wantsManagedHosts, writeManagedHostsFile } from '../hosts-file.js';
import { DEFAULT_SECCOMP_PROFILE_ROOT, containerPath, refuseUnsupported, seccompProfile } from '../security.js';
import { createdContainer } from '../image-events.js';
import { createTerminationMessageFile, joinMessages, readTerminationMessage, terminationMessageSpec } from '../termination-message.js';
import { firstNodeIPv4 } from '../process/host.js';
import {
  RuntimeError,
  type ContainerRecord,
  type ContainerStats,
  type ExecSyncResult,
  type StreamIO,
  type PodRef,
  type Runtime,
  type SandboxInfo,
  type StartContainerRequest,
} from '../types.js';
import { EngineClient, EngineError } from './client.js';
import type { ContainerInspect, ContainerSummary, CreateResponse, EngineVersion } from './engine-types.js';
import { DieWatcher } from './events.js';
import { engineExecSync } from './exec.js';
import { connectToPod } from './port-forward.js';
import { engineContainerStats } from './stats.js';
import { engineAttach, engineExec } from './streaming.js';
import { ensureImage, pullPolicy } from './images.js';
import { LABEL, kubeletContainerName, managedFilter, podIdentity, recordFromInspect } from './labels.js';
import { LogCopier } from './logs.js';
import { DEFAULT_LOG_ROTATION, type DroppedOutput, type LogRotationPolicy } from '../../logs/index.js';
import { appBody, isHostNetwork, sandboxBody, type CreateBody } from './spec.js';
import { within } from '../within.js';

export interface DockerRuntimeOptions {
  /** unix:///var/run/docker.sock (Docker) or unix:///run/podman/podman.sock (Podman). */
  endpoint: string;
  /** The kubelet's pod log root (/var/log/pods): log files are given per container by the workers. */
  podLogsDir: string;
  logger: Logger;
  /** Labels every container (berth.node) so that agents sharing one engine keep apart. */
  nodeName: string;
  /** The sandbox image; default registry.k8s.io/pause:3.6. */
  podInfraImage?: string;
  /** emptyDir volumes: <volumesDir>/<pod uid>/volumes/<name>; default /var/lib/berth/pods. */
  volumesDir?: string;
  /** The node's IP (hostIP, and podIP of hostNetwork pods); default its first non-internal IPv4. */
  nodeIP?: string;
  /** Where seccomp Localhost profiles are (the kubelet's <root-dir>/seccomp); default /var/lib/berth/seccomp. */
  seccompProfileRoot?: string;
  /** --container-log-max-size / --container-log-max-files: the log copier rotates each file itself. */
  logRotation?: LogRotationPolicy;
}

export const DEFAULT_POD_INFRA_IMAGE = 'registry.k8s.io/pause:3.6';
export const DEFAULT_VOLUMES_DIR = '/var/lib/berth/pods';

/** How long an exit notification waits for the container's last log lines to be copied. */
const LOG_DRAIN_MS = 2000;
/** Inspects of a container whose process just died (Podman, see isExiting): up to 1 s in all. */
const INSPECT_TRIES = 20;
const INSPECT_RETRY_MS = 50;

export class DockerRuntime implements Runtime {
  readonly name = 'docker';
  private readonly client: EngineClient;
  private readonly logger: Logger;
  /** Warnings that would repeat at every start of a container are logged once. */
  private readonly warnOnce: (key: string, message: string) => void;
  private readonly nodeName: string;
  private readonly podInfraImage: string;
  private readonly volumesDir: string;
  private readonly nodeIP: string;
  private readonly podLogsDir: string;
  private readonly seccompProfileRoot: string;
  private readonly watcher: DieWatcher;
  private readonly listeners: Array<(record: ContainerRecord) => void> = [];
  /** App containers started or adopted by this instance whose exit is still to be reported. */
  private readonly watched = new Set<string>();
  /** The last record seen of each watched container (reported when it vanishes without a trace). */
  private readonly lastSeen = new Map<string, ContainerRecord>();
  /** Exits already reported: each exit is reported exactly once. */
  private readonly reported = new Map<string, ContainerRecord>();
  /** What is read about exited containers once, by id (until the container is removed). */
  private readonly exitDetails = new Map<string, { message: string; oomKilled: boolean }>();
  private readonly finishing = new Map<string, Promise<ContainerRecord | undefined>>();
  /**
   * Containers between create and the end of startContainer: an exit seen meanwhile (a command
   * that ends at once, or a start that failed) waits, so that it is reported after the worker
   * knows the container, or not at all when the failed container was removed.
   */
  private readonly starting = new Map<string, Promise<void>>();
  /** Log copies by container id; an entry stays after the copy ended (so it is not started twice). */
  private readonly copiers = new Map<string, LogCopier>();
  /** Sandbox container id per pod uid (a cache; the engine's labels are the truth). */
  private readonly sandboxes = new Map<string, string>();
  private closed = false;
  /** The engine is Podman (its compat API needs a few different settings). */
  private podman = false;

  private readonly logRotation: LogRotationPolicy;

  constructor(options: DockerRuntimeOptions) {
    this.client = new EngineClient(options.endpoint);
    this.logger = options.logger.child({ runtime: 'docker' });
    this.warnOnce = warnOncePer(this.logger);
    this.nodeName = options.nodeName;
    this.podInfraImage = options.podInfraImage ?? DEFAULT_POD_INFRA_IMAGE;
    this.volumesDir = options.volumesDir ?? DEFAULT_VOLUMES_DIR;
    this.nodeIP = options.nodeIP ?? firstNodeIPv4();
    this.podLogsDir = options.podLogsDir;
    this.seccompProfileRoot = options.seccompProfileRoot ?? DEFAULT_SECCOMP_PROFILE_ROOT;
    this.logRotation = options.logRotation ?? DEFAULT_LOG_ROTATION;
    this.watcher = new DieWatcher({
      client: this.client,
      nodeName: this.nodeName,
      logger: this.logger,
      onDie: (id) => void this.finishExit(id),
      onConnected: (reconnect) => {
        if (reconnect) void this.reconcile();
      },
    });
  }

  get endpoint(): string {
    return this.client.endpoint;
  }

  async init(): Promise<void> {
    let version: EngineVersion | undefined;
    try {
      const ping = await this.client.call('GET', '/_ping', { timeoutMs: 5000 });
      if (typeof ping.body !== 'string' || ping.body.trim() !== 'OK') {
        throw new Error(`${this.endpoint} answered GET /_ping with ${JSON.stringify(ping.body)}, not "OK": it is not a Docker Engine API`);
      }
      version = await this.client.json<EngineVersion>('GET', '/version', { timeoutMs: 5000 });
    } catch (err) {
      throw new Error(`docker runtime: ${(err as Error).message}`);
    }
    const podman = version?.Components?.find((c) => /podman/i.test(c.Name));
    this.podman = podman !== undefined;
    this.logger.info('connected to the container engine', {
      endpoint: this.endpoint,
      engine: podman ? `podman ${podman.Version}` : `docker ${version?.Version ?? '?'}`,
      apiVersion: version?.ApiVersion,
    });
    await fs.mkdir(this.podLogsDir, { recursive: true });
    await this.watcher.start();
  }

  async runPodSandbox(pod: Pod): Promise<SandboxInfo> {
    // hostNetwork pods have no sandbox: their containers use the host's namespaces directly (one
    // container less to start per pod).
    if (isHostNetwork(pod)) return { podIP: this.nodeIP, hostIP: this.nodeIP };
    const running = await this.findSandbox(pod);
    if (running) return { podIP: podIPOf(running), hostIP: this.nodeIP };
    return { podIP: podIPOf(await this.createSandbox(pod)), hostIP: this.nodeIP };
  }

  async removePodSandbox(pod: Pod): Promise<void> {
    const uid = podIdentity(pod).uid;
    const all = await this.list({ [LABEL.podUid]: uid });
    // App containers first: they live in the sandbox's namespaces.
    const apps = all.filter((c) => c.Labels?.[LABEL.type] !== 'podsandbox');
    const sandboxes = all.filter((c) => c.Labels?.[LABEL.type] === 'podsandbox');
    for (const app of apps) await this.removeContainer(app.Id);
    for (const sandbox of sandboxes) await this.deleteContainer(sandbox.Id);
    this.sandboxes.delete(uid);
    if (uid && !uid.includes('/') && !uid.includes('..')) {
      // Its folder goes with it: emptyDir volumes, termination message files, /etc/hosts.
      await fs.rm(join(this.volumesDir, uid), { recursive: true, force: true });
    }
  }

  async startContainer(request: StartContainerRequest): Promise<ContainerRecord> {
    const { pod, container, attempt, logPath, sandbox } = request;
    try {
      return await this.start(request);
    } catch (err) {
      if (err instanceof RuntimeError) throw err;
      this.logger.warn('container could not be created', { pod: pod.metadata?.name, container: container.name, attempt, logPath, sandbox, err: (err as Error).message });
      throw new RuntimeError('CreateContainerError', `container "${container.name}": ${(err as Error).message}`);
    }
  }

  async stopContainer(id: string, gracePeriodSeconds: number): Promise<ContainerRecord | undefined> {
    const grace = Math.max(0, Math.ceil(gracePeriodSeconds));
    try {
      // The engine sends the image's stop signal (SIGTERM), then SIGKILL after t seconds.
      await this.client.call('POST', `/containers/${id}/stop`, { query: { t: grace }, timeoutMs: (grace + 60) * 1000 }, [304]);
    } catch (err) {
      if (isGone(err)) return undefined;
      throw err;
    }
    const info = await this.inspect(id);
    if (!info) return undefined;
    const record = await this.recordOf(info);
    if (record?.state === 'exited') return (await this.finishExit(id)) ?? record;
    return record;
  }

  async removeContainer(id: string): Promise<void> {
    const info = await this.inspect(id);
    if (info?.State.Running) await this.stopContainer(id, 0);
    await this.deleteContainer(id);
    this.watched.delete(id);
    this.lastSeen.delete(id);
    this.reported.delete(id);
    this.exitDetails.delete(id);
  }

  async listPodSandboxes(): Promise<PodRef[]> {
    return (await this.list({ [LABEL.type]: 'podsandbox' })).map((c) => ({
      podUid: c.Labels?.[LABEL.podUid] ?? '',
      podName: c.Labels?.[LABEL.podName] ?? '',
      podNamespace: c.Labels?.[LABEL.podNamespace] ?? 'default',
    }));
  }

  async listContainers(podUid?: string): Promise<ContainerRecord[]> {
    const summaries = await this.list(podUid === undefined ? { [LABEL.type]: 'container' } : { [LABEL.type]: 'container', [LABEL.podUid]: podUid });
    const infos = await Promise.all(summaries.map((s) => this.inspect(s.Id)));
    const records: ContainerRecord[] = [];
    for (const info of infos) {
      const record = info && (await this.recordOf(info));
      if (!record) continue;
      records.push(record);
      if (record.state === 'running' && !this.watched.has(record.id) && !this.reported.has(record.id)) {
        this.logger.info('found a running container; watching it', { containerId: record.id, pod: record.podName, container: record.containerName });
        this.watched.add(record.id);
        this.lastSeen.set(record.id, record);
      }
      // Copy what the log file misses (lines written while no agent ran), running or not.
      if (record.state !== 'created' && record.logPath) this.copyLogs(record.id, record.logPath, info.Config.Tty === true);
    }
    return records;
  }

  onContainerExit(listener: (record: ContainerRecord) => void): void {
    this.listeners.push(listener);
  }

  exec(id: string, command: string[], io: StreamIO): Promise<number> {
    return engineExec(this.client, id, command, io);
  }

  attach(id: string, io: StreamIO): Promise<void> {
    return engineAttach(this.client, id, io);
  }

  async portForward(pod: Pod, port: number, signal: AbortSignal): Promise<Duplex> {
    const { namespace, name } = podIdentity(pod);
    if (isHostNetwork(pod)) return connectToPod(`${namespace}/${name}`, '127.0.0.1', port, signal);
    const sandbox = await this.findSandbox(pod);
    const ip = sandbox ? podIPOf(sandbox) : '';
    if (!ip) {
      throw new RuntimeError('PodNotRunning', `port-forward: pod "${namespace}/${name}" has no running sandbox with an IP in the container engine; wait until it runs`);
    }
    return connectToPod(`${namespace}/${name}`, ip, port, signal);
  }

  containerStats(id: string): Promise<ContainerStats | undefined> {
    return engineContainerStats(this.client, id);
  }

  execSync(id: string, command: string[], timeoutMs: number): Promise<ExecSyncResult> {
    return engineExecSync(this.client, id, command, timeoutMs);
  }

  async close(): Promise<void> {
    // Containers keep running (they outlive the agent); only stop watching them.
    this.closed = true;
    this.watcher.close();
    for (const copier of this.copiers.values()) copier.stop();
    await Promise.all([...this.copiers.values()].map((c) => c.done));
    this.listeners.length = 0;
    this.client.close();
  }

  // --- containers -------------------------------------------------------------------------------

  private async start(request: StartContainerRequest): Promise<ContainerRecord> {
    const { pod, container, attempt, logPath } = request;
    const environment = containerEnvironment(pod, container, request.sandbox);
    const image = container.image ?? '';
    if (!image) {
      throw new RuntimeError('InvalidImageName', `container "${container.name}": image is empty; set the container's image`);
    }
    const sandboxId = isHostNetwork(pod) ? undefined : await this.sandboxIdFor(pod);
    const imageInfo = await ensureImage(this.client, image, pullPolicy(container), (message) => this.warnOnce(`image ${image}`, message), request.events);
    checkNonRoot(pod, request.container, imageInfo?.Config?.User ?? '');

    refuseUnsupported(pod, container, this.podman ? 'podman' : 'docker');
    const terminationMessageFile = await this.terminationMessageFile(pod, container);
    const localhostSeccompProfile = await this.localhostSeccompProfile(pod, container);
    const hostsFile = wantsManagedHosts(container) ? await this.hostsFile(pod, request.sandbox.podIP, container.name) : undefined;
    const { body, directories } = appBody({
      pod,
      container,
      attempt,
      logPath,
      nodeName: this.nodeName,
      environment,
      sandboxId,
      volumesDir: this.volumesDir,
      joinSandboxUts: this.podman,
      ...(terminationMessageFile ? { terminationMessageFile } : {}),
      ...(localhostSeccompProfile !== undefined ? { localhostSeccompProfile } : {}),
      imageUser: imageInfo?.Config?.User ?? '',
      ...(hostsFile ? { hostsFile } : {}),
      unmaskWithSecurityOpt: this.podman,
      seccompProfileRoot: this.seccompProfileRoot,
    });
    try {
      await fs.mkdir(dirname(logPath), { recursive: true });
      for (const dir of directories) {
        await fs.mkdir(dir.path, { recursive: true });
        await fs.chmod(dir.path, dir.mode); // mkdir's mode is cut by the umask
        if (dir.mode === 0o777) await applyFsGroup(dir.path, pod.spec?.securityContext?.fsGroup); // emptyDir
      }
    } catch (err) {
      throw new RuntimeError('CreateContainerError', `container "${container.name}": cannot create a volume or log folder: ${(err as Error).message}`);
    }

    const name = kubeletContainerName(container.name, podIdentity(pod), attempt);
    let id: string;
    try {
      id = await this.create(name, body);
    } catch (err) {
      if (err instanceof EngineError) throw new RuntimeError('CreateContainerError', `container "${container.name}": ${err.message}`);
      throw err;
    }
    createdContainer(request.events, container.name);
    let started!: () => void;
    this.starting.set(id, new Promise<void>((resolve) => (started = resolve)));
    try {
      return await this.startCreated(id, request);
    } finally {
      this.starting.delete(id);
      started();
    }
  }

  /** The pod's managed /etc/hosts, (re)written for each container start. */
  private async hostsFile(pod: Pod, podIP: string, containerName: string): Promise<string> {
    const podDir = join(this.volumesDir, podIdentity(pod).uid);
    try {
      return await writeManagedHostsFile(podDir, pod, podIP);
    } catch (err) {
      throw new RuntimeError('CreateContainerError', `container "${containerName}": cannot write the pod's hosts file in ${podDir}: ${(err as Error).message}`);
    }
  }

  /** The JSON of the container's Localhost seccomp profile (the Engine API takes the profile itself). */
  private async localhostSeccompProfile(pod: Pod, container: Container): Promise<string | undefined> {
    const where = containerPath(pod, container);
    const profile = seccompProfile(pod, container, this.seccompProfileRoot, where);
    if (profile.type !== 'Localhost' || container.securityContext?.privileged) return undefined;
    try {
      return JSON.stringify(JSON.parse(await fs.readFile(profile.localhost!, 'utf8')));
    } catch (err) {
      throw new RuntimeError(
        'CreateContainerConfigError',
        `${where}: securityContext.seccompProfile: cannot use the Localhost profile ${profile.localhost}: ${(err as Error).message}; put a seccomp JSON profile there`,
      );
    }
  }

  /**
   * The attempt's message file under <volumesDir>/<pod uid>/containers/<name>/ (removed with the
   * pod); none when a volume is mounted at terminationMessagePath itself.
   */
  private async terminationMessageFile(pod: Pod, container: Container): Promise<string | undefined> {
    const { path } = terminationMessageSpec(container);
    if (!path || (container.volumeMounts ?? []).some((m) => m.mountPath === path)) return undefined;
    const dir = join(this.volumesDir, podIdentity(pod).uid, 'containers', container.name);
    try {
      return await createTerminationMessageFile(dir);
    } catch (err) {
      throw new RuntimeError('CreateContainerError', `container "${container.name}": cannot create its termination message file in ${dir}: ${(err as Error).message}`);
    }
  }

  /**
   * The record of an app container; once it has exited, with its termination message and, where
   * the engine could not tell (Podman on cgroup v1), OOMKilled from the kernel log. Read once:
   * an exited container does not change.
   */
  private async recordOf(info: ContainerInspect): Promise<ContainerRecord | undefined> {
    const record = recordFromInspect(info);
    if (record?.state !== 'exited') return record;
    let details = this.exitDetails.get(record.id);
    if (details === undefined) {
      const labels = info.Config.Labels ?? {};
      const path = labels[LABEL.terminationMessagePath] ?? '';
      const fallbackToLogsOnError = labels[LABEL.terminationMessagePolicy] === 'FallbackToLogsOnError';
      // The log file is filled by a copy from the engine: its last lines may still be on the way.
      const copier = this.copiers.get(record.id);
      if (fallbackToLogsOnError && copier) await within(copier.done, LOG_DRAIN_MS);
      const [message, oomKilled] = await Promise.all([
        readTerminationMessage({
          hostFile: path ? info.Mounts?.find((m) => m.Destination === path)?.Source : undefined,
          fallbackToLogsOnError,
          exitCode: record.exitCode,
          neverRan: !record.startedAt,
          logPath: record.logPath,
        }),
        info.State.OOMKilled || (record.exitCode === 137 && (info.HostConfig?.Memory ?? 0) > 0 && oomKilledInCgroup(info.Id)),
      ]);
      details = { message, oomKilled };
      this.exitDetails.set(record.id, details);
    }
    if (details.oomKilled) record.reason = 'OOMKilled';
    const joined = joinMessages(record.message, details.message);
    if (joined !== undefined) record.message = joined;
    return record;
  }

  private async startCreated(id: string, request: StartContainerRequest): Promise<ContainerRecord> {
    const { container, logPath } = request;
    try {
      await this.client.call('POST', `/containers/${id}/start`, { timeoutMs: 60_000 }, [304]);
    } catch (err) {
      // e.g. the command is not in the image. The engine keeps the failed container: remove it,
      // so that nothing is left and its `die` event finds no container to report.
      await this.deleteContainer(id).catch(() => undefined);
      this.logger.warn('container could not start', { containerId: id, container: container.name, err: (err as Error).message });
      throw new RuntimeError('RunContainerError', `container "${container.name}": ${(err as Error).message}`);
    }
    const info = await this.inspect(id);
    if (!info) throw new RuntimeError('RunContainerError', `container "${container.name}": it vanished right after it started`);
    // The log copy first: a container that has exited already gets its record (termination
    // message, log tail) once its last lines are in the file.
    this.copyLogs(id, logPath, container.tty === true);
    const record = await this.recordOf(info);
    if (!record) throw new RuntimeError('RunContainerError', `container "${container.name}": it vanished right after it started`);
    this.watched.add(id);
    this.lastSeen.set(id, record);
    // A very quick exit may have been missed while the container was not watched yet.
    if (record.state === 'exited') void this.finishExit(id);
    this.logger.debug('container started', { containerId: id, container: container.name, pid: record.pid });
    return record;
  }

  /** POST /containers/create; a name left by an earlier try is freed (or avoided) first. */
  private async create(name: string, body: CreateBody): Promise<string> {
    let attemptName = name;
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await this.client.call('POST', '/containers/create', { query: { name: attemptName }, body });
        return (res.body as CreateResponse).Id;
      } catch (err) {
        if (!(err instanceof EngineError) || err.status !== 409 || attempt > 0) throw err;
        // As dockershim: a leftover that never ran (or has exited) is removed; a running one keeps
        // its name and the new container gets a random suffix.
        const existing = await this.inspect(name);
        if (existing && !existing.State.Running && existing.Config.Labels?.[LABEL.managed] === 'true') {
          this.logger.info('removing a leftover container with the same name', { name, containerId: existing.Id });
          await this.deleteContainer(existing.Id);
        } else {
          attemptName = `${name}_${randomBytes(4).toString('hex')}`;
        }
      }
    }
  }

  private async deleteContainer(id: string): Promise<void> {
    const copier = this.copiers.get(id);
    if (copier) {
      copier.stop();
      this.copiers.delete(id);
    }
    try {
      await this.client.call('DELETE', `/containers/${id}`, { query: { force: true, v: true } }, [404]);
    } catch (err) {
      if (!isGone(err)) throw err;
    }
  }

  private async inspect(idOrName: string): Promise<ContainerInspect | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.client.json<ContainerInspect>('GET', `/containers/${idOrName}/json`);
      } catch (err) {
        if (isGone(err)) return undefined;
        if (!isExiting(err) || attempt >= INSPECT_TRIES) throw err;
        await new Promise((resolve) => setTimeout(resolve, INSPECT_RETRY_MS));
      }
    }
  }

  private async list(labels: Record<string, string>): Promise<ContainerSummary[]> {
    const query = { all: true, filters: managedFilter(this.nodeName, labels) };
    return (await this.client.json<ContainerSummary[]>('GET', '/containers/json', { query })) ?? [];
  }

  private copyLogs(id: string, logPath: string, tty: boolean): void {
    if (this.copiers.has(id) || this.closed) return;
    this.copiers.set(id, new LogCopier({ client: this.client, id, logPath, tty, logger: this.logger, rotation: this.logRotation }));
  }

  /** What the log copier dropped because the container's log file could not be written. */
  async droppedLogOutput(id: string): Promise<DroppedOutput | undefined> {
    return this.copiers.get(id)?.dropped;
  }

  // --- sandboxes --------------------------------------------------------------------------------

  /** The pod's running sandbox, if any. */
  private async findSandbox(pod: Pod): Promise<ContainerInspect | undefined> {
    const uid = podIdentity(pod).uid;
    const cached = this.sandboxes.get(uid);
    if (cached) {
      const info = await this.inspect(cached);
      if (info?.State.Running) return info;
      this.sandboxes.delete(uid);
    }
    for (const summary of await this.list({ [LABEL.podUid]: uid, [LABEL.type]: 'podsandbox' })) {
      if (summary.State !== 'running') continue;
      const info = await this.inspect(summary.Id);
      if (info?.State.Running) {
        this.sandboxes.set(uid, info.Id);
        return info;
      }
    }
    return undefined;
  }

  private async sandboxIdFor(pod: Pod): Promise<string> {
    const running = await this.findSandbox(pod);
    if (running) return running.Id;
    // Gone (stopped by hand, engine restarted): make a new one, as the kubelet would.
    return (await this.createSandbox(pod)).Id;
  }

  private async createSandbox(pod: Pod): Promise<ContainerInspect> {
    const id = podIdentity(pod);
    // Dead sandboxes of this pod are removed; the new one counts on from their attempts.
    let attempt = 0;
    for (const old of await this.list({ [LABEL.podUid]: id.uid, [LABEL.type]: 'podsandbox' })) {
      attempt = Math.max(attempt, (Number.parseInt(old.Labels?.[LABEL.restartCount] ?? '0', 10) || 0) + 1);
      await this.deleteContainer(old.Id);
    }
    const fail = (message: string): RuntimeError =>
      new RuntimeError('CreatePodSandboxError', `pod "${id.namespace}/${id.name}": cannot create its sandbox container: ${message}`);
    try {
      await ensureImage(this.client, this.podInfraImage, 'IfNotPresent');
    } catch (err) {
      throw fail(
        `the sandbox image "${this.podInfraImage}" is not available (${(err as Error).message}); load it into the engine ` +
          '(scripts/docker-up.sh loads a test one) or set the pod infra image option',
      );
    }
    let sandboxId: string;
    try {
      sandboxId = await this.create(kubeletContainerName('POD', id, attempt), sandboxBody(pod, this.podInfraImage, this.nodeName, attempt));
      await this.client.call('POST', `/containers/${sandboxId}/start`, { timeoutMs: 60_000 }, [304]);
    } catch (err) {
      const leftover = await this.list({ [LABEL.podUid]: id.uid, [LABEL.type]: 'podsandbox' }).catch(() => []);
      for (const c of leftover) await this.deleteContainer(c.Id).catch(() => undefined);
      throw fail((err as Error).message);
    }
    const info = await this.inspect(sandboxId);
    if (!info?.State.Running) throw fail('it exited right after it started');
    this.sandboxes.set(id.uid, sandboxId);
    this.logger.debug('pod sandbox started', { pod: id.name, containerId: sandboxId, podIP: podIPOf(info) });
    return info;
  }

  // --- exits ------------------------------------------------------------------------------------

  /** Reports the container's exit (once), after its last log lines are in the file. */
  private finishExit(id: string): Promise<ContainerRecord | undefined> {
    const done = this.reported.get(id);
    if (done) return Promise.resolve(done);
    const pending = this.finishing.get(id);
    if (pending) return pending;
    const work = (async (): Promise<ContainerRecord | undefined> => {
      await this.starting.get(id);
      const copier = this.copiers.get(id);
      if (copier) await within(copier.done, LOG_DRAIN_MS);
      let info: ContainerInspect | undefined;
      try {
        info = await this.inspect(id);
      } catch (err) {
        // Engine unreachable: the reconciliation after reconnecting reports it.
        this.logger.debug('cannot inspect an exited container yet', { containerId: id, err: (err as Error).message });
        return undefined;
      }
      if (!info) {
        // Removed already. Report it only if this instance was watching it (not for our own removals).
        const last = this.lastSeen.get(id);
        if (!last || !this.watched.has(id)) return undefined;
        return this.report({
          ...last,
          state: 'exited',
          finishedAt: new Date().toISOString(),
          reason: 'Unknown',
          message: 'the container was removed from the engine outside berth; its exit code is unknown',
        });
      }
      const record = await this.recordOf(info);
      if (!record || record.state !== 'exited') return record;
      return this.report(record);
    })().finally(() => this.finishing.delete(id));
    this.finishing.set(id, work);
    return work;
  }

  private report(record: ContainerRecord): ContainerRecord {
    const done = this.reported.get(record.id);
    if (done) return done;
    this.reported.set(record.id, record);
    this.watched.delete(record.id);
    this.lastSeen.delete(record.id);
    if (this.closed) return record;
    this.logger.debug('container exited', { containerId: record.id, pod: record.podName, container: record.containerName, exitCode: record.exitCode, reason: record.reason });
    for (const listener of this.listeners) {
      try {
        listener(record);
      } catch (err) {
        this.logger.error('container exit listener failed', { err });
      }
    }
    return record;
  }

  /** After the event stream was down: exits it did not deliver. */
  private async reconcile(): Promise<void> {
    if (this.watched.size === 0) return;
    try {
      const present = new Set((await this.list({ [LABEL.type]: 'container' })).map((c) => c.Id));
      for (const id of [...this.watched]) {
        if (!present.has(id)) await this.finishExit(id);
        else {
          const info = await this.inspect(id);
          if (!info || !info.State.Running) await this.finishExit(id);
        }
      }
    } catch (err) {
      this.logger.warn('looking for missed container exits failed', { err: (err as Error).message });
    }
  }
}

/**
 * The container does not exist (any more). Docker answers 404; Podman answers 500 "... does not
 * exist in database: no such container" for one removed while it is being looked up (a listing
 * followed by inspects races with another pod's removal).
 */
function isGone(err: unknown): boolean {
  return err instanceof EngineError && (err.status === 404 || /no such container/i.test(err.message));
}

/**
 * Podman answers an inspect with 500 "read /proc/<pid>/cgroup: no such process" when the
 * container's process died a moment before (seen right after an OOM kill): the container is
 * between running and exited, and asking again a little later gives its exit.
 */
function isExiting(err: unknown): boolean {
  return err instanceof EngineError && err.status === 500 && /no such process/i.test(err.message);
}

function podIPOf(info: ContainerInspect): string {
  const settings = info.NetworkSettings;
  if (settings?.IPAddress) return settings.IPAddress;
  for (const network of Object.values(settings?.Networks ?? {})) {
    if (network.IPAddress) return network.IPAddress;
  }
  return '';
}

/** runAsNonRoot with no runAsUser: the image's USER must not be root (as the kubelet checks). */
function checkNonRoot(pod: Pod, container: StartContainerRequest['container'], imageUser: string): void {
  const context = container.securityContext;
  const podContext = pod.spec?.securityContext;
  if (!(context?.runAsNonRoot ?? podContext?.runAsNonRoot)) return;
  const uid = context?.runAsUser ?? podContext?.runAsUser;
  const where = `container "${container.name}"`;
  if (uid === 0) {
    throw new RuntimeError('CreateContainerConfigError', `${where}: runAsNonRoot is set but runAsUser is 0; set securityContext.runAsUser to a non-zero uid`);
  }
  if (uid !== undefined) return;
  const user = imageUser.split(':')[0] ?? '';
  if (user === '' || user === '0' || user === 'root') {
    throw new RuntimeError(
      'CreateContainerConfigError',
      `${where}: runAsNonRoot is set and image "${container.image}" runs as root; set securityContext.runAsUser to a non-zero uid`,
    );
  }
  if (!/^\d+$/.test(user)) {
    throw new RuntimeError(
      'CreateContainerConfigError',
      `${where}: runAsNonRoot is set and image "${container.image}" has a non-numeric user "${user}" (cannot verify it is not root); set securityContext.runAsUser`,
    );
  }
}

