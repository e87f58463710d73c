// The embedded default runtime: every container is a host process supervised by its own berth-shim
// (shim.c), so containers outlive an agent crash and their exit code is still known afterwards.
// Pods share the host network; there are no images: a container runs its `command` + `args`.
import type { Duplex } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { constants as fsConstants, promises as fs } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Container, Pod } from 'kubernetes-types/core/v1';
import type { CgroupUsage } from '../../cgroups/index.js';
import type { Logger } from '../../log/index.js';
import { containerEnvironment } from '../env.js';
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
import { createdContainer } from '../image-events.js';
import { agentIdentity, firstNodeIPv4, processEnvironment, runAs } from './host.js';
import { exitCodeOfWaitStatus, isRunning, readProcStat } from './procfs.js';
import { containerExecContext } from './exec-context.js';
import { runInContainer, type ExecContext } from './exec.js';
import { execStreaming } from './exec-stream.js';
import { attachContainer } from './attach.js';
import { connectPodPort } from './port-forward.js';
import { statsFromCgroup, statsFromProcessGroup, withResidentFloor } from './stats.js';
import { ContainerIsolation, type PodWarning, type PreparedContainer } from './isolation.js';
import { launchShim } from './shim.js';
import { spawnerPathFor, spawnerProblem, startSpawner, type SpawnedShim } from './spawner.js';
import { readTerminationMessage } from '../termination-message.js';
import { StateDir, baseRecord, exitedRecord, type ContainerMeta, type ExitFile, type PidFile } from './state.js';
import { within } from '../within.js';
import { DEFAULT_LOG_ROTATION, type DroppedOutput, type LogRotationPolicy } from '../../logs/index.js';
import { oversizedArgument } from './arg-limits.js';

export interface ProcessRuntimeOptions {
  /** State lives under <rootDir>/containers/<id>/. */
  rootDir: string;
  /** The compiled berth-shim (dist/berth-shim). */
  shimPath: string;
  logger: Logger;
  /** The pods' IP (they share the host network); default: the node's first non-internal IPv4. */
  nodeIP?: string;
  /** Run containers whose security settings cannot be enforced instead of refusing them. */
  acceptUnenforcedSecurity?: boolean;
  /** Where warnings about a pod go (the agent makes them events), e.g. limits without cgroups. */
  onPodWarning?: PodWarning;
  /** --container-log-max-size / --container-log-max-files: the shim rotates each log itself. */
  logRotation?: LogRotationPolicy;
}

/** How often containers this instance did not start (found after an agent restart) are checked. */
const ADOPTED_POLL_MS = 500;
/** The same while stopContainer waits for one of them. */
const STOPPING_POLL_MS = 25;
/** A state folder still without meta.json after this long belongs to no start in progress. */
const ABANDONED_AFTER_MS = 60_000;
/** After SIGKILL, how long to wait for the exit record before giving up on it. */
const KILL_WAIT_MS = 10_000;

interface LiveShim {
  child: SpawnedShim;
  started: Promise<{ pid: number; startTime: number } | undefined>;
}

export class ProcessRuntime implements Runtime {
  readonly name = 'process';
  private readonly state: StateDir;
  private readonly shimPath: string;
  private readonly logger: Logger;
  private readonly nodeIP: string;
  private readonly logRotation: LogRotationPolicy;
  private readonly isolation: ContainerIsolation;
  private readonly listeners: Array<(record: ContainerRecord) => void> = [];
  /** Shims this instance started, until they exit: their 'exit' event is the exit notification. */
  private readonly live = new Map<string, LiveShim>();
  /** Running containers this instance did not start (or whose shim died): polled for their exit. */
  private readonly adopted = new Set<string>();
  /** Exits already reported: each exit is reported exactly once. */
  private readonly reported = new Map<string, ContainerRecord>();
  private readonly finalizing = new Map<string, Promise<ExitFile>>();
  private readonly exitWaiters = new Map<string, Array<(record: ContainerRecord) => void>>();
  /** Container id -> pod UID (never changes for an id), so one pod's containers are found without reading every meta.json. */
  private readonly podOf = new Map<string, string>();
  private pollTimer: NodeJS.Timeout | undefined;
  private polling = false;
  private closed = false;

