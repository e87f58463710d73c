// Fields upstream accepts but a kubelet with its default feature gates does not act on, so Berth
// does not either. The pod runs as a kubelet would run it; `berth run` (once per file version)
// and `berth validate` warn, so that the author does not count on the field. Computed on the pod
// as written, like the create-time warnings, so it must not trust the shape of anything.
import { isObject } from './json.js';
import type { ManifestWarning } from './problem.js';

export function unhonouredFieldWarnings(pod: unknown, origin: string, prefix = ''): ManifestWarning[] {
  const out: ManifestWarning[] = [];
  if (!isObject(pod) || !isObject(pod.spec)) return out;
  for (const list of ['initContainers', 'containers']) {
    const items = pod.spec[list];
    if (!Array.isArray(items)) continue;
    items.forEach((c: unknown, i) => {
      if (!isObject(c) || !isObject(c.lifecycle) || c.lifecycle.stopSignal === undefined) return;
      const signal = String(c.lifecycle.stopSignal);
      out.push({
        origin,
        field: `${prefix ? `${prefix}.` : ''}spec.${list}[${i}].lifecycle.stopSignal`,
        message: `is not used: the kubelet's ContainerStopSignals feature (Kubernetes 1.33+) is alpha and off by default, so container "${String(c.name)}" is stopped with SIGTERM (on an engine: the image's STOPSIGNAL, else SIGTERM), not ${signal}`,
        fix: `remove stopSignal, or make the program exit on SIGTERM (a preStop hook can send it ${signal} first)`,
        severity: 'warning',
      });
    });
  }
  return out;
}
