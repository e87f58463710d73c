// stats/: the node's own resource numbers, served by the node API as the kubelet serves them
// (/stats/summary, /metrics/resource) and read by the embedded API for metrics.k8s.io.
export { StatsCollector, SAMPLE_INTERVAL_MS, type StatsCollectorOptions } from './collector.js';
export { renderResourceMetrics } from './resource-metrics.js';
export { parseMeminfo, parseProcStat, processGroupUsage } from './proc.js';
export type { Summary, PodStatsSummary, ContainerStatsSummary, NodeStatsSummary, CpuStats, MemoryStats, FsStats } from './summary.js';