  constructor(options: ProcessRuntimeOptions) {
    this.state = new StateDir(resolve(options.rootDir));
    this.shimPath = resolve(options.shimPath);
    this.logger = options.logger.child({ runtime: 'process' });
    this.nodeIP = options.nodeIP ?? firstNodeIPv4();
    this.logRotation = options.logRotation ?? DEFAULT_LOG_ROTATION;
    this.isolation = new ContainerIsolation({
      logger: this.logger,
      shimPath: this.shimPath,
      probeDir: this.state.containersDir(),
      acceptUnenforcedSecurity: options.acceptUnenforcedSecurity ?? false,
      ...(options.onPodWarning ? { onPodWarning: options.onPodWarning } : {}),
    });
  }

  async init(): Promise<void> {
    try {
      await fs.access(this.shimPath, fsConstants.X_OK);
    } catch {
      throw new Error(
        `process runtime: the container supervisor ${this.shimPath} is missing or not executable; ` +
          'build it with `npm run build` (compiles src/runtime/process/shim.c with cc)',
      );
    }
    const spawner = spawnerPathFor(this.shimPath);
    const problem = spawnerProblem(spawner);
    if (problem) throw new Error(`process runtime: ${problem}`);
    await fs.mkdir(this.state.containersDir(), { recursive: true });
    await this.isolation.init();
    startSpawner(spawner);
  }

  async runPodSandbox(_pod: Pod): Promise<SandboxInfo> {
    return { podIP: this.nodeIP, hostIP: this.nodeIP };
  }

  async removePodSandbox(_pod: Pod): Promise<void> {
    // Nothing to remove: pods share the host network and have no sandbox process.
  }

