// An in-memory runtime for the worker unit tests: records what was asked in a journal, exits
// containers on demand, answers execSync from a script.
import type { Duplex } from 'node:stream';
import type { Pod } from 'kubernetes-types/core/v1';
import { RuntimeError, type ContainerRecord, type ContainerStats, type ExecSyncResult, type StreamIO, type PodRef, type Runtime, type SandboxInfo, type StartContainerRequest } from '../../src/runtime/types.js';

export class MemoryRuntime implements Runtime {
  readonly name = 'memory';
  readonly journal: string[] = [];
  readonly records = new Map<string, ContainerRecord>();
  failSandboxRemovals = 0;
  private listeners: Array<(r: ContainerRecord) => void> = [];
  private next = 0;

  async init(): Promise<void> {}
  async runPodSandbox(): Promise<SandboxInfo> {
    return { podIP: '10.0.0.1', hostIP: '10.0.0.1' };
  }
  async removePodSandbox(pod: Pod): Promise<void> {
    if (this.failSandboxRemovals > 0) {
      this.failSandboxRemovals--;
      this.journal.push(`sandbox-remove-failed ${pod.metadata?.name}`);
      throw new Error('engine away');
    }
    this.journal.push(`sandbox-removed ${pod.metadata?.name}`);
  }
  async startContainer(r: StartContainerRequest): Promise<ContainerRecord> {
    const rec: ContainerRecord = {
      id: `c${this.next++}`,
      podUid: r.pod.metadata!.uid!,
      podName: r.pod.metadata!.name!,
      podNamespace: 'default',
      containerName: r.container.name,
      attempt: r.attempt,
      state: 'running',
      createdAt: new Date().toISOString(),
      startedAt: new Date().toISOString(),
      logPath: r.logPath,
    };
    this.records.set(rec.id, rec);
    this.journal.push(`start ${rec.podName}/${rec.containerName}#${rec.attempt} (${rec.podUid})`);
    return { ...rec };
  }
  async stopContainer(id: string, grace = 0): Promise<ContainerRecord | undefined> {
    this.journal.push(`stop ${this.records.get(id)?.containerName} grace=${grace}`);
    await new Promise((r) => setTimeout(r, 30)); // stopping takes a moment
    this.exit(id, 143);
    this.journal.push(`stopped ${id}`);
    return { ...this.records.get(id)! };
  }
  async removeContainer(id: string): Promise<void> {
    this.records.delete(id);
  }
  /** What execSync answers (probes and hooks); by default exit 0. */
  execAnswer: (id: string, command: string[], timeoutMs: number) => Promise<ExecSyncResult> | ExecSyncResult = () => ({
    exitCode: 0,
    stdout: Buffer.alloc(0),
    stderr: Buffer.alloc(0),
    timedOut: false,
  });
  exec(_id: string, _command: string[], _io: StreamIO): Promise<number> {
    return Promise.reject(new RuntimeError('NotImplemented', `exec is not implemented yet on the memory runtime`));
  }

  attach(_id: string, _io: StreamIO): Promise<void> {
    return Promise.reject(new RuntimeError('NotImplemented', `attach is not implemented yet on the memory runtime`));
  }

  portForward(_pod: Pod, _port: number, _signal: AbortSignal): Promise<Duplex> {
    return Promise.reject(new RuntimeError('NotImplemented', `port-forward is not implemented yet on the memory runtime`));
  }

  containerStats(_id: string): Promise<ContainerStats | undefined> {
    return Promise.resolve(undefined);
  }

  async execSync(id: string, command: string[], timeoutMs: number): Promise<ExecSyncResult> {
    if (this.records.get(id)?.state !== 'running') throw new RuntimeError('RunContainerError', `container ${id} is not running`);
    this.journal.push(`exec ${this.records.get(id)!.containerName} ${command.join(' ')}`);
    return this.execAnswer(id, command, timeoutMs);
  }
  async listContainers(): Promise<ContainerRecord[]> {
    return [...this.records.values()].map((r) => ({ ...r }));
  }
  readonly sandboxes: PodRef[] = [];
  async listPodSandboxes(): Promise<PodRef[]> {
    return this.sandboxes;
  }
  onContainerExit(listener: (r: ContainerRecord) => void): void {
    this.listeners.push(listener);
  }
  /** The agent that owned this runtime died: nobody hears of exits any more. */
  async close(): Promise<void> {
    this.listeners = [];
  }

  /** The container exits on its own with this code. */
  exit(id: string, code: number): void {
    const rec = this.records.get(id);
    if (!rec || rec.state === 'exited') return;
    Object.assign(rec, { state: 'exited', exitCode: code, finishedAt: new Date().toISOString() });
    for (const l of this.listeners) l({ ...rec });
  }
}

