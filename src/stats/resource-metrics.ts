// /metrics/resource: the kubelet's resource metrics in the Prometheus text format, the endpoint a
// metrics-server scrapes. Names, help texts, labels and the millisecond sample timestamps are the
// kubelet's, so a metrics-server reads Berth as it reads any kubelet.
import type { Summary } from './summary.js';

interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  lines: string[];
}

function labels(l: Record<string, string>): string {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function sample(name: string, l: Record<string, string>, value: number, time: string): string {
  return `${name}${labels(l)} ${value} ${Date.parse(time)}`;
}

/** Renders a Summary; undefined when no reading could be made (then only the error gauges, set to 1). */
export function renderResourceMetrics(s: Summary | undefined): string {
  const fam = (name: string, type: Family['type'], help: string): Family => ({ name, type, help, lines: [] });
  const containerCpu = fam('container_cpu_usage_seconds_total', 'counter', '[STABLE] Cumulative cpu time consumed by the container in core-seconds');
  const containerMem = fam('container_memory_working_set_bytes', 'gauge', '[STABLE] Current working set of the container in bytes');
  const containerStart = fam('container_start_time_seconds', 'gauge', '[STABLE] Start time of the container since unix epoch in seconds');
  const nodeCpu = fam('node_cpu_usage_seconds_total', 'counter', '[STABLE] Cumulative cpu time consumed by the node in core-seconds');
  const nodeMem = fam('node_memory_working_set_bytes', 'gauge', '[STABLE] Current working set of the node in bytes');
  const podCpu = fam('pod_cpu_usage_seconds_total', 'counter', '[STABLE] Cumulative cpu time consumed by the pod in core-seconds');
  const podMem = fam('pod_memory_working_set_bytes', 'gauge', '[STABLE] Current working set of the pod in bytes');
  const resourceError = fam('resource_scrape_error', 'gauge', '[STABLE] 1 if there was an error while getting container metrics, 0 otherwise');
  const scrapeError = fam('scrape_error', 'gauge', '[ALPHA] 1 if there was an error while getting container metrics, 0 otherwise');

  if (s) {
    const n = s.node;
    if (n.cpu.usageCoreNanoSeconds !== undefined) nodeCpu.lines.push(sample(nodeCpu.name, {}, n.cpu.usageCoreNanoSeconds / 1e9, n.cpu.time));
    if (n.memory.workingSetBytes !== undefined) nodeMem.lines.push(sample(nodeMem.name, {}, n.memory.workingSetBytes, n.memory.time));
    for (const p of s.pods) {
      const pl = { namespace: p.podRef.namespace, pod: p.podRef.name };
      if (p.cpu?.usageCoreNanoSeconds !== undefined) podCpu.lines.push(sample(podCpu.name, pl, p.cpu.usageCoreNanoSeconds / 1e9, p.cpu.time));
      if (p.memory?.workingSetBytes !== undefined) podMem.lines.push(sample(podMem.name, pl, p.memory.workingSetBytes, p.memory.time));
      for (const c of p.containers) {
        const cl = { container: c.name, namespace: p.podRef.namespace, pod: p.podRef.name };
        if (c.cpu?.usageCoreNanoSeconds !== undefined) containerCpu.lines.push(sample(containerCpu.name, cl, c.cpu.usageCoreNanoSeconds / 1e9, c.cpu.time));
        if (c.memory?.workingSetBytes !== undefined) containerMem.lines.push(sample(containerMem.name, cl, c.memory.workingSetBytes, c.memory.time));
        const started = Date.parse(c.startTime);
        if (!Number.isNaN(started)) containerStart.lines.push(sample(containerStart.name, cl, started / 1000, c.cpu?.time ?? c.memory?.time ?? c.startTime));
      }
    }
  }
  resourceError.lines.push(`${resourceError.name} ${s ? 0 : 1}`);
  scrapeError.lines.push(`${scrapeError.name} ${s ? 0 : 1}`);
  const out: string[] = [];
  for (const f of [containerCpu, containerMem, containerStart, nodeCpu, nodeMem, podCpu, podMem, resourceError, scrapeError]) {
    out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`, ...f.lines);
  }
  return out.join('\n') + '\n';
}