  async startContainer(request: StartContainerRequest): Promise<ContainerRecord> {
    const { pod, container, attempt, logPath, sandbox } = request;
    if (!container.command || container.command.length === 0) {
      throw new RuntimeError(
        'CreateContainerConfigError',
        `container "${container.name}": the process runtime runs \`command\` + \`args\` on the host and cannot use ` +
          `images${container.image ? ` (image "${container.image}")` : ''}; set ${fieldPath(pod, container)}.command ` +
          '(or run berth with --container-runtime-endpoint for a container engine)',
      );
    }
    const { env, command, args } = containerEnvironment(pod, container, sandbox);
    const user = runAs(pod, container, agentIdentity(), fieldPath(pod, container));
    const fullEnv = processEnvironment(pod, env);
    const workingDir = container.workingDir || '/';

    // Refused before any state exists: spawn would only say `E2BIG`, after the folders were made.
    const oversized = oversizedArgument(pod, container, command, args, fullEnv);
    if (oversized) throw new RuntimeError('CreateContainerError', `container "${container.name}": ${oversized}`);

    const id = randomBytes(32).toString('hex');
    const meta: ContainerMeta = {
      id,
      podUid: pod.metadata?.uid ?? '',
      podName: pod.metadata?.name ?? '',
      podNamespace: pod.metadata?.namespace ?? 'default',
      containerName: container.name,
      attempt,
      createdAt: new Date().toISOString(),
      logPath: resolve(logPath),
      command: [...command, ...args],
      exec: { runAs: user, env: fullEnv, workingDir },
      gracePeriodSeconds: pod.spec?.terminationGracePeriodSeconds ?? 30,
    };
    if (container.stdin || container.tty) {
      meta.terminal = { stdin: container.stdin ?? false, stdinOnce: container.stdinOnce ?? false, tty: container.tty ?? false };
    }
    this.podOf.set(id, meta.podUid);
    // The folders and the isolation (cgroup, security) side by side: each is a few thread-pool
    // round trips on the start path of every container.
    const folders = Promise.all([
      fs.mkdir(this.state.dir(id), { recursive: true }),
      fs.mkdir(dirname(meta.logPath), { recursive: true }),
    ]).then(
      () => undefined,
      (err: Error) => err,
    );
    const isolating = this.isolation.prepare(pod, container, fieldPath(pod, container), id, this.state.dir(id)).then(
      (ready) => ({ ready }),
      (error: unknown) => ({ error }),
    );
    const [folderError, isolation] = await Promise.all([folders, isolating]);
    if (folderError) {
      if ('ready' in isolation) await this.isolation.release(isolation.ready.cgroup);
      await this.state.remove(id).catch(() => undefined);
      throw new RuntimeError('CreateContainerError', `container "${container.name}": cannot create its state or log folder: ${folderError.message}`);
    }
    let prepared: PreparedContainer | undefined;
    try {
      if ('error' in isolation) throw isolation.error;
      prepared = isolation.ready;
      meta.setup = prepared.setup;
      if (prepared.cgroup) meta.cgroup = prepared.cgroup;
      if (prepared.cgroup && !prepared.limited) meta.cgroupJoinedLate = true;
      if (prepared.terminationMessage) meta.terminationMessageFile = prepared.terminationMessage.file;
      if (container.terminationMessagePolicy) meta.terminationMessagePolicy = container.terminationMessagePolicy;
      await this.state.writeMeta(meta);
    } catch (err) {
      await this.isolation.release(prepared?.cgroup);
      await this.state.remove(id).catch(() => undefined);
      if (err instanceof RuntimeError) throw err;
      throw new RuntimeError('CreateContainerError', `container "${container.name}": cannot prepare it: ${(err as Error).message}`);
    }

    // The state folder is the container: it exists from here on, as a CRI container after CreateContainer.
    createdContainer(request.events, container.name);
    const shim = launchShim({
      shimPath: this.shimPath,
      stateDir: this.state.dir(id),
      logPath: meta.logPath,
      logRotation: this.logRotation,
      workingDir,
      runAs: user,
      argv: meta.command,
      env: fullEnv,
      setup: prepared.setup,
      ...this.isolation.shimCgroup(prepared),
      ...(prepared.terminationMessage ? { terminationMessage: prepared.terminationMessage } : {}),
      ...(meta.terminal ? { terminal: meta.terminal } : {}),
    });
    const live: LiveShim = { child: shim.child, started: shim.started };
    this.live.set(id, live);
    shim.child.once('exit', () => void this.onShimExit(id, live));

    let started: { pid: number; startTime: number } | undefined;
    try {
      started = await shim.started;
    } catch (err) {
      this.live.delete(id);
      if ((err as NodeJS.ErrnoException).code === 'E2BIG') {
        // The kernel's limit was lower than the one checked above (a smaller stack rlimit): nothing ran.
        await this.isolation.release(prepared.cgroup);
        await this.state.remove(id).catch(() => undefined);
        throw new RuntimeError(
          'CreateContainerError',
          `container "${container.name}": its command, args and env (${fieldPath(pod, container)}) are too long for the system (E2BIG); shorten them, e.g. pass big values in a file from a volume`,
        );
      }
      const message = `cannot run the container supervisor ${this.shimPath}: ${(err as Error).message}`;
      await this.state.writeExit(id, startFailure(message)).catch(() => undefined);
      throw new RuntimeError('RunContainerError', `container "${container.name}": ${message}`);
    }
    if (!started) {
      // The shim exited without starting the command: exec/chdir/setuid failed; its exit file says why.
      const exit = await this.state.readExit(id);
      const message =
        exit?.message ?? `the container supervisor exited (code ${shim.child.exitCode}) before starting the command`;
      if (!exit) await this.state.writeExit(id, startFailure(message)).catch(() => undefined);
      this.logger.warn('container could not start', { containerId: id, container: container.name, message });
      throw new RuntimeError('RunContainerError', `container "${container.name}": ${message}`);
    }

    // The shim wrote its pid file before it said it started: it is the record of this start.
    const pidFile = await this.state.readPid(id);
    this.isolation.started(pod, container, prepared);
    this.logger.debug('container started', { containerId: id, pod: meta.podName, container: meta.containerName, pid: started.pid });
    return { ...baseRecord(meta), pid: started.pid, startedAt: pidFile?.startedAt ?? new Date().toISOString(), state: 'running' };
  }

  async stopContainer(id: string, gracePeriodSeconds: number): Promise<ContainerRecord | undefined> {
    const live = this.live.get(id);
    if (live) await live.started.catch(() => undefined);
    const record = await this.readRecord(id);
    if (!record || record.state !== 'running') return record;
    const pidFile = await this.state.readPid(id);
    if (!pidFile) return record;

    const exited = this.waitForExit(id);
    let fastPoll: NodeJS.Timeout | undefined;
    if (!this.live.has(id)) {
      // Not our child: no exit event, so look closely while it stops.
      this.adopt(id);
      fastPoll = setInterval(() => void this.checkAdopted(id), STOPPING_POLL_MS);
    }
    try {
      await signalContainer(pidFile, 'SIGTERM');
      let final = await within(exited, Math.max(0, gracePeriodSeconds) * 1000);
      if (!final) {
        this.logger.info('container did not stop within its grace period; killing it', { containerId: id, gracePeriodSeconds });
        await signalContainer(pidFile, 'SIGKILL');
        final = await within(exited, KILL_WAIT_MS);
      }
      return final ?? (await this.readRecord(id));
    } finally {
      if (fastPoll) clearInterval(fastPoll);
    }
  }

