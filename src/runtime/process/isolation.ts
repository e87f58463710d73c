// What a process-runtime container gets around its process before it starts: its cgroup (limits,
// usage, OOM detection), its security context (security.ts) and its termination message file. The
// start path asks for it once per container; the result is recorded in meta.json so an agent
// that restarts still reads, enters and removes the same cgroup.
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Container, Pod } from 'kubernetes-types/core/v1';
import {
  containerLimits,
  createContainerCgroup,
  describeSupport,
  detectCgroups,
  hasLimits,
  oomFile,
  procsFiles,
  readUsage,
  removeContainerCgroup,
  type CgroupSupport,
  type CgroupUsage,
  type CgroupsOptions,
  type ContainerCgroup,
} from '../../cgroups/index.js';
import type { Logger } from '../../log/index.js';
import { terminationMessageSpec } from '../termination-message.js';
import { RuntimeError } from '../types.js';
import { containerSecurity, type ContainerSetup } from './security.js';

/** Warnings about a pod that the agent turns into events (the runtime has no event sink of its own). */
export type PodWarning = (pod: Pod, reason: string, message: string, containerName: string) => void;

export interface IsolationOptions {
  logger: Logger;
  shimPath: string;
  /** A folder for the start-up probe's scratch files. */
  probeDir: string;
  acceptUnenforcedSecurity: boolean;
  onPodWarning?: PodWarning;
  cgroups?: CgroupsOptions;
}

export interface PreparedContainer {
  setup: ContainerSetup;
  cgroup?: ContainerCgroup;
  /** Inside the container's mount namespace: where it finds the file the kubelet calls terminationMessagePath. */
  terminationMessage?: { file: string; path: string };
  /** It has limits that no cgroup enforces: warned about once it started (see started()). */
  limitsNotEnforced?: boolean;
  /**
   * It has limits: its command must not run one instruction outside its cgroup. Without limits
   * the cgroup only counts and cleans up, and the command need not wait for the move into it.
   */
  limited: boolean;
}

/** In the container's state folder, one per attempt (every attempt has its own folder). */
const TERMINATION_MESSAGE_FILE = 'termination-message';

export class ContainerIsolation {
  private support: CgroupSupport = { version: 0, reason: 'not detected yet' };
  private warnedOnce = false;
  private readonly warnedPods = new Set<string>();
  /** Mount namespaces (and so the read-only root, /proc masking and the message file) need root. */
  /** Whether the shim can make private mount namespaces here (probed at init). */
  private canMount = false;
  private mountProblem = '';

  constructor(private readonly o: IsolationOptions) {}

  async init(): Promise<void> {
    const [support, mount] = await Promise.all([detectCgroups(this.o.cgroups), this.probeMountNamespace()]);
    this.support = support;
    this.o.logger.info(describeSupport(this.support), { cgroupVersion: this.support.version || 'none' });
    this.canMount = mount === undefined;
    if (mount !== undefined) {
      this.mountProblem = mount;
      this.o.logger.warn(
        `process runtime: containers get no private mount namespace (${mount}): no /proc masking, no termination message file, ` +
          'and readOnlyRootFilesystem is refused; run berth as root with CAP_SYS_ADMIN to have them',
      );
    }
  }

