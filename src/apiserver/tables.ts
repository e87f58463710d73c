// Server-side printing (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`): kubectl computes
// nothing for `get`, it prints the cells we send. Cells follow kubectl's own printers
// (pkg/printers/internalversion/printers.go) so the output reads like any cluster: pod Status as
// kubectl derives it (CrashLoopBackOff, Completed, Init:0/1, Terminating...), `3 (5m ago)` restarts,
// ages as HumanDuration. Every column is sent, the wide ones with priority 1 (kubectl hides those
// unless -o wide).
import type { Container, ContainerStatus, Pod, Node, Event, Namespace, Service } from 'kubernetes-types/core/v1';
import type { Lease } from 'kubernetes-types/coordination/v1';
import type { ObjectMeta } from 'kubernetes-types/meta/v1';
import type { KubeObject, ResourceDef } from './resources.js';
import { cpuQuantity, memoryQuantity, quantityValue } from './metrics-api/quantities.js';

export interface ColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export interface TableRowCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface TableRow {
  cells: unknown[];
  object?: unknown;
  conditions?: TableRowCondition[];
}

export interface Table {
  kind: 'Table';
  apiVersion: string;
  metadata: { resourceVersion?: string };
  columnDefinitions: ColumnDefinition[];
  rows: TableRow[];
}

/** What a row's `object` holds: nothing, PartialObjectMetadata (default) or the full object. */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableOptions {
  /** meta.k8s.io/v1 or meta.k8s.io/v1beta1, as the client asked. */
  apiVersion: string;
  includeObject: IncludeObject;
  now: number;
}