  async removeContainer(id: string): Promise<void> {
    const record = await this.readRecord(id);
    if (record?.state === 'running') await this.stopContainer(id, 0);
    await this.isolation.release((await this.state.readMeta(id))?.cgroup);
    this.adopted.delete(id);
    this.reported.delete(id);
    await this.state.remove(id);
    this.podOf.delete(id);
  }

  async listContainers(podUid?: string): Promise<ContainerRecord[]> {
    let ids = await this.state.ids();
    if (podUid !== undefined) {
      // Ids not seen yet (left by a previous agent) are read once; after that the map answers.
      const unknown = ids.filter((id) => !this.podOf.has(id));
      const metas = await Promise.all(unknown.map((id) => this.state.readMeta(id)));
      metas.forEach((meta, i) => {
        if (meta) this.podOf.set(unknown[i]!, meta.podUid);
      });
      ids = ids.filter((id) => this.podOf.get(id) === podUid);
    }
    const records = await Promise.all(ids.map((id) => this.readRecord(id)));
    const result: ContainerRecord[] = [];
    for (const [i, record] of records.entries()) {
      if (!record) {
        void this.removeIfAbandoned(ids[i]!);
        continue;
      }
      result.push(record);
      if (record.state === 'running' && !this.live.has(record.id) && !this.adopted.has(record.id)) {
        this.logger.info('found a running container; watching it', { containerId: record.id, pod: record.podName, container: record.containerName, pid: record.pid });
        this.adopt(record.id);
      }
    }
    return result;
  }

  /**
   * A state folder without meta.json is a container whose start was cut short (agent killed, disk
   * full): nothing runs in it. Removed once it is older than any start in progress could be.
   */
  private async removeIfAbandoned(id: string): Promise<void> {
    if (this.live.has(id)) return;
    const dir = this.state.dir(id);
    const stat = await fs.stat(dir).catch(() => undefined);
    if (!stat || Date.now() - stat.mtimeMs < ABANDONED_AFTER_MS) return;
    if (await this.state.readMeta(id)) return;
    this.logger.info('removing the state folder of a container that was never created', { containerId: id, dir });
    await this.state.remove(id).catch(() => undefined);
  }

  /** What the shim dropped because the log could not be written (its DIR/logdrop), if anything. */
  async droppedLogOutput(id: string): Promise<DroppedOutput | undefined> {
    return this.state.readLogDrops(id);
  }

  /** Host processes share the node's network: there are no sandboxes to find. */
  async listPodSandboxes(): Promise<PodRef[]> {
    return [];
  }

  onContainerExit(listener: (record: ContainerRecord) => void): void {
    this.listeners.push(listener);
  }

  /** The container's cgroup usage (for `kubectl top` and /stats/summary); undefined when it has no cgroup. */
  async containerUsage(id: string): Promise<CgroupUsage | undefined> {
    const meta = await this.state.readMeta(id);
    return meta?.cgroup ? this.isolation.usage(meta.cgroup) : undefined;
  }

  async exec(id: string, command: string[], io: StreamIO): Promise<number> {
    const context = await this.execContext(id, command);
    return execStreaming(context, this.shimPath, command, io);
  }

  async attach(id: string, io: StreamIO): Promise<void> {
    const { meta } = await this.running(id, 'attach', 'attach to');
    await attachContainer(
      {
        stateDir: this.state.dir(id),
        describe: `"${meta.containerName}" of pod ${meta.podNamespace}/${meta.podName}`,
        stdin: meta.terminal?.stdin ?? false,
      },
      io,
    );
  }

  portForward(pod: Pod, port: number, signal: AbortSignal): Promise<Duplex> {
    return connectPodPort(pod.metadata?.name ?? '', port, signal);
  }

  async containerStats(id: string): Promise<ContainerStats | undefined> {
    const [meta, record] = await Promise.all([this.state.readMeta(id), this.readRecord(id)]);
    if (!meta || record?.state !== 'running' || record.pid === undefined) return undefined;
    if (!meta.cgroup) return statsFromProcessGroup(record.pid);
    const stats = statsFromCgroup(await this.isolation.usage(meta.cgroup));
    return meta.cgroupJoinedLate ? withResidentFloor(stats, await statsFromProcessGroup(record.pid)) : stats;
  }

