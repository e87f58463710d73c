// NodeMetrics and PodMetrics (metrics.k8s.io/v1beta1) from a Summary, shaped as metrics-server
// serves them: CPU in nanocores over the sampling window, memory as the working set. A node or
// pod without a CPU rate yet (one reading so far) has no metrics, as with metrics-server.
import type { Summary } from '../../stats/index.js';
import type { KubeObject } from '../resources.js';
import { cpuQuantity, memoryQuantity } from './quantities.js';

/** The window the node's rates are averaged over: the node API's sampling interval. */
export const WINDOW = '10s';

export function nodeMetricsOf(s: Summary, labels: Record<string, string> | undefined, now: string): KubeObject[] {
  const n = s.node;
  if (n.cpu?.usageNanoCores === undefined || n.memory?.workingSetBytes === undefined) return [];
  return [
    {
      kind: 'NodeMetrics',
      apiVersion: 'metrics.k8s.io/v1beta1',
      metadata: { name: n.nodeName, creationTimestamp: now, ...(labels ? { labels } : {}) },
      timestamp: n.cpu.time,
      window: WINDOW,
      usage: { cpu: cpuQuantity(n.cpu.usageNanoCores), memory: memoryQuantity(n.memory.workingSetBytes) },
    },
  ];
}

export function podMetricsOf(s: Summary, labelsOf: (namespace: string, name: string) => Record<string, string> | undefined, now: string): KubeObject[] {
  const out: KubeObject[] = [];
  for (const p of s.pods) {
    if (p.containers.length === 0) continue;
    const ready = p.containers.every((c) => c.cpu?.usageNanoCores !== undefined && c.memory?.workingSetBytes !== undefined);
    if (!ready) continue;
    const labels = labelsOf(p.podRef.namespace, p.podRef.name);
    out.push({
      kind: 'PodMetrics',
      apiVersion: 'metrics.k8s.io/v1beta1',
      metadata: { name: p.podRef.name, namespace: p.podRef.namespace, creationTimestamp: now, ...(labels ? { labels } : {}) },
      timestamp: p.cpu?.time ?? p.containers[0]!.cpu!.time,
      window: WINDOW,
      containers: p.containers.map((c) => ({ name: c.name, usage: { cpu: cpuQuantity(c.cpu!.usageNanoCores!), memory: memoryQuantity(c.memory!.workingSetBytes!) } })),
    });
  }
  return out;
}
