// The CRI calls a kubelet-like agent makes for one host-network container, made directly over
// gRPC (berth's own CriClient): the floor berth's containerd path is compared with. Also finds
// and removes sandboxes by label, for cleaning up after a benchmark even when it failed.
import { randomUUID } from 'node:crypto';
import { CriClient } from '../../src/runtime/cri/client.js';

/** Label on every sandbox and container this helper creates, so leftovers of a crashed run are found. */
export const BENCH_LABEL = 'berth.bench';
export const BENCH_LABEL_VALUE = 'containers';

const HOST_NAMESPACES = { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' };
/** RunPodSandbox starts the pause container; give it time on a loaded machine. */
const SANDBOX_DEADLINE_MS = 60_000;

export interface RawStart {
  sandboxId: string;
  containerId: string;
  /** performance.now() just before RunPodSandbox was sent. */
  t0: number;
  runPodSandboxMs: number;
  createContainerMs: number;
  startContainerMs: number;
}

export interface SandboxSummary {
  id: string;
  labels: Record<string, string>;
}

export class RawCri {
  readonly client: CriClient;

  constructor(readonly endpoint: string) {
    this.client = new CriClient(endpoint);
  }

  /** undefined when the runtime answers Version, else why not. */
  async unavailable(): Promise<string | undefined> {
    try {
      await this.client.call('RuntimeService', 'Version', { version: 'v1' }, 3_000);
      return undefined;
    } catch (err) {
      // grpc-js appends an empty "Resolution note:" to connection errors.
      return (err as Error).message.replace(/\s*Resolution note:\s*$/, '');
    }
  }

  /** undefined when the image is present in the runtime, else what is wrong. */
  async missingImage(image: string): Promise<string | undefined> {
    try {
      const res = await this.client.call<{ image: unknown }>('ImageService', 'ImageStatus', { image: { image } }, 5_000);
      return res.image ? undefined : `image ${image} is not in the runtime`;
    } catch (err) {
      return (err as Error).message;
    }
  }

  /**
   * RunPodSandbox (host network, hostname "") + CreateContainer + StartContainer of
   * `httpd -f -p PORT`, timed call by call. `onSandbox` learns the sandbox id at once, so a
   * failure later on still lets the caller remove it.
   */
  async startHttpd(name: string, image: string, port: number, logDir: string, onSandbox: (id: string) => void): Promise<RawStart> {
    const uid = randomUUID();
    const labels = { [BENCH_LABEL]: BENCH_LABEL_VALUE, 'io.kubernetes.pod.name': name, 'io.kubernetes.pod.uid': uid };
    const sandboxConfig = {
      metadata: { name, uid, namespace: 'default', attempt: 0 },
      hostname: '', // no UTS namespace with the host network: runc refuses to set a hostname
      logDirectory: `${logDir}/${name}_${uid}`,
      labels,
      annotations: {},
      linux: { cgroupParent: '', securityContext: { namespaceOptions: HOST_NAMESPACES } },
    };
    const t0 = performance.now();
    const { podSandboxId } = await this.client.call<{ podSandboxId: string }>('RuntimeService', 'RunPodSandbox', { config: sandboxConfig }, SANDBOX_DEADLINE_MS);
    const t1 = performance.now();
    onSandbox(podSandboxId);
    const { containerId } = await this.client.call<{ containerId: string }>('RuntimeService', 'CreateContainer', {
      podSandboxId,
      config: {
        metadata: { name: 'httpd', attempt: 0 },
        image: { image },
        command: ['httpd', '-f', '-p', String(port)],
        logPath: 'httpd/0.log',
        labels: { [BENCH_LABEL]: BENCH_LABEL_VALUE, 'io.kubernetes.container.name': 'httpd' },
        annotations: {},
        linux: { securityContext: { namespaceOptions: HOST_NAMESPACES } },
      },
      sandboxConfig,
    });
    const t2 = performance.now();
    await this.client.call('RuntimeService', 'StartContainer', { containerId });
    const t3 = performance.now();
    return { sandboxId: podSandboxId, containerId, t0, runPodSandboxMs: t1 - t0, createContainerMs: t2 - t1, startContainerMs: t3 - t2 };
  }

  /** StopPodSandbox (kills its containers) + RemovePodSandbox; a sandbox already gone is fine. */
  async removeSandbox(id: string): Promise<void> {
    for (const method of ['StopPodSandbox', 'RemovePodSandbox']) {
      try {
        await this.client.call('RuntimeService', method, { podSandboxId: id }, SANDBOX_DEADLINE_MS);
      } catch (err) {
        if (/not found/i.test((err as Error).message)) return;
        throw err;
      }
    }
  }

  async listSandboxes(labelSelector: Record<string, string>): Promise<SandboxSummary[]> {
    const res = await this.client.call<{ items: Array<{ id: string; labels: Record<string, string> }> }>('RuntimeService', 'ListPodSandbox', {
      filter: { labelSelector },
    });
    return res.items.map((s) => ({ id: s.id, labels: s.labels }));
  }

  /** Removes every sandbox matching the selector (and `match`); returns how many. */
  async removeWhere(labelSelector: Record<string, string>, match: (s: SandboxSummary) => boolean = () => true): Promise<number> {
    // The selector is checked here too: a filter the runtime ignored must never remove other pods.
    const selected = (s: SandboxSummary) => Object.entries(labelSelector).every(([k, v]) => s.labels[k] === v);
    const victims = (await this.listSandboxes(labelSelector)).filter((s) => selected(s) && match(s));
    await Promise.all(victims.map((s) => this.removeSandbox(s.id).catch(() => undefined)));
    return victims.length;
  }

  close(): void {
    this.client.close();
  }
}