  async execSync(id: string, command: string[], timeoutMs: number): Promise<ExecSyncResult> {
    return runInContainer(await this.execContext(id, command), command, timeoutMs);
  }

  /** The container's exec context; RuntimeError when it is not running or no command is given. */
  private async execContext(id: string, command: string[]): Promise<ExecContext> {
    const { meta, pid } = await this.running(id, 'exec', 'run a command in');
    if (command.length === 0) {
      throw new RuntimeError('ExecError', `exec: container "${meta.containerName}": no command given`);
    }
    return containerExecContext(meta, pid, this.shimPath);
  }

  private async running(id: string, verb: string, action: string): Promise<{ meta: ContainerMeta; pid: number }> {
    const [meta, record] = await Promise.all([this.state.readMeta(id), this.readRecord(id)]);
    if (!meta || !record) {
      throw new RuntimeError('ContainerNotFound', `${verb}: no container with id ${id} on the process runtime`);
    }
    if (record.state !== 'running' || record.pid === undefined) {
      throw new RuntimeError(
        'ContainerNotRunning',
        `${verb}: container "${meta.containerName}" of pod ${meta.podNamespace}/${meta.podName} is not running ` +
          `(${record.state}${record.reason ? `: ${record.reason}` : ''}); you can only ${action} a running container`,
      );
    }
    return { meta, pid: record.pid };
  }

  async close(): Promise<void> {
    // Containers keep running (they outlive the agent); only stop watching them.
    this.closed = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    for (const live of this.live.values()) live.child.release();
    this.listeners.length = 0;
  }

  /** The container's current record from its state folder, checked against /proc. */
  private async readRecord(id: string): Promise<ContainerRecord | undefined> {
    const [meta, pidFile, exit] = await Promise.all([
      this.state.readMeta(id),
      this.state.readPid(id),
      this.state.readExit(id),
    ]);
    if (!meta) return undefined;
    this.podOf.set(id, meta.podUid);
    const base = baseRecord(meta);
    if (pidFile) {
      base.pid = pidFile.pid;
      base.startedAt = pidFile.startedAt;
    }
    if (exit) return exitedRecord(base, await this.finalizeExit(meta, exit));
    if (!pidFile) {
      if (this.live.has(id)) return base; // being started right now
      return exitedRecord(base, {
        exitCode: null,
        signal: 0,
        finishedAt: meta.createdAt,
        reason: 'Unknown',
        message: 'berth stopped while this container was being started; it never ran',
      });
    }

    const stat = await readProcStat(pidFile.pid);
    const same = stat !== undefined && stat.startTime === pidFile.startTime;
    if (same && stat.state !== 'Z' && stat.state !== 'X') return { ...base, state: 'running' };
    // The container is gone. Its shim writes the exit record right after reaping it: look again.
    const late = await this.state.readExit(id);
    if (late) return exitedRecord(base, await this.finalizeExit(meta, late));
    if (this.live.has(id) || (await isRunning(pidFile.shimPid, pidFile.shimStartTime))) {
      return { ...base, state: 'running' }; // the shim is recording the exit right now
    }
    // Container and shim both gone without an exit record (shim killed, machine rebooted, pid
    // reused): the exit code is lost, unless the container is an unreaped zombie that still holds it.
    const lost: ExitFile =
      same && stat.waitStatus !== undefined
        ? { exitCode: exitCodeOfWaitStatus(stat.waitStatus), signal: stat.waitStatus & 0x7f, finishedAt: new Date().toISOString() }
        : {
            exitCode: null,
            signal: 0,
            finishedAt: new Date().toISOString(),
            reason: 'Unknown',
            message: `the container process (pid ${pidFile.pid}) is gone and its supervisor recorded no exit code (it was killed, or the machine restarted)`,
          };
    this.logger.warn('container exit code lost', { containerId: id, pid: pidFile.pid, exitCode: lost.exitCode });
    // Recorded, so that every later look gives the same answer.
    await this.state.writeExit(id, lost).catch(() => undefined);
    return exitedRecord(base, lost);
  }

