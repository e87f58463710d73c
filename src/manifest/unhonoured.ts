// Fields upstream accepts but a kubelet with its default feature gates does not act on, so Berth
// does not either. The agent runs such a pod as a kubelet would; `berth validate` says so, so that
// the author does not count on the field.
import type { Pod } from 'kubernetes-types/core/v1';
import type { ManifestWarning } from './problem.js';

export function unhonouredFieldWarnings(pod: Pod, origin: string): ManifestWarning[] {
  const out: ManifestWarning[] = [];
  const lists = [
    ['initContainers', pod.spec?.initContainers ?? []],
    ['containers', pod.spec?.containers ?? []],
  ] as const;
  for (const [list, items] of lists) {
    items.forEach((c, i) => {
      const signal = (c.lifecycle as { stopSignal?: unknown } | undefined)?.stopSignal;
      if (signal === undefined) return;
      out.push({
        origin,
        field: `spec.${list}[${i}].lifecycle.stopSignal`,
        message: `is not used: the kubelet's ContainerStopSignals feature (Kubernetes 1.33+) is alpha and off by default, so container "${c.name}" is stopped with SIGTERM (on an engine: the image's STOPSIGNAL, else SIGTERM), not ${String(signal)}`,
        fix: `remove stopSignal, or make the program exit on SIGTERM (a preStop hook can send it ${String(signal)} first)`,
        severity: 'warning',
      });
    });
  }
  return out;
}