  /**
   * Runs the shim once with a mount namespace, as every container gets one: not root, or root
   * without CAP_SYS_ADMIN (an unprivileged container) or under a seccomp filter, cannot.
   */
  private async probeMountNamespace(): Promise<string | undefined> {
    if (process.getuid?.() !== 0) return `berth runs as uid ${process.getuid?.()}, not root`;
    const dir = await fs.mkdtemp(join(this.o.probeDir, 'probe-'));
    try {
      const result = await new Promise<number | null>((resolveExit) => {
        const child = spawn(this.o.shimPath, ['--dir', dir, '--log', join(dir, 'log'), '--ro', '/proc/sys', '--', 'true'], { stdio: 'ignore' });
        child.once('error', () => resolveExit(null));
        child.once('close', (code) => resolveExit(code));
      });
      const exit = JSON.parse(await fs.readFile(join(dir, 'exit'), 'utf8').catch(() => '{}')) as { startError?: boolean; message?: string };
      if (result === null) return 'the container supervisor could not be run';
      return exit.startError ? (exit.message ?? 'the mount namespace could not be made') : undefined;
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }

  get cgroupVersion(): 0 | 1 | 2 {
    return this.support.version;
  }

  /** Throws RuntimeError (CreateContainerConfigError) for what cannot be enforced. */
  async prepare(pod: Pod, container: Container, path: string, id: string, stateDir: string): Promise<PreparedContainer> {
    const { setup, unenforced } = containerSecurity(pod, container, path, this.o.acceptUnenforcedSecurity);
    if (unenforced.length > 0) {
      this.o.logger.warn('running a container with security settings the process runtime does not enforce (accepted by --process-runtime-accept-unenforced-security)', {
        pod: pod.metadata?.name, container: container.name, fields: unenforced,
      });
    }
    if (!this.canMount) {
      if (setup.readOnlyRoot) {
        throw new RuntimeError(
          'CreateContainerConfigError',
          `container "${container.name}": ${path}.securityContext.readOnlyRootFilesystem needs a private mount namespace, which berth cannot make here ` +
            `(${this.mountProblem}); run berth as root with CAP_SYS_ADMIN, or remove the field`,
        );
      }
      setup.proc = { masked: [], readonly: [] };
      // Without root there is nothing to drop: the process already has no privileges.
      if (process.getuid?.() !== 0) delete setup.caps;
    }
    const limits = containerLimits(container);
    const prepared: PreparedContainer = { setup, limited: hasLimits(limits) };

    if (this.support.version !== 0) {
      try {
        prepared.cgroup = await createContainerCgroup(this.support, pod.metadata?.uid ?? 'unknown', id, limits);
      } catch (err) {
        throw new RuntimeError('CreateContainerError', `container "${container.name}": cannot set up its cgroup: ${(err as Error).message}`);
      }
    } else if (prepared.limited) {
      prepared.limitsNotEnforced = true;
    }

    const messagePath = terminationMessageSpec(container).path;
    if (this.canMount && isAbsolute(messagePath)) {
      // The shim creates the file (fresh, 0666) and its mount point; nothing to wait for here.
      prepared.terminationMessage = { file: join(stateDir, TERMINATION_MESSAGE_FILE), path: messagePath };
    }
    return prepared;
  }

  /** After the container started: the warnings about it (next to its Started event, as the kubelet's would be). */
  started(pod: Pod, container: Container, prepared: PreparedContainer): void {
    if (prepared.limitsNotEnforced) this.warnNoCgroups(pod, container);
  }

  /** The cgroup.procs files and OOM counter the shim needs, and whether the command waits for the move. */
  shimCgroup(prepared: PreparedContainer): { cgroupProcs: string[]; oomFile?: string; cgroupNoWait?: boolean } {
    const cg = prepared.cgroup;
    if (!cg) return { cgroupProcs: [] };
    // The first move into a cgroup waits for the kernel (milliseconds, see shim.c): only a
    // container with limits has its start wait for it too.
    return { cgroupProcs: procsFiles(cg), oomFile: oomFile(cg), ...(prepared.limited ? {} : { cgroupNoWait: true }) };
  }

  async release(cg: ContainerCgroup | undefined): Promise<void> {
    if (!cg) return;
    const err = await removeContainerCgroup(cg);
    if (err) this.o.logger.warn('cannot remove a container cgroup', { cgroup: cg.memory, err: err.message });
  }

  usage(cg: ContainerCgroup): Promise<CgroupUsage> {
    return readUsage(cg);
  }

  private warnNoCgroups(pod: Pod, container: Container): void {
    const reason = this.support.version === 0 ? this.support.reason : '';
    if (!this.warnedOnce) {
      this.warnedOnce = true;
      this.o.logger.warn(`resource limits of process-runtime containers are not enforced: ${reason}`);
    }
    const uid = pod.metadata?.uid ?? pod.metadata?.name ?? '';
    if (this.warnedPods.has(uid)) return;
    this.warnedPods.add(uid);
    // Pods come and go for days (an edited manifest is a new UID): remember a bounded number.
    if (this.warnedPods.size > 4096) this.warnedPods.delete(this.warnedPods.values().next().value as string);
    this.o.onPodWarning?.(
      pod,
      'ResourceLimitsNotEnforced',
      `resources.limits of container ${container.name} are not enforced: cgroups cannot be used on this node (${reason})`,
      container.name,
    );
  }
}