  /**
   * Once per exit: the termination message goes into the exit record, and the cgroup (empty now:
   * the shim killed and reaped the container's processes) is removed.
   */
  private finalizeExit(meta: ContainerMeta, exit: ExitFile): Promise<ExitFile> {
    if (exit.finalized || exit.startError) return Promise.resolve(exit);
    let pending = this.finalizing.get(meta.id);
    if (!pending) {
      pending = (async () => {
        const final: ExitFile = { ...exit, finalized: true };
        const message = await readTerminationMessage({
          hostFile: meta.terminationMessageFile,
          fallbackToLogsOnError: meta.terminationMessagePolicy === 'FallbackToLogsOnError',
          exitCode: exit.exitCode ?? undefined,
          logPath: meta.logPath,
        });
        await this.isolation.release(meta.cgroup);
        if (message) {
          final.message = message;
          await this.state.writeExit(meta.id, final).catch(() => undefined);
        } else {
          // Nothing to add to the shim's record: not rewritten (a new inode per stopped container,
          // see docs/performance.md). After an agent restart the record is finalized once more,
          // with the same outcome: no message, and a cgroup that is already gone.
          this.state.keepExit(meta.id, final);
        }
        return final;
      })().finally(() => this.finalizing.delete(meta.id));
      this.finalizing.set(meta.id, pending);
    }
    return pending;
  }

  private async onShimExit(id: string, live: LiveShim): Promise<void> {
    if (this.live.get(id) === live) this.live.delete(id);
    const started = await live.started.catch(() => undefined);
    if (!started) return; // start failures are reported by startContainer's rejection
    const record = await this.readRecord(id);
    if (!record) return; // removed meanwhile
    if (record.state === 'exited') this.reportExit(record);
    else this.adopt(id); // the shim died but the container lives on: watch it like an adopted one
  }

  private adopt(id: string): void {
    this.adopted.add(id);
    if (!this.pollTimer && !this.closed) {
      this.pollTimer = setInterval(() => void this.pollAdopted(), ADOPTED_POLL_MS);
      this.pollTimer.unref();
    }
  }

  private async pollAdopted(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      for (const id of [...this.adopted]) await this.checkAdopted(id);
    } catch (err) {
      this.logger.warn('checking containers failed', { err });
    } finally {
      this.polling = false;
    }
    if (this.adopted.size === 0 && this.pollTimer) {
      clearInterval(this.pollTimer);
      this.pollTimer = undefined;
    }
  }

  private async checkAdopted(id: string): Promise<void> {
    if (!this.adopted.has(id)) return;
    const record = await this.readRecord(id);
    if (!record) this.adopted.delete(id);
    else if (record.state === 'exited') this.reportExit(record);
  }

  private reportExit(record: ContainerRecord): void {
    if (this.reported.has(record.id)) return;
    this.reported.set(record.id, record);
    this.adopted.delete(record.id);
    const waiters = this.exitWaiters.get(record.id) ?? [];
    this.exitWaiters.delete(record.id);
    for (const resolveWaiter of waiters) resolveWaiter(record);
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

  private waitForExit(id: string): Promise<ContainerRecord> {
    const done = this.reported.get(id);
    if (done) return Promise.resolve(done);
    return new Promise((resolveWaiter) => {
      const list = this.exitWaiters.get(id) ?? [];
      list.push(resolveWaiter);
      this.exitWaiters.set(id, list);
    });
  }
}

function startFailure(message: string): ExitFile {
  return { exitCode: 128, signal: 0, finishedAt: new Date().toISOString(), startError: true, message };
}

function fieldPath(pod: Pod, container: Container): string {
  const i = pod.spec?.containers?.findIndex((c) => c.name === container.name) ?? -1;
  if (i >= 0) return `spec.containers[${i}]`;
  const j = pod.spec?.initContainers?.findIndex((c) => c.name === container.name) ?? -1;
  return j >= 0 ? `spec.initContainers[${j}]` : `the container "${container.name}"`;
}

/** Signals the container's process group, after checking the pid is still the container's. */
async function signalContainer(pidFile: PidFile, signal: NodeJS.Signals): Promise<void> {
  if (!(await isRunning(pidFile.pid, pidFile.startTime))) return;
  try {
    process.kill(-pidFile.pid, signal);
  } catch {
    // No such group: the container left it (setsid/setpgid); signal the process itself.
    try {
      process.kill(pidFile.pid, signal);
    } catch {
      // already gone
    }
  }
}