// ---- durations ------------------------------------------------------------------------------------

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration, for a duration in milliseconds. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.trunc(hours / 24) % 365;
    const y = Math.trunc(hours / 24 / 365);
    return dy === 0 ? `${y}y` : `${y}y${dy}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

/** Age of a timestamp as kubectl shows it; `<unknown>` when there is none. */
export function since(ts: string | undefined | null, now: number): string {
  if (!ts) return '<unknown>';
  const t = Date.parse(ts);
  if (Number.isNaN(t)) return '<unknown>';
  return humanDuration(now - t);
}

// ---- columns --------------------------------------------------------------------------------------

function col(name: string, priority = 0, format = '', type = 'string'): ColumnDefinition {
  return { name, type, format, description: '', priority };
}

const COLUMNS: Record<string, ColumnDefinition[]> = {
  pods: [
    col('Name', 0, 'name'),
    col('Ready'),
    col('Status'),
    col('Restarts'),
    col('Age'),
    col('IP', 1),
    col('Node', 1),
    col('Nominated Node', 1),
    col('Readiness Gates', 1),
  ],
  nodes: [
    col('Name', 0, 'name'),
    col('Status'),
    col('Roles'),
    col('Age'),
    col('Version'),
    col('Internal-IP', 1),
    col('External-IP', 1),
    col('OS-Image', 1),
    col('Kernel-Version', 1),
    col('Container-Runtime', 1),
  ],
  events: [
    col('Last Seen'),
    col('Type'),
    col('Reason'),
    col('Object'),
    col('Subobject', 1),
    col('Source', 1),
    col('Message'),
    col('First Seen', 1),
    col('Count', 1),
    col('Name', 1, 'name'),
  ],
  namespaces: [col('Name', 0, 'name'), col('Status'), col('Age')],
  leases: [col('Name', 0, 'name'), col('Holder'), col('Age')],
  services: [col('Name', 0, 'name'), col('Type'), col('Cluster-IP'), col('External-IP'), col('Port(s)'), col('Age'), col('Selector', 1)],
};

const DEFAULT_COLUMNS = [col('Name', 0, 'name'), col('Age')];

/** NodeMetrics and PodMetrics, as metrics-server prints them (`kubectl get podmetrics`). */
const METRICS_COLUMNS = [col('Name', 0, 'name'), col('CPU'), col('Memory'), col('Window')];

export function columnsFor(def: ResourceDef): ColumnDefinition[] {
  if (def.metrics) return METRICS_COLUMNS;
  return COLUMNS[def.plural] ?? DEFAULT_COLUMNS;
}

/** A PodMetrics row shows the pod's containers together. */
function metricsCells(o: KubeObject): unknown[] {
  const containers = o['containers'] as Array<{ usage?: Record<string, unknown> }> | undefined;
  const usages = containers ? containers.map((c) => c.usage ?? {}) : [(o['usage'] as Record<string, unknown> | undefined) ?? {}];
  const sum = (k: string) => usages.reduce((a, u) => a + quantityValue(u[k]), 0);
  return [o.metadata.name ?? '', cpuQuantity(sum('cpu')), memoryQuantity(sum('memory')), o['window'] ?? ''];
}

// ---- rows -----------------------------------------------------------------------------------------

function cellsFor(def: ResourceDef, o: KubeObject, now: number): { cells: unknown[]; conditions?: TableRowCondition[] } {
  if (def.metrics) return { cells: metricsCells(o) };
  switch (def.plural) {
    case 'pods':
      return podCells(o as unknown as Pod, now);
    case 'nodes':
      return { cells: nodeCells(o as unknown as Node, now) };
    case 'events':
      return { cells: eventCells(o as unknown as Event, now) };
    case 'namespaces': {
      const ns = o as unknown as Namespace;
      return { cells: [ns.metadata?.name ?? '', ns.status?.phase ?? '', since(ns.metadata?.creationTimestamp, now)] };
    }
    case 'leases': {
      const l = o as unknown as Lease;
      return { cells: [l.metadata?.name ?? '', l.spec?.holderIdentity ?? '', since(l.metadata?.creationTimestamp, now)] };
    }
    case 'services':
      return { cells: serviceCells(o as unknown as Service, now) };
    default:
      return { cells: [o.metadata.name ?? '', since(o.metadata.creationTimestamp, now)] };
  }
}

export function partialObjectMetadata(o: KubeObject, apiVersion: string): { kind: string; apiVersion: string; metadata: ObjectMeta } {
  return { kind: 'PartialObjectMetadata', apiVersion, metadata: o.metadata };
}

export function rowFor(def: ResourceDef, o: KubeObject, opts: TableOptions): TableRow {
  const { cells, conditions } = cellsFor(def, o, opts.now);
  const row: TableRow = { cells };
  if (conditions) row.conditions = conditions;
  if (opts.includeObject === 'Metadata') row.object = partialObjectMetadata(o, opts.apiVersion);
  else if (opts.includeObject === 'Object') row.object = o;
  return row;
}

export function toTable(def: ResourceDef, objs: readonly KubeObject[], resourceVersion: string | undefined, opts: TableOptions): Table {
  const t: Table = {
    kind: 'Table',
    apiVersion: opts.apiVersion,
    metadata: resourceVersion === undefined ? {} : { resourceVersion },
    columnDefinitions: columnsFor(def),
    rows: objs.map((o) => rowFor(def, o, opts)),
  };
  return t;
}

// ---- pods -----------------------------------------------------------------------------------------

const POD_SUCCEEDED: TableRowCondition[] = [
  { type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' },
];
const POD_FAILED: TableRowCondition[] = [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }];

function isRestartableInit(c: Container | undefined): boolean {
  return c?.restartPolicy === 'Always';
}

function later(a: number, b: string | undefined): number {
  if (!b) return a;
  const t = Date.parse(b);
  return Number.isNaN(t) || t <= a ? a : t;
}

/** The pod row exactly as kubectl's printPod computes it (server prints wide cells too). */
export function podCells(pod: Pod, now: number): { cells: unknown[]; conditions?: TableRowCondition[] } {
  const spec = pod.spec ?? { containers: [] };
  const status = pod.status ?? {};
  const conditions = status.conditions ?? [];
  let restarts = 0;
  let restartableInitRestarts = 0;
  let totalContainers = (spec.containers ?? []).length;
  let readyContainers = 0;
  let lastRestart = 0;
  let lastRestartableInitRestart = 0;

  const phase = status.phase ?? '';
  let reason: string = status.reason ? status.reason : phase;
  for (const c of conditions) {
    if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }

  const initContainers = new Map<string, Container>();
  for (const c of spec.initContainers ?? []) {
    initContainers.set(c.name, c);
    if (isRestartableInit(c)) totalContainers++;
  }

  let initializing = false;
  const initStatuses = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i]!;
    restarts += cs.restartCount ?? 0;
    lastRestart = later(lastRestart, cs.lastState?.terminated?.finishedAt);
    const restartable = isRestartableInit(initContainers.get(cs.name));
    if (restartable) {
      restartableInitRestarts += cs.restartCount ?? 0;
      lastRestartableInitRestart = later(lastRestartableInitRestart, cs.lastState?.terminated?.finishedAt);
    }
    const term = cs.state?.terminated;
    const waiting = cs.state?.waiting;
    if (term && term.exitCode === 0) continue;
    if (restartable && cs.started === true) {
      if (cs.ready) readyContainers++;
      continue;
    }
    if (term) {
      if (!term.reason) reason = term.signal ? `Init:Signal:${term.signal}` : `Init:ExitCode:${term.exitCode}`;
      else reason = `Init:${term.reason}`;
      initializing = true;
    } else if (waiting && waiting.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
      initializing = true;
    } else {
      reason = `Init:${i}/${(spec.initContainers ?? []).length}`;
      initializing = true;
    }
    break;
  }

  const initializedTrue = conditions.some((c) => c.type === 'Initialized' && c.status === 'True');
  if (!initializing || initializedTrue) {
    restarts = restartableInitRestarts;
    lastRestart = lastRestartableInitRestart;
    let hasRunning = false;
    const statuses: ContainerStatus[] = status.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i]!;
      restarts += cs.restartCount ?? 0;
      lastRestart = later(lastRestart, cs.lastState?.terminated?.finishedAt);
      const waiting = cs.state?.waiting;
      const term = cs.state?.terminated;
      if (waiting && waiting.reason) {
        reason = waiting.reason;
      } else if (term && term.reason) {
        reason = term.reason;
      } else if (term && !term.reason) {
        reason = term.signal ? `Signal:${term.signal}` : `ExitCode:${term.exitCode}`;
      } else if (cs.ready && cs.state?.running) {
        hasRunning = true;
        readyContainers++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      reason = conditions.some((c) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady';
    }
  }

  const deleting = !!pod.metadata?.deletionTimestamp;
  if (deleting && status.reason === 'NodeLost') reason = 'Unknown';
  else if (deleting && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';

  let restartsStr = String(restarts);
  if (restarts !== 0 && lastRestart !== 0) restartsStr = `${restarts} (${humanDuration(now - lastRestart)} ago)`;

  const podIP = status.podIPs?.[0]?.ip || status.podIP || '<none>';
  let readinessGates = '<none>';
  const gates = spec.readinessGates ?? [];
  if (gates.length > 0) {
    let trueConditions = 0;
    for (const g of gates) {
      const c = conditions.find((x) => x.type === g.conditionType);
      if (c?.status === 'True') trueConditions++;
    }
    readinessGates = `${trueConditions}/${gates.length}`;
  }
  const cells = [
    pod.metadata?.name ?? '',
    `${readyContainers}/${totalContainers}`,
    reason,
    restartsStr,
    since(pod.metadata?.creationTimestamp, now),
    podIP,
    spec.nodeName || '<none>',
    status.nominatedNodeName || '<none>',
    readinessGates,
  ];
  if (phase === 'Succeeded') return { cells, conditions: POD_SUCCEEDED };
  if (phase === 'Failed') return { cells, conditions: POD_FAILED };
  return { cells };
}

// ---- nodes ----------------------------------------------------------------------------------------

export function nodeCells(node: Node, now: number): unknown[] {
  const status: string[] = [];
  const ready = (node.status?.conditions ?? []).find((c) => c.type === 'Ready');
  if (ready) status.push(ready.status === 'True' ? 'Ready' : 'NotReady');
  if (status.length === 0) status.push('Unknown');
  if (node.spec?.unschedulable) status.push('SchedulingDisabled');

  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata?.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const role = k.slice('node-role.kubernetes.io/'.length);
      if (role) roles.add(role);
    } else if (k === 'kubernetes.io/role' && v) {
      roles.add(v);
    }
  }
  const addr = (type: string) => (node.status?.addresses ?? []).find((a) => a.type === type)?.address || '<none>';
  const info = node.status?.nodeInfo;
  return [
    node.metadata?.name ?? '',
    status.join(','),
    roles.size ? [...roles].sort().join(',') : '<none>',
    since(node.metadata?.creationTimestamp, now),
    info?.kubeletVersion ?? '',
    addr('InternalIP'),
    addr('ExternalIP'),
    info?.osImage || '<unknown>',
    info?.kernelVersion || '<unknown>',
    info?.containerRuntimeVersion || '<unknown>',
  ];
}

// ---- events ---------------------------------------------------------------------------------------

export function eventCells(ev: Event, now: number): unknown[] {
  const firstSeen = ev.firstTimestamp ? since(ev.firstTimestamp, now) : since(ev.eventTime, now);
  let lastSeen = ev.lastTimestamp ? since(ev.lastTimestamp, now) : firstSeen;
  let count = ev.count ?? 0;
  if (ev.series) {
    lastSeen = since(ev.series.lastObservedTime, now);
    count = ev.series.count ?? 0;
  } else if (count === 0) {
    count = 1;
  }
  const io = ev.involvedObject ?? {};
  const kind = (io.kind ?? '').toLowerCase();
  const target = io.name ? `${kind}/${io.name}` : kind;
  const component = ev.source?.component || ev.reportingComponent || '';
  const instance = ev.source?.host || ev.reportingInstance || '';
  const source = instance ? `${component}, ${instance}` : component;
  return [
    lastSeen,
    ev.type ?? '',
    ev.reason ?? '',
    target,
    io.fieldPath ?? '',
    source,
    (ev.message ?? '').trim(),
    firstSeen,
    count,
    ev.metadata?.name ?? '',
  ];
}

// ---- services -------------------------------------------------------------------------------------

export function serviceCells(svc: Service, now: number): unknown[] {
  const spec = svc.spec ?? {};
  const external = spec.externalIPs?.length ? spec.externalIPs.join(',') : '<none>';
  const ports = (spec.ports ?? []).map((p) => `${p.port}${p.nodePort ? ':' + p.nodePort : ''}/${p.protocol ?? 'TCP'}`).join(',') || '<none>';
  const selector = Object.entries(spec.selector ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || '<none>';
  return [svc.metadata?.name ?? '', spec.type ?? 'ClusterIP', spec.clusterIP || '<none>', external, ports, since(svc.metadata?.creationTimestamp, now), selector];
}
